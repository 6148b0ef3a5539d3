import * as diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** Human-readable tracing: `NODE_DEBUG=wsasec:http`. */
export const debug = debuglog('wsasec:http');

/**
 * The `node:diagnostics_channel` channels this package publishes on. Payloads carry host, port,
 * target name, status and error codes — never passwords, keys or request data.
 *
 * - `wsasec:http:connect:start` `{ host, port, targetName }` — a secured connect begins.
 * - `wsasec:http:connect:success` `{ host, port, targetName, secured, encrypted }`.
 * - `wsasec:http:connect:failure` `{ host, port, targetName, code }`.
 * - `wsasec:http:access:denied` `{ status, reason, access, sid? }` — `requirePeerAccess` refused a
 *   request (`sid`: the peer user's SID when a check was made; never sent to the client).
 */
export const HTTP_CHANNELS = {
  connectStart: 'wsasec:http:connect:start',
  connectSuccess: 'wsasec:http:connect:success',
  connectFailure: 'wsasec:http:connect:failure',
  accessDenied: 'wsasec:http:access:denied',
} as const;

export const channels = {
  connectStart: diagnosticsChannel.channel(HTTP_CHANNELS.connectStart),
  connectSuccess: diagnosticsChannel.channel(HTTP_CHANNELS.connectSuccess),
  connectFailure: diagnosticsChannel.channel(HTTP_CHANNELS.connectFailure),
  accessDenied: diagnosticsChannel.channel(HTTP_CHANNELS.accessDenied),
};
