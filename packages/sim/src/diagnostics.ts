/**
 * Observability of the sim: `util.debuglog('wsasec:sim')` for humans (`NODE_DEBUG=wsasec:sim`) and
 * `node:diagnostics_channel` channels for tools. Payloads carry ids, names, SIDs and error codes,
 * never keys, passwords or plaintext.
 * @module
 */
import { type Channel, channel as getChannel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** Debug output, enabled with `NODE_DEBUG=wsasec:sim`. */
export const debug = debuglog('wsasec:sim');

/** The names of every diagnostics channel the sim publishes on. */
export const SIM_CHANNELS = {
  negotiationStart: 'wsasec:sim:negotiation:start',
  negotiationSuccess: 'wsasec:sim:negotiation:success',
  negotiationFailure: 'wsasec:sim:negotiation:failure',
  rekey: 'wsasec:sim:rekey',
  frameRejected: 'wsasec:sim:frame:rejected',
  fallbackClear: 'wsasec:sim:fallback:clear',
  impersonationBegin: 'wsasec:sim:impersonation:begin',
  impersonationEnd: 'wsasec:sim:impersonation:end',
  tokenOpen: 'wsasec:sim:token:open',
  tokenClose: 'wsasec:sim:token:close',
} as const;

type ChannelKey = keyof typeof SIM_CHANNELS;

const channels = Object.fromEntries(
  Object.entries(SIM_CHANNELS).map(([key, name]) => [key, getChannel(name)]),
) as Record<ChannelKey, Channel>;

/**
 * Publishes `message` on one of the sim's channels when somebody listens. `build` runs only then,
 * so the hot paths pay nothing when nobody subscribes.
 */
export function publish(key: ChannelKey, build: () => Record<string, unknown>): void {
  const channel = channels[key];
  if (channel.hasSubscribers) channel.publish(build());
}
