import {
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  MAX_SDDL_LENGTH,
  type PeerToken,
  type SecureSocket,
  TOKEN_QUERY,
} from '@wsasec/core';
import { expect } from 'vitest';
import { expectThrows } from '../run/helpers.js';
import { group } from './shared.js';

const { list, add } = group('access check');
const NEEDS = ['network', 'tokens', 'accessCheck'] as const;

/** The peer machine token of `socket`, closed after the case by its SecurityInfo. */
function machineToken(ctx: { defer(fn: () => unknown): void }, socket: SecureSocket): PeerToken {
  const info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
  ctx.defer(() => info.close());
  if (!info.peerMachineToken) throw new Error('querySecurity({ tokenAccess }) returned no machine token');
  return info.peerMachineToken;
}

add('an allow ACE for Everyone grants the requested rights', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  const result = ctx.server.accessCheck(token, 'D:(A;;GA;;;WD)', FILE_GENERIC_READ);
  expect(result.granted).toBe(true);
  expect(result.grantedAccess & FILE_GENERIC_READ).toBe(FILE_GENERIC_READ);
});

add('generic rights are mapped with the file mapping', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  const read = ctx.server.accessCheck(token, 'D:(A;;FR;;;WD)', GENERIC_READ);
  expect(read).toEqual({ granted: true, grantedAccess: FILE_GENERIC_READ });
  const write = ctx.server.accessCheck(token, 'D:(A;;GW;;;WD)', FILE_GENERIC_WRITE);
  expect(write.granted).toBe(true);
});

add("an allow ACE for the token's own SID grants; one for another SID does not", NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  expect(ctx.server.accessCheck(token, `D:(A;;GA;;;${token.user.sid})`, GENERIC_READ).granted).toBe(true);
  const other = ctx.server.accessCheck(token, 'D:(A;;GA;;;S-1-5-21-1-2-3-4242)', GENERIC_READ);
  expect(other).toEqual({ granted: false, grantedAccess: 0 });
});

add('a deny ACE before the allow denies', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  const result = ctx.server.accessCheck(token, `D:(D;;GA;;;${token.user.sid})(A;;GA;;;WD)`, GENERIC_READ);
  expect(result).toEqual({ granted: false, grantedAccess: 0 });
});

add('rights the DACL does not give are denied', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  const result = ctx.server.accessCheck(token, 'D:(A;;GR;;;WD)', GENERIC_WRITE);
  expect(result.granted).toBe(false);
});

add('an empty DACL denies everything', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  expect(ctx.server.accessCheck(token, 'D:', GENERIC_READ)).toEqual({ granted: false, grantedAccess: 0 });
});

add('the user token is checked by its own SID', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
  const token = info.peerApplicationToken;
  if (!token) return ctx.skip('the client has no user, so there is no application token');
  expect(ctx.server.accessCheck(token, `D:(A;;GR;;;${token.user.sid})`, GENERIC_READ).granted).toBe(true);
  const machine = info.peerMachineToken as PeerToken;
  expect(ctx.server.accessCheck(machine, `D:(A;;GR;;;${token.user.sid})`, GENERIC_READ).granted).toBe(false);
});

add('malformed SDDL is refused with WSAEINVAL', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  for (const sddl of [
    'not sddl',
    'D:(A;;GA;;;',
    'D:(X;;GA;;;WD)',
    'D:(A;;ZZ;;;WD)',
    'D:(A;;GA;;;S-1-bogus)',
    'Q:(A;;GA;;;WD)',
  ]) {
    const error = expectThrows(() => ctx.server.accessCheck(token, sddl, GENERIC_READ), 'WSAEINVAL');
    expect(error.message.length, sddl).toBeGreaterThan(0);
  }
});

add('bad accessCheck arguments are refused with what is accepted', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const token = machineToken(ctx, accepted);
  const check = ctx.server.accessCheck.bind(ctx.server) as (...args: unknown[]) => unknown;
  expectThrows(() => check({}, 'D:(A;;GA;;;WD)', GENERIC_READ), 'ERR_WSASEC_INVALID_ARGUMENT');
  expectThrows(() => check(null, 'D:(A;;GA;;;WD)', GENERIC_READ), 'ERR_WSASEC_INVALID_ARGUMENT');
  expectThrows(() => check(token, '', GENERIC_READ), 'WSAEINVAL');
  expectThrows(() => check(token, 42, GENERIC_READ), 'WSAEINVAL');
  expectThrows(
    () => check(token, `D:${'(A;;GA;;;WD)'.repeat(MAX_SDDL_LENGTH / 12 + 1)}`, GENERIC_READ),
    'WSAEINVAL',
  );
  for (const mask of [0, -1, 1.5, 2 ** 32, Number.NaN, '8', undefined]) {
    expectThrows(() => check(token, 'D:(A;;GA;;;WD)', mask), 'WSAEINVAL');
  }
});

add('a closed token is refused with ERR_WSASEC_TOKEN_CLOSED', NEEDS, async (ctx) => {
  const { accepted } = await ctx.pair();
  const info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
  const token = info.peerMachineToken as PeerToken;
  info.close();
  expectThrows(
    () => ctx.server.accessCheck(token, 'D:(A;;GA;;;WD)', GENERIC_READ),
    'ERR_WSASEC_TOKEN_CLOSED',
  );
});

/** `accessCheck` of peer tokens against SDDL: grants, denials, mapping, malformed input. */
export const ACCESS_CHECK_CASES = list;
