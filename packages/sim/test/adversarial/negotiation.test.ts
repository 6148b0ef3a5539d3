import { once } from 'node:events';
import * as net from 'node:net';
import { IPSEC_IKE_ERRORS as IKE, type SecureSocket, type SecureSocketError } from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { contosoRealm } from '../support/fixture.js';
import { flip } from '../support/mitm.js';
import { closeAll, h, SECRET, TARGET, through, world } from './helpers.js';

afterEach(closeAll);

describe('a man in the middle on the negotiation', () => {
  it('a changed INIT (the order of the offered transforms swapped) fails the signature check', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => {
        if (u.kind !== 'record' || u.type !== 1) return u.bytes;
        // INIT body: version, nonce (32), key (32), SPI (4), count, proposals: swap the two offers.
        const b = Buffer.from(u.bytes);
        const at = 9 + 1 + 32 + 32 + 4 + 1;
        [b[at], b[at + 1]] = [b[at + 1] as number, b[at] as number];
        return b;
      },
    });
    const error = (await w.client
      .connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE);
    expect(w.accepted).toHaveLength(0);
  });

  it('a downgrade of guaranteed encryption to integrity only is refused', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => {
        if (u.kind !== 'record' || u.type !== 1) return u.bytes;
        const b = Buffer.from(u.bytes);
        const at = 9 + 1 + 32 + 32 + 4 + 1;
        if (b[at] === 2) b[at] = 1;
        return b;
      },
    });
    const error = (await w.client
      .connect({
        host: '127.0.0.1',
        port: mitm.port,
        peerTargetName: TARGET,
        security: { guaranteeEncryption: true },
      })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect([IKE.ERROR_IPSEC_IKE_POLICY_MATCH, IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE]).toContain(
      error.negotiationError,
    );
    expect(w.accepted).toHaveLength(0);
  });

  it('a flipped bit in RESP fails the client with INVALID_SIGNATURE; the server delivers nothing', async () => {
    const w = await world();
    const mitm = await through(w, {
      down: (u) => (u.kind === 'record' && u.type === 2 ? flip(u.bytes, 20) : u.bytes),
    });
    const error = (await w.client
      .connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE);
    expect(w.accepted).toHaveLength(0);
  });

  it('a flipped bit in AUTH is refused by the server with INVALID_SIGNATURE, and the client learns it', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'record' && u.type === 3 ? flip(u.bytes, 40) : u.bytes),
    });
    const error = (await w.client
      .connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE);
    await new Promise((r) => setTimeout(r, 20));
    expect(w.accepted).toHaveLength(0);
    expect(w.refusals.map((e) => e.negotiationError)).toContain(IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE);
  });

  it("a RESP replayed from an earlier negotiation is refused (it answers another client's keys)", async () => {
    const w = await world();
    let recorded: Buffer | undefined;
    const recorder = await through(w, {
      down: (u) => {
        if (u.kind === 'record' && u.type === 2) recorded = Buffer.from(u.bytes);
        return u.bytes;
      },
    });
    h.keep(
      await w.client.connect({ host: '127.0.0.1', port: recorder.port, peerTargetName: TARGET }),
    ).destroy();
    expect(recorded).toBeDefined();
    const replayer = await through(w, {
      down: (u) => (u.kind === 'record' && u.type === 2 ? (recorded as Buffer) : u.bytes),
    });
    const error = (await w.client
      .connect({ host: '127.0.0.1', port: replayer.port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_SIGNATURE);
  });

  it('stripping the negotiation (the MITM answers in clear) never lets a byte out in clear', async () => {
    // The attacker terminates TCP itself and plays a peer without security.
    const received: Buffer[] = [];
    const fake = net.createServer((s) => {
      s.on('data', (d) => received.push(d));
      s.on('error', () => {});
      s.write('HTTP/1.1 200 OK\r\n\r\n');
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const realm = contosoRealm();
      const client = h.backend({ realm, machine: 'client.contoso.com', handshakeTimeout: 500 });
      const socket = client.createSocket();
      socket.on('error', () => {});
      socket.setSecurity();
      socket.setPeerTargetName(TARGET);
      socket.write(SECRET);
      const error = (await once(
        socket.connect({ host: '127.0.0.1', port: (fake.address() as net.AddressInfo).port }),
        'connect',
      ).catch((e: SecureSocketError) => e)) as SecureSocketError;
      expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
      expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_HEADER);
      expect(socket.destroyed).toBe(true);
      expect(Buffer.concat(received).includes(SECRET)).toBe(false);
    } finally {
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });

  it('another valid machine of the realm (a trusted man in the middle) is refused by the target name', async () => {
    const realm = contosoRealm();
    const rogue = h.backend({ realm, machine: 'rogue.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const delivered: SecureSocket[] = [];
    const { port } = await h.server(rogue, {}, (s) => {
      s.on('error', () => {});
      delivered.push(s);
    });
    const error = (await client
      .connect({ host: '127.0.0.1', port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE);
    expect(error.message).toMatch(/ROGUE\$/);
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered).toHaveLength(0);
  });

  it('a machine of another realm (same names, another CA) fails authentication', async () => {
    const ours = contosoRealm();
    const theirs = contosoRealm();
    const fakeServer = h.backend({ realm: theirs, machine: 'server.contoso.com' });
    const client = h.backend({ realm: ours, machine: 'client.contoso.com' });
    const { port } = await h.server(fakeServer, {});
    const error = (await client
      .connect({ host: '127.0.0.1', port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTH_FAIL);
  });
});

describe('a slow or greedy client cannot take the server down', () => {
  it('a client that never negotiates is dropped after handshakeTimeout with TIMED_OUT', async () => {
    const w = await world({ handshakeTimeout: 150 });
    const idle = net.connect(w.port, '127.0.0.1');
    idle.on('error', () => {});
    idle.resume();
    const [error] = (await once(w.srv, 'negotiationError')) as [SecureSocketError];
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_TIMED_OUT);
    await once(idle, 'close');
    expect(w.accepted).toHaveLength(0);
  });

  it('a negotiation record claiming a huge length is refused at once', async () => {
    const w = await world();
    const raw = net.connect(w.port, '127.0.0.1');
    raw.on('error', () => {});
    raw.resume();
    const header = Buffer.from('WSKE\x01\xff\xff\xff\xff', 'latin1');
    raw.write(header);
    const [error] = (await once(w.srv, 'negotiationError')) as [SecureSocketError];
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_INVALID_HEADER);
    await once(raw, 'close');
  });

  it('more concurrent negotiations than maxConcurrentHandshakes are refused with RATELIMIT_DROP', async () => {
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com', maxConcurrentHandshakes: 2 });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { server: srv, port } = await h.server(server, {});
    srv.on('negotiationError', () => {});
    const hogs = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    for (const s of hogs) s.on('error', () => {});
    await Promise.all(hogs.map((s) => once(s, 'connect')));
    await new Promise((r) => setTimeout(r, 20));
    const error = (await client
      .connect({ host: '127.0.0.1', port, peerTargetName: TARGET })
      .catch((e: SecureSocketError) => e)) as SecureSocketError;
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_RATELIMIT_DROP);
    for (const s of hogs) s.destroy();
    await new Promise((r) => setTimeout(r, 20));
    const ok = h.keep(await client.connect({ host: '127.0.0.1', port, peerTargetName: TARGET }));
    expect(ok.querySecurity().secured).toBe(true);
  });
});
