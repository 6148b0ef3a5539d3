import { once } from 'node:events';
import * as net from 'node:net';
import {
  IPSEC_IKE_ERRORS as IKE,
  type SecureSocketError,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
  TOKEN_QUERY,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { contosoRealm, Harness, nextConnection, QM_INTEGRITY, readAll } from '../support/fixture.js';

const h = new Harness();
const plain: net.Server[] = [];
const plainSockets = new Set<net.Socket>();
afterEach(async () => {
  await h.close();
  for (const s of plainSockets) s.destroy();
  await Promise.all(plain.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const SECRET = 'SECRET-payload-4c1e';

async function plainServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer((s) => {
    plainSockets.add(s);
    s.on('error', () => {});
    onSocket(s);
  });
  plain.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function machines() {
  const realm = contosoRealm();
  return {
    server: h.backend({ realm, machine: 'server.contoso.com', clearFallbackDelay: 300, announceDelay: 50 }),
    client: h.backend({ realm, machine: 'client.contoso.com', clearFallbackDelay: 300 }),
  };
}

describe('allowInsecure against peers that do not speak the model', () => {
  it('client → plain net server: clear text with flags 0 on the sim side, nothing but the data on the wire', async () => {
    const { client } = machines();
    const received: Buffer[] = [];
    const port = await plainServer((s) => {
      s.on('data', (d) => {
        received.push(d);
        s.write(d);
      });
    });
    const socket = h.keep(
      await client.connect({
        host: '127.0.0.1',
        port,
        security: { protocol: 'ipsec2', allowInsecure: true },
      }),
    );
    using info = socket.querySecurity({
      tokenAccess: TOKEN_QUERY,
      ipsec2: { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID },
    });
    expect(info.flags).toBe(0);
    expect(info.peerMachineToken).toBeUndefined();
    expect(info.qmSaId).toBe(0n);
    // The negotiation that did not happen is reported as a timeout, as IKE's would be.
    expect(info.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_TIMED_OUT);
    socket.write('hello in clear');
    const [echo] = await once(socket, 'data');
    expect(echo.toString()).toBe('hello in clear');
    expect(Buffer.concat(received).toString()).toBe('hello in clear');
    expect(() => socket.impersonatePeer(() => 1)).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
  });

  it('a plain server that speaks first is taken as clear at once, with its greeting delivered', async () => {
    const { client } = machines();
    const port = await plainServer((s) => s.write('220 plain greeting\r\n'));
    const socket = h.keep(
      await client.connect({ host: '127.0.0.1', port, security: { allowInsecure: true } }),
    );
    expect(socket.querySecurity().flags).toBe(0);
    const [greeting] = await once(socket, 'data');
    expect(greeting.toString()).toBe('220 plain greeting\r\n');
  });

  it('plain net client → server with allowInsecure: accepted in clear, flags 0 on the sim side', async () => {
    const { server } = machines();
    const { server: srv, port } = await h.server(server, { security: { allowInsecure: true } });
    const accepted = nextConnection(srv);
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    await once(c, 'connect');
    c.write('plain request');
    const peer = h.keep(await accepted);
    expect(peer.querySecurity().flags).toBe(0);
    peer.end('plain answer');
    const answer: Buffer[] = [];
    c.on('data', (d) => answer.push(d));
    c.end();
    expect((await readAll(peer)).toString()).toBe('plain request');
    await once(c, 'close');
    expect(Buffer.concat(answer).toString()).toBe('plain answer');
  });

  it('without allowInsecure the client fails against a plain server and nothing leaves in clear', async () => {
    const { client } = machines();
    const received: Buffer[] = [];
    const port = await plainServer((s) => s.on('data', (d) => received.push(d)));
    const socket = client.createSocket();
    socket.on('error', () => {});
    socket.setSecurity();
    socket.write(SECRET);
    const error = (await once(
      socket.connect({ host: '127.0.0.1', port, signal: AbortSignal.timeout(500) }),
      'connect',
    ).catch((e) => e)) as SecureSocketError;
    expect(['ERR_WSASEC_ABORTED', 'ERR_WSASEC_NEGOTIATION_FAILED']).toContain(error.code);
    expect(socket.destroyed).toBe(true);
    expect(Buffer.concat(received).includes(SECRET)).toBe(false);
  });

  it('without allowInsecure the server delivers nothing of a plain client', async () => {
    const { server } = machines();
    const { server: srv, port } = await h.server(server);
    const refusals: SecureSocketError[] = [];
    srv.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
    let delivered = 0;
    srv.on('connection', () => delivered++);
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    c.resume();
    await once(c, 'connect');
    c.write(SECRET);
    await once(c, 'close');
    expect(delivered).toBe(0);
    expect(refusals[0]?.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_HEADER);
  });

  it('a failed negotiation with a server of the model falls back to clear only when both allow it', async () => {
    const { server, client } = machines();
    // The server only offers integrity: a client guaranteeing encryption fails, never falls back.
    const strict = await h.server(server, { security: { ipsec: { quickModePolicyKey: QM_INTEGRITY } } });
    strict.server.on('negotiationError', () => {});
    const e1 = (await client
      .connect({
        host: '127.0.0.1',
        port: strict.port,
        security: { guaranteeEncryption: true, allowInsecure: true },
      })
      .catch((e) => e)) as SecureSocketError;
    expect(e1.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_POLICY_MATCH);
    // A server that accepts clear text and fails the negotiation: the lenient client retries in clear.
    const lenient = await h.server(server, {
      security: { allowInsecure: true, ipsec: { quickModePolicyKey: QM_INTEGRITY } },
    });
    lenient.server.on('negotiationError', () => {});
    const socket = h.keep(
      await client.connect({
        host: '127.0.0.1',
        port: lenient.port,
        security: {
          protocol: 'ipsec2',
          allowInsecure: true,
          ipsec: { quickModePolicyKey: '22222222-2222-4222-8222-222222222222' },
        },
      }),
    );
    using info = socket.querySecurity({ ipsec2: {} });
    expect(info.flags).toBe(0);
    expect(info.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_POLICY_MATCH);
  });

  it('two lenient peers of the model still negotiate (the server announces itself to a silent client)', async () => {
    const { server, client } = machines();
    const { port } = await h.server(server, { security: { allowInsecure: true } });
    const socket = h.keep(
      await client.connect({
        host: '127.0.0.1',
        port,
        security: { allowInsecure: true },
        peerTargetName: 'host/server.contoso.com',
      }),
    );
    expect(socket.querySecurity().secured).toBe(true);
  });
});

describe('allowFirstInboundPacketUnencrypted (server)', () => {
  const security = { ipsec: { allowFirstInboundPacketUnencrypted: true } };

  it('accepts a client that does not speak the model, in clear', async () => {
    const { server } = machines();
    const { server: srv, port } = await h.server(server, { security });
    const accepted = nextConnection(srv);
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    c.end('first packet in clear');
    const peer = h.keep(await accepted);
    expect(peer.querySecurity().flags).toBe(0);
    expect((await readAll(peer)).toString()).toBe('first packet in clear');
  });

  it('still negotiates with a client that does, and refuses one whose negotiation fails (no fallback)', async () => {
    const { server, client } = machines();
    const { server: srv, port } = await h.server(server, {
      security: { ipsec: { allowFirstInboundPacketUnencrypted: true, quickModePolicyKey: QM_INTEGRITY } },
    });
    const refusals: SecureSocketError[] = [];
    srv.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
    const ok = h.keep(await client.connect({ host: '127.0.0.1', port }));
    expect(ok.querySecurity().secured).toBe(true);
    const error = (await client
      .connect({ host: '127.0.0.1', port, security: { guaranteeEncryption: true } })
      .catch((e) => e)) as SecureSocketError;
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_POLICY_MATCH);
    await new Promise((r) => setTimeout(r, 20));
    expect(refusals.map((e) => e.negotiationError)).toEqual([IKE.ERROR_IPSEC_IKE_POLICY_MATCH]);
  });
});
