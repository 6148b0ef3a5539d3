import { inspect } from 'node:util';
import { closeServer, type SecureSocket, SecureSocketError } from '@wsasec/core';
import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import { expectRejects, expectThrows } from '../run/helpers.js';
import { group, snapshot } from './shared.js';

type Row = readonly [label: string, value: unknown, code: string];
const { list, add } = group('bad input');
const PASSWORD = 'Pa55-w0rd-MARKER';
const EINVAL = 'WSAEINVAL';

const BAD_SETTINGS: readonly Row[] = [
  ['a string', 'ipsec', EINVAL],
  ['a number', 1, EINVAL],
  ['an array', [], EINVAL],
  ['a Date', new Date(0), EINVAL],
  ['an unknown field', { encrypt: true }, EINVAL],
  ['protocol 3 (INVALID)', { protocol: 3 }, EINVAL],
  ['protocol -1', { protocol: -1 }, EINVAL],
  ["protocol 'tls'", { protocol: 'tls' }, EINVAL],
  ['guaranteeEncryption as a string', { guaranteeEncryption: 'yes' }, EINVAL],
  ['allowInsecure as 1', { allowInsecure: 1 }, EINVAL],
  ["ipsec with protocol 'default'", { protocol: 'default', ipsec: {} }, EINVAL],
  ['ipsec as a string', { ipsec: 'on' }, EINVAL],
  ['an unknown ipsec field', { ipsec: { encrypt: true } }, EINVAL],
  ['an ipsec flag as a number', { ipsec: { skipFilterInstantiation: 1 } }, EINVAL],
  ['a malformed policy key', { ipsec: { mainModePolicyKey: 'not-a-guid' } }, EINVAL],
  ['a policy key as a number', { ipsec: { quickModePolicyKey: 42 } }, EINVAL],
  ['credentials without a user', { ipsec: { credentials: { password: PASSWORD } } }, EINVAL],
  ['credentials with an empty user', { ipsec: { credentials: { user: '', password: PASSWORD } } }, EINVAL],
  ['a user with a NUL', { ipsec: { credentials: { user: 'al\0ice', password: PASSWORD } } }, EINVAL],
  [
    'a user with a lone surrogate',
    { ipsec: { credentials: { user: '\uD800', password: PASSWORD } } },
    EINVAL,
  ],
  [
    'a user of 600 characters',
    { ipsec: { credentials: { user: 'u'.repeat(600), password: PASSWORD } } },
    'WSAEMSGSIZE',
  ],
  [
    'a password of 300 characters',
    { ipsec: { credentials: { user: 'alice', password: PASSWORD.repeat(19) } } },
    'WSAEMSGSIZE',
  ],
  ['a password with a NUL', { ipsec: { credentials: { user: 'alice', password: `${PASSWORD}\0` } } }, EINVAL],
  ['a password as a number', { ipsec: { credentials: { user: 'alice', password: 1234 } } }, EINVAL],
  [
    'the domain given twice',
    { ipsec: { credentials: { user: 'CONTOSO\\alice', domain: 'CONTOSO', password: PASSWORD } } },
    EINVAL,
  ],
  [
    'an unknown credentials field',
    { ipsec: { credentials: { user: 'alice', password: PASSWORD, pin: 1 } } },
    EINVAL,
  ],
];

const BAD_TARGET_NAMES: readonly Row[] = [
  ['undefined', undefined, 'WSAEFAULT'],
  ['null', null, 'WSAEFAULT'],
  ['an empty string', '', EINVAL],
  ['leading white space', ' host/server.contoso.com', EINVAL],
  ['a NUL', 'host/server\0.contoso.com', EINVAL],
  ['a lone surrogate', 'host/\uDC00', EINVAL],
  ['1025 characters', 'h'.repeat(1025), 'WSAEMSGSIZE'],
  ['a number', 42, EINVAL],
  ['an array', ['host/a'], EINVAL],
  ['an object without name', {}, EINVAL],
  ['an unknown field', { name: 'host/a', extra: 1 }, EINVAL],
  ["protocol 'tls'", { name: 'host/a', protocol: 'tls' }, EINVAL],
  ['a peerAddress string', { name: 'host/a', peerAddress: '127.0.0.1' }, EINVAL],
  ['a peerAddress host name', { name: 'host/a', peerAddress: { address: 'server.contoso.com' } }, EINVAL],
  [
    'a peerAddress port 70000',
    { name: 'host/a', peerAddress: { address: '127.0.0.1', port: 70000 } },
    EINVAL,
  ],
  [
    "a peerAddress family 'ipv5'",
    { name: 'host/a', peerAddress: { address: '127.0.0.1', family: 'ipv5' } },
    'WSAEAFNOSUPPORT',
  ],
];

const BAD_ADDRESSES: readonly Row[] = [
  ['undefined', undefined, 'WSAEFAULT'],
  ['null', null, 'WSAEFAULT'],
  ['a string', '127.0.0.1', EINVAL],
  ['a host name', { address: 'localhost' }, EINVAL],
  ['a number address', { address: 127 }, EINVAL],
  ['port -1', { address: '127.0.0.1', port: -1 }, EINVAL],
  ['port 1.5', { address: '127.0.0.1', port: 1.5 }, EINVAL],
  ['an unknown field', { address: '127.0.0.1', scope: 1 }, EINVAL],
  ['a family that does not match', { address: '127.0.0.1', family: 'ipv6' }, 'WSAEAFNOSUPPORT'],
];

/**
 * socket.connect takes net.Socket.connect's forms, so its argument errors are net's
 * (`ERR_INVALID_ARG_TYPE`, `ERR_SOCKET_BAD_PORT`); a pipe path is refused (IPsec secures TCP). Each
 * is thrown synchronously, as net throws them. A host that is no valid name and port 0 pass net's
 * argument checks and fail later: see {@link UNCONNECTABLE_TARGETS}.
 */
const BAD_CONNECT_TARGETS: readonly Row[] = [
  ['undefined', undefined, 'ERR_MISSING_ARGS'],
  ['no port', {}, 'ERR_MISSING_ARGS'],
  ['a host and no port', { host: '127.0.0.1' }, 'ERR_MISSING_ARGS'],
  ['port null', { host: '127.0.0.1', port: null }, 'ERR_INVALID_ARG_TYPE'],
  ['a pipe path (a string that is not a port)', '127.0.0.1:80', 'WSAEOPNOTSUPP'],
  ['a path option', { path: '/tmp/s' }, 'WSAEOPNOTSUPP'],
  ['a number host', { host: 127, port: 80 }, 'ERR_INVALID_ARG_TYPE'],
  ['port 65536', { host: '127.0.0.1', port: 65536 }, 'ERR_SOCKET_BAD_PORT'],
  ['port 1.5', { host: '127.0.0.1', port: 1.5 }, 'ERR_SOCKET_BAD_PORT'],
  ["port '8x'", { host: '127.0.0.1', port: '8x' }, 'ERR_SOCKET_BAD_PORT'],
  ['port true', { host: '127.0.0.1', port: true }, 'ERR_INVALID_ARG_TYPE'],
  ['timeout NaN', { host: '127.0.0.1', port: 80, timeout: Number.NaN }, 'ERR_INVALID_ARG_TYPE'],
  [
    'a signal that is not an AbortSignal',
    { host: '127.0.0.1', port: 80, signal: {} },
    'ERR_WSASEC_INVALID_ARGUMENT',
  ],
];

/**
 * Targets net accepts and then fails to reach (a failed lookup, a refused connect): the net forms
 * of socket.connect report them as net does, through 'error' and then 'close' on a later tick.
 */
const UNCONNECTABLE_TARGETS: readonly Row[] = [
  ['a host with a space', { host: 'a b', port: 80 }, EINVAL],
  ['a host of 256 characters', { host: 'h'.repeat(256), port: 80 }, EINVAL],
  ['port 0', { host: '127.0.0.1', port: 0 }, 'WSAEADDRNOTAVAIL'],
];

const BAD_QUERIES: readonly Row[] = [
  ['a string', 'tokens', EINVAL],
  ['tokenAccess -1', { tokenAccess: -1 }, EINVAL],
  ['tokenAccess 2^32', { tokenAccess: 2 ** 32 }, EINVAL],
  ['tokenAccess 1.5', { tokenAccess: 1.5 }, EINVAL],
  ["tokenAccess '8'", { tokenAccess: '8' }, EINVAL],
  ['an unknown field', { tokens: true }, EINVAL],
  ['ipsec2 as a string', { ipsec2: 'yes' }, EINVAL],
  ['fieldMask 4', { ipsec2: { fieldMask: 4 } }, EINVAL],
  ['abortOnFieldChange without a fieldMask', { ipsec2: { abortOnFieldChange: true } }, EINVAL],
  ['abortOnFieldChange as a string', { ipsec2: { fieldMask: 1, abortOnFieldChange: 'yes' } }, EINVAL],
  ['a peerAddress string', { peerAddress: '127.0.0.1' }, EINVAL],
];

/** Each row refused with its code by `call`, all leaving `socket`'s state as it was. */
function refuseEach(
  ctx: CaseContext,
  rows: readonly Row[],
  call: (socket: SecureSocket, value: never) => unknown,
) {
  const socket = ctx.socket();
  const before = snapshot(socket);
  for (const [label, value, code] of rows) {
    const error = expectThrows(() => call(socket, value as never), code);
    expect(error.message, label).not.toContain(PASSWORD);
  }
  expect(snapshot(socket)).toEqual(before);
  return socket;
}

add('setSecurity refuses every malformed setting and stays usable', [], (ctx) => {
  const socket = refuseEach(ctx, BAD_SETTINGS, (s, v) => s.setSecurity(v));
  socket.setSecurity({ guaranteeEncryption: true });
});

add('setPeerTargetName refuses every malformed name and stays usable', [], (ctx) => {
  const socket = refuseEach(ctx, BAD_TARGET_NAMES, (s, v) => s.setPeerTargetName(v));
  socket.setPeerTargetName(ctx.fixture.serverTargetName);
});

add('deletePeerTargetName refuses every malformed address', [], (ctx) => {
  refuseEach(ctx, BAD_ADDRESSES, (s, v) => s.deletePeerTargetName(v));
});

add('querySecurity refuses every malformed query', [], (ctx) => {
  refuseEach(ctx, BAD_QUERIES, (s, v) => s.querySecurity(v));
});

add('socket.connect refuses every malformed target and stays unconnected', [], async (ctx) => {
  const socket = ctx.socket();
  socket.setSecurity();
  for (const [, value, code] of BAD_CONNECT_TARGETS) {
    expectThrows(() => socket.connect(value as never), code);
    expect(snapshot(socket).phase).toBe('created');
  }
});

add("socket.connect to an unreachable target reports 'error' then 'close', as net", [], async (ctx) => {
  for (const [label, value, code] of UNCONNECTABLE_TARGETS) {
    const socket = ctx.socket();
    socket.setSecurity();
    const events: string[] = [];
    socket.on('connect', () => events.push('connect'));
    socket.on('error', (error: SecureSocketError) => events.push(`error ${error.code}`));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    expect(socket.connect(value as never), label).toBe(socket);
    expect(socket.connecting, label).toBe(true);
    expect(events, label).toEqual([]);
    await closed;
    expect(events, label).toEqual([`error ${code}`]);
    expect(snapshot(socket).phase, label).toBe('closed');
  }
});

add('impersonatePeer refuses a callback that is not a function', [], (ctx) => {
  const socket = ctx.socket();
  for (const fn of [undefined, null, 42, 'fn', {}]) {
    expectThrows(() => socket.impersonatePeer(fn as never), 'ERR_WSASEC_INVALID_ARGUMENT');
  }
});

add('createSocket refuses malformed options', [], (ctx) => {
  const rows: Row[] = [
    ['a string', 'stream', EINVAL],
    ['null', null, EINVAL],
    ["family 'ipv5'", { family: 'ipv5' }, 'WSAEAFNOSUPPORT'],
    ['family 23', { family: 23 }, 'WSAEAFNOSUPPORT'],
    ["type 'raw'", { type: 'raw' }, EINVAL],
    ['type 1', { type: 1 }, EINVAL],
    ['an unknown field', { protocol: 'tcp' }, EINVAL],
  ];
  for (const [, value, code] of rows) expectThrows(() => ctx.client.createSocket(value as never), code);
});

add('backend.connect refuses malformed options before touching the network', [], async (ctx) => {
  const listening = ctx.capabilities.network ? await ctx.listen() : undefined;
  const port = listening?.port ?? 9;
  const aborted = new AbortController();
  aborted.abort();
  const target = { host: '127.0.0.1', port };
  const rows: Row[] = [
    ['undefined', undefined, 'WSAEFAULT'],
    ['a string', `127.0.0.1:${port}`, 'WSAEFAULT'],
    ['no host', { port }, EINVAL],
    ['port 0', { ...target, port: 0 }, 'WSAEADDRNOTAVAIL'],
    ['an unknown field', { ...target, tls: true }, EINVAL],
    ["family 'ipv5'", { ...target, family: 'ipv5' }, 'WSAEAFNOSUPPORT'],
    ['bad security', { ...target, security: { protocol: 'tls' } }, EINVAL],
    ['an empty target name', { ...target, peerTargetName: '' }, EINVAL],
    ['a target name of 2000 characters', { ...target, peerTargetName: 'h'.repeat(2000) }, 'WSAEMSGSIZE'],
    ['timeout -5', { ...target, timeout: -5 }, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['a string signal', { ...target, signal: 'abort' }, 'ERR_WSASEC_INVALID_ARGUMENT'],
    ['an aborted signal', { ...target, signal: aborted.signal }, 'ERR_WSASEC_ABORTED'],
    [
      'bad credentials',
      { ...target, security: { ipsec: { credentials: { user: '', password: PASSWORD } } } },
      EINVAL,
    ],
  ];
  for (const [label, value, code] of rows) {
    const error = await expectRejects(
      Promise.resolve().then(() => ctx.client.connect(value as never)),
      code,
      label,
    );
    expect(error.message).not.toContain(PASSWORD);
  }
  if (listening) {
    expect(listening.accepted).toHaveLength(0);
    expect(listening.server.connections).toBe(0);
  }
});

add('createServer and listen refuse malformed options', [], async (ctx) => {
  const createRows: Row[] = [
    ['a string (net: ERR_INVALID_ARG_TYPE)', 'server', 'ERR_INVALID_ARG_TYPE'],
    ['an array', [], EINVAL],
    ['bad security', { security: 'ipsec' }, EINVAL],
    ["family 'ipv5'", { family: 'ipv5' }, 'WSAEAFNOSUPPORT'],
    ['an unknown field', { port: 80 }, EINVAL],
  ];
  for (const [, value, code] of createRows) expectThrows(() => ctx.server.createServer(value as never), code);
  expectThrows(() => ctx.server.createServer({}, 'callback' as never), 'ERR_WSASEC_INVALID_ARGUMENT');
  const server = ctx.server.createServer({ family: 'ipv4' });
  ctx.defer(() => closeServer(server));
  // net's listen forms: bad arguments throw at once, with net's codes where net has one.
  const listenRows: Row[] = [
    ['a pipe path', '127.0.0.1', 'WSAEOPNOTSUPP'],
    ['options with a path', { path: '/tmp/wsasec.sock' }, 'WSAEOPNOTSUPP'],
    ['options without a port (net requires it)', { host: '127.0.0.1' }, 'ERR_INVALID_ARG_VALUE'],
    ['empty options', {}, 'ERR_INVALID_ARG_VALUE'],
    ['a host name', { host: 'localhost', port: 0 }, EINVAL],
    ['an address of the other family', { host: '::1', port: 0 }, 'WSAEAFNOSUPPORT'],
    ['port -1', { port: -1 }, 'ERR_SOCKET_BAD_PORT'],
    ['port 65536', { port: 65536 }, 'ERR_SOCKET_BAD_PORT'],
    ['port 1.5', { port: 1.5 }, 'ERR_SOCKET_BAD_PORT'],
    ['backlog -1', { port: 0, backlog: -1 }, EINVAL],
    ['backlog 1.5', { port: 0, backlog: 1.5 }, EINVAL],
    ['an unknown field', { port: 0, reuseAddress: true }, 'ERR_INVALID_ARG_VALUE'],
    ['reusePort', { port: 0, reusePort: true }, 'WSAEOPNOTSUPP'],
    ['a signal that is not an AbortSignal', { port: 0, signal: 'stop' }, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [label, value, code] of listenRows) {
    const error = expectThrows(() => server.listen(value as never, () => {}), code);
    // Net's own codes carry net's messages (which name the option); the rest name the call.
    expect(error.message, label).toMatch(code.startsWith('ERR_') ? /options|port|listen/ : /listen/);
  }
  expectThrows(() => server.listen(-1), 'ERR_SOCKET_BAD_PORT');
  expectThrows(() => server.listen(0, '::1'), 'WSAEAFNOSUPPORT');
  expect(server.listenerCount('listening'), 'a refused listen left its callback registered').toBe(0);
  expect(server.listening).toBe(false);
  expect(server.address()).toBeNull();
});

add('credentials given as a string are refused without echoing it (it may hold a password)', [], (ctx) => {
  const socket = ctx.socket();
  for (const credentials of [`CONTOSO\\alice:${PASSWORD}`, PASSWORD]) {
    const error = expectThrows(() => socket.setSecurity({ ipsec: { credentials } } as never), EINVAL);
    expect(inspect(error)).not.toContain(PASSWORD);
  }
});

add('no error ever shows the password of explicit credentials', [], async (ctx) => {
  const errors: unknown[] = [];
  for (const [, value] of BAD_SETTINGS) {
    try {
      ctx.socket().setSecurity(value as never);
    } catch (error) {
      errors.push(error);
    }
  }
  if (ctx.capabilities.network) {
    const listening = await ctx.listen();
    // Wrong credentials: whether the backend checks them or not, no failure may print them.
    try {
      await ctx.connect(listening, {
        client: { ipsec: { credentials: { user: 'alice', password: PASSWORD } } },
      });
    } catch (error) {
      errors.push(error);
    }
  }
  expect(errors.length).toBeGreaterThan(10);
  for (const error of errors) {
    expect(SecureSocketError.isInstance(error)).toBe(true);
    expect(inspect(error, { depth: 5 })).not.toContain(PASSWORD);
    expect(JSON.stringify(error)).not.toContain(PASSWORD);
  }
});

/** Malformed input of every kind on every method, and passwords kept out of every error. */
export const BAD_INPUT_CASES = list;
