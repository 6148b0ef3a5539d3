/**
 * Pieces the case files share: the group builder, state snapshots and common expectations.
 * @module
 */
import {
  closeServer,
  type SecureDatagramSocket,
  type SecureSocket,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_IMPERSONATED,
  SOCKET_INFO_CONNECTION_SECURED,
  socketState,
} from '@wsasec/core';
import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import { expectThrows } from '../run/helpers.js';
import type { Capability } from '../types.js';
import type { ConformanceCase } from './case.js';

/** Collects the cases of one group. */
export function group(name: string) {
  const list: ConformanceCase[] = [];
  const add = (title: string, needs: readonly Capability[], run: ConformanceCase['run']) => {
    list.push({ group: name, title, needs, run });
  };
  return { list, add };
}

/** What core records of a socket, as plain data (for "nothing changed" comparisons). */
export function snapshot(socket: SecureSocket | SecureDatagramSocket) {
  const state = socketState(socket);
  if (!state) throw new Error('not a SecureSocket: socketState() returned undefined');
  return {
    phase: state.phase,
    type: state.type,
    family: state.family,
    security: state.security,
    targetNames: [...state.targetNames.entries()],
  };
}

/** A loopback port with nothing listening on it (a server's port, after it closed). */
export async function freePort(ctx: CaseContext): Promise<number> {
  const listening = await ctx.listen();
  await closeServer(listening.server);
  return listening.port;
}

/** Every secure method of a closed socket refuses with WSAENOTSOCK. */
export async function expectAllNotSock(socket: SecureSocket): Promise<void> {
  expectThrows(() => socket.setSecurity(), 'WSAENOTSOCK');
  expectThrows(() => socket.setPeerTargetName('host/x.contoso.com'), 'WSAENOTSOCK');
  expectThrows(() => socket.deletePeerTargetName({ address: '127.0.0.1' }), 'WSAENOTSOCK');
  expectThrows(() => socket.connect({ host: '127.0.0.1', port: 9 }), 'WSAENOTSOCK');
  expectThrows(() => socket.querySecurity(), 'WSAENOTSOCK');
  expectThrows(() => socket.impersonatePeer(() => 1), 'WSAENOTSOCK');
}

/** A connection's security as both ends report it, checked for consistency. */
export function expectSecured(socket: SecureSocket, encrypted?: boolean) {
  using info = socket.querySecurity();
  expect(
    info.flags &
      ~(
        SOCKET_INFO_CONNECTION_SECURED |
        SOCKET_INFO_CONNECTION_ENCRYPTED |
        SOCKET_INFO_CONNECTION_IMPERSONATED
      ),
  ).toBe(0);
  expect(info.secured).toBe((info.flags & SOCKET_INFO_CONNECTION_SECURED) !== 0);
  expect(info.encrypted).toBe((info.flags & SOCKET_INFO_CONNECTION_ENCRYPTED) !== 0);
  expect(info.impersonated).toBe((info.flags & SOCKET_INFO_CONNECTION_IMPERSONATED) !== 0);
  expect(info.secured, 'the connection is secured').toBe(true);
  if (info.encrypted) expect(info.secured, 'ENCRYPTED comes with SECURED').toBe(true);
  if (encrypted) expect(info.encrypted, 'the connection is encrypted').toBe(true);
  expect(['default', 'ipsec', 'ipsec2']).toContain(info.protocol);
  expect(info.peerApplicationToken).toBeUndefined();
  expect(info.peerMachineToken).toBeUndefined();
  return { secured: info.secured, encrypted: info.encrypted };
}
