import * as dgram from 'node:dgram';
import {
  type DatagramRemoteInfo,
  type SecureDatagramSocket,
  type SecuritySettings,
  SOCKET_INFO_CONNECTION_SECURED,
  TOKEN_QUERY,
} from '@wsasec/core';
import { expect } from 'vitest';
import type { CaseContext } from '../run/context.js';
import { expectRejects, expectThrows, within } from '../run/helpers.js';
import { group, snapshot } from './shared.js';

const { list, add } = group('datagram');

const LOOPBACK = '127.0.0.1';

/** The next message `socket` receives. */
function nextMessage(socket: SecureDatagramSocket, what: string): Promise<[Buffer, DatagramRemoteInfo]> {
  return within(
    new Promise((resolve) =>
      socket.once('message', (msg: Buffer, rinfo: DatagramRemoteInfo) => resolve([msg, rinfo])),
    ),
    what,
  );
}

/** A bound server datagram socket and a client one, secured (default settings unless told). */
async function datagramPair(
  ctx: CaseContext,
  opts: { client?: SecuritySettings; server?: SecuritySettings; targetName?: string | null } = {},
) {
  const server = ctx.datagram({}, ctx.server);
  server.setSecurity(opts.server);
  const bound = await server.bind({ address: LOOPBACK });
  const client = ctx.datagram();
  client.setSecurity(opts.client);
  const serverAddress = { address: LOOPBACK, port: bound.port };
  const name = opts.targetName === undefined ? ctx.fixture.serverTargetName : opts.targetName;
  if (name !== null) client.setPeerTargetName({ name, peerAddress: serverAddress });
  await client.bind({ address: LOOPBACK });
  return { server, client, serverAddress };
}

/** The client sends `data` and the server receives it; returns where it came from. */
async function exchange(ctx: CaseContext, opts: Parameters<typeof datagramPair>[1] = {}) {
  const pair = await datagramPair(ctx, opts);
  const arriving = nextMessage(pair.server, 'the datagram at the server');
  await within(pair.client.send('hello over udp', pair.serverAddress), 'the first send (negotiation)');
  const [msg, rinfo] = await arriving;
  expect(msg.toString()).toBe('hello over udp');
  return { ...pair, rinfo, clientAddress: { address: rinfo.address, port: rinfo.port } };
}

add('datagram setPeerTargetName without a peer address is refused with WSAEINVAL', ['datagram'], (ctx) => {
  const socket = ctx.datagram();
  expectThrows(() => socket.setPeerTargetName('host/server.contoso.com' as never), 'WSAEINVAL');
  expectThrows(() => socket.setPeerTargetName({ name: 'host/server.contoso.com' }), 'WSAEINVAL');
  expect(snapshot(socket).targetNames).toEqual([]);
});

add('datagram setPeerTargetName with a zero peer address is refused with WSAEINVAL', ['datagram'], (ctx) => {
  const socket = ctx.datagram();
  expectThrows(
    () =>
      socket.setPeerTargetName({ name: 'host/a.contoso.com', peerAddress: { address: '0.0.0.0', port: 0 } }),
    'WSAEINVAL',
  );
  const v6 = ctx.datagram({ family: 'ipv6' });
  expectThrows(
    () => v6.setPeerTargetName({ name: 'host/a.contoso.com', peerAddress: { address: '::', port: 0 } }),
    'WSAEINVAL',
  );
});

add(
  'datagram sockets keep one target name per peer; deletePeerTargetName removes one',
  ['datagram'],
  (ctx) => {
    const socket = ctx.datagram();
    socket.setSecurity();
    socket.setPeerTargetName({
      name: 'host/a.contoso.com',
      peerAddress: { address: '127.0.0.1', port: 500 },
    });
    socket.setPeerTargetName({
      name: 'host/b.contoso.com',
      peerAddress: { address: '127.0.0.2', port: 500 },
    });
    expect(
      snapshot(socket)
        .targetNames.map(([, name]) => name)
        .sort(),
    ).toEqual(['host/a.contoso.com', 'host/b.contoso.com']);
    socket.deletePeerTargetName({ address: '127.0.0.1', port: 500 });
    expect(snapshot(socket).targetNames.map(([, name]) => name)).toEqual(['host/b.contoso.com']);
    socket.deletePeerTargetName({ address: '127.0.0.1', port: 27015 });
    expect(snapshot(socket).targetNames).toHaveLength(1);
  },
);

add('datagram querySecurity without a peer address is refused with WSAEMSGSIZE', ['datagram'], (ctx) => {
  const socket = ctx.datagram();
  socket.setSecurity();
  expectThrows(() => socket.querySecurity(undefined as never), 'WSAEMSGSIZE');
  expectThrows(() => socket.querySecurity({ tokenAccess: 8 } as never), 'WSAEMSGSIZE');
  expectThrows(() => socket.querySecurity({ peerAddress: { address: '0.0.0.0', port: 0 } }), 'WSAEINVAL');
});

add('datagram impersonatePeer without a peer address is refused with WSAEFAULT', ['datagram'], (ctx) => {
  const socket = ctx.datagram();
  socket.setSecurity();
  let ran = false;
  expectThrows(
    () =>
      socket.impersonatePeer(() => {
        ran = true;
      }, undefined as never),
    'WSAEFAULT',
  );
  expect(ran).toBe(false);
});

add('an address of the other family is refused with WSAEAFNOSUPPORT', ['datagram'], async (ctx) => {
  const socket = ctx.datagram();
  const v6 = { address: '::1', port: 500 };
  expectThrows(
    () => socket.setPeerTargetName({ name: 'host/a.contoso.com', peerAddress: v6 }),
    'WSAEAFNOSUPPORT',
  );
  expectThrows(() => socket.deletePeerTargetName(v6), 'WSAEAFNOSUPPORT');
  expectThrows(() => socket.querySecurity({ peerAddress: v6 }), 'WSAEAFNOSUPPORT');
  expectThrows(() => socket.impersonatePeer(() => 1, v6), 'WSAEAFNOSUPPORT');
  await expectRejects(socket.send('x', v6), 'WSAEAFNOSUPPORT');
  await expectRejects(socket.bind({ address: '::1' }), 'WSAEAFNOSUPPORT');
});

add('datagram setSecurity after bind is refused with WSAEINVAL', ['datagram'], async (ctx) => {
  const socket = ctx.datagram();
  await socket.bind({ address: LOOPBACK });
  const before = snapshot(socket);
  expectThrows(() => socket.setSecurity(), 'WSAEINVAL');
  expect(snapshot(socket)).toEqual(before);
});

add(
  'datagram querySecurity and impersonatePeer for a peer without an SA are refused with WSAEINVAL',
  ['datagram'],
  (ctx) => {
    const socket = ctx.datagram();
    socket.setSecurity();
    const stranger = { address: LOOPBACK, port: 9 };
    expectThrows(() => socket.querySecurity({ peerAddress: stranger }), 'WSAEINVAL');
    let ran = false;
    expectThrows(() => socket.impersonatePeer(() => (ran = true), stranger), 'WSAEINVAL');
    expect(ran).toBe(false);
  },
);

add('every call on a closed datagram socket is refused with WSAENOTSOCK', ['datagram'], async (ctx) => {
  const socket = ctx.datagram();
  await new Promise<void>((resolve) => socket.close(resolve));
  const peer = { address: LOOPBACK, port: 9 };
  expectThrows(() => socket.setSecurity(), 'WSAENOTSOCK');
  expectThrows(() => socket.setPeerTargetName({ name: 'host/x', peerAddress: peer }), 'WSAENOTSOCK');
  expectThrows(() => socket.deletePeerTargetName(peer), 'WSAENOTSOCK');
  expectThrows(() => socket.querySecurity({ peerAddress: peer }), 'WSAENOTSOCK');
  expectThrows(() => socket.impersonatePeer(() => 1, peer), 'WSAENOTSOCK');
  await expectRejects(socket.bind(), 'WSAENOTSOCK');
  await expectRejects(socket.send('x', peer), 'WSAENOTSOCK');
  expect(snapshot(socket).phase).toBe('closed');
});

add('a datagram reaches a secured peer and both ends report the peer secured', ['datagram'], async (ctx) => {
  const { client, server, serverAddress, rinfo, clientAddress } = await exchange(ctx);
  expect(rinfo).toMatchObject({ address: LOOPBACK, family: 'IPv4', size: 14 });
  expect(rinfo.port).toBe(client.address().port);
  const reply = nextMessage(client, 'the reply at the client');
  await within(server.send(Buffer.from('pong'), clientAddress), 'the reply');
  const [msg, from] = await reply;
  expect(msg.toString()).toBe('pong');
  expect(from.port).toBe(serverAddress.port);
  using atClient = client.querySecurity({ peerAddress: serverAddress });
  using atServer = server.querySecurity({ peerAddress: clientAddress });
  expect(atClient.flags & SOCKET_INFO_CONNECTION_SECURED).toBe(SOCKET_INFO_CONNECTION_SECURED);
  expect(atServer.flags & SOCKET_INFO_CONNECTION_SECURED).toBe(SOCKET_INFO_CONNECTION_SECURED);
  expect(atClient.peerMachineToken).toBeUndefined();
});

add('many datagrams to one peer negotiate once and arrive whole', ['datagram'], async (ctx) => {
  const { client, server, serverAddress } = await exchange(ctx);
  const got: string[] = [];
  const all = within(
    new Promise<void>((resolve) =>
      server.on('message', (msg: Buffer) => {
        got.push(msg.toString());
        if (got.length === 20) resolve();
      }),
    ),
    '20 datagrams at the server',
  );
  for (let i = 0; i < 20; i++) await client.send(`datagram ${i}`, serverAddress);
  await all;
  // Loopback neither loses nor reorders here, and each datagram arrives once.
  expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `datagram ${i}`).sort());
});

add(
  'datagram query tokens name the peer machine and are owned by the caller',
  ['datagram', 'tokens'],
  async (ctx) => {
    const { server, clientAddress } = await exchange(ctx);
    const info = server.querySecurity({ peerAddress: clientAddress, tokenAccess: TOKEN_QUERY });
    const machine = info.peerMachineToken;
    expect(machine?.kind).toBe('machine');
    const expected = ctx.fixture.expected?.clientMachine;
    if (expected !== undefined) expect(machine?.user.name?.toLowerCase()).toBe(expected.toLowerCase());
    info.close();
    expect(machine?.closed).toBe(true);
  },
);

add(
  'datagram impersonatePeer runs as the sender of a datagram',
  ['datagram', 'impersonation'],
  async (ctx) => {
    const { server, clientAddress } = await exchange(ctx);
    const self = ctx.server.currentIdentity();
    const inside = server.impersonatePeer(() => ctx.server.currentIdentity(), clientAddress);
    expect(inside.sid).not.toBe(self.sid);
    const expected = ctx.fixture.expected?.clientUser ?? ctx.fixture.expected?.clientMachine;
    if (expected !== undefined) expect(inside.name?.toLowerCase()).toBe(expected.toLowerCase());
    expect(ctx.server.currentIdentity()).toEqual(self);
  },
);

add(
  'a wrong per-peer target name fails the first send and nothing is delivered',
  ['datagram', 'peerNameVerification'],
  async (ctx) => {
    const { client, server, serverAddress } = await datagramPair(ctx, { targetName: ctx.wrongTargetName });
    const delivered: Buffer[] = [];
    server.on('message', (msg: Buffer) => delivered.push(msg));
    await expectRejects(within(client.send('secret', serverAddress), 'the refused send'), [
      'ERR_WSASEC_PEER_NAME_MISMATCH',
      'ERR_WSASEC_NEGOTIATION_FAILED',
    ]);
    expect(delivered).toEqual([]);
    expectThrows(() => client.querySecurity({ peerAddress: serverAddress }), 'WSAEINVAL');
  },
);

add('setPeerTargetName for a peer already sent to is refused with WSAEINVAL', ['datagram'], async (ctx) => {
  const { client, serverAddress } = await exchange(ctx);
  expectThrows(
    () => client.setPeerTargetName({ name: ctx.fixture.serverTargetName, peerAddress: serverAddress }),
    'WSAEINVAL',
  );
});

add(
  'a secured datagram socket drops clear-text datagrams from a peer without an SA',
  ['datagram'],
  async (ctx) => {
    const { client, server, serverAddress } = await datagramPair(ctx);
    const plain = dgram.createSocket('udp4');
    ctx.defer(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    await new Promise<void>((resolve) => plain.bind(0, LOOPBACK, resolve));
    const delivered: string[] = [];
    server.on('message', (msg: Buffer) => delivered.push(msg.toString()));
    await new Promise<void>((resolve, reject) =>
      plain.send('clear text', serverAddress.port, LOOPBACK, (error) => (error ? reject(error) : resolve())),
    );
    // A secured datagram sent after the clear one proves the clear one had its chance to arrive.
    const secured = nextMessage(server, 'the secured datagram');
    await within(client.send('secured', serverAddress), 'the secured send');
    await secured;
    expect(delivered).toEqual(['secured']);
    expectThrows(
      () => server.querySecurity({ peerAddress: { address: LOOPBACK, port: plain.address().port } }),
      'WSAEINVAL',
    );
  },
);

add(
  'under allowInsecure a datagram socket accepts clear text from a peer without security',
  ['datagram', 'allowInsecure'],
  async (ctx) => {
    const server = ctx.datagram({}, ctx.server);
    server.setSecurity({ allowInsecure: true });
    const { port } = await server.bind({ address: LOOPBACK });
    const plain = dgram.createSocket('udp4');
    ctx.defer(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    await new Promise<void>((resolve) => plain.bind(0, LOOPBACK, resolve));
    const arriving = nextMessage(server, 'the clear-text datagram');
    await new Promise<void>((resolve, reject) =>
      plain.send('clear text', port, LOOPBACK, (error) => (error ? reject(error) : resolve())),
    );
    const [msg, rinfo] = await arriving;
    expect(msg.toString()).toBe('clear text');
    using info = server.querySecurity({ peerAddress: { address: rinfo.address, port: rinfo.port } });
    expect(info.flags).toBe(0);
  },
);

/** The datagram cases. */
export const DATAGRAM_CASES = list;
