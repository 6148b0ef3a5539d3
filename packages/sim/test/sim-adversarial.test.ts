import { once } from 'node:events';
import * as net from 'node:net';
import {
  IPSEC_IKE_ERRORS as IKE,
  type SecureServer,
  type SecureSocket,
  type SecureSocketBackend,
  type SecureSocketError,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { contosoRealm, Harness } from './sim-fixture.js';
import { flip, type Mitm, type Rewrite, startMitm } from './sim-mitm.js';

const h = new Harness();
const proxies: Mitm[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await h.close();
});

const TARGET = 'host/server.contoso.com';
const SECRET = 'SECRET-7f3a9c-do-not-leak';

interface World {
  client: SecureSocketBackend;
  server: SecureSocketBackend;
  srv: SecureServer;
  port: number;
  accepted: SecureSocket[];
  refusals: SecureSocketError[];
}

async function world(opts: { encryption?: boolean; handshakeTimeout?: number } = {}): Promise<World> {
  const realm = contosoRealm();
  const server = h.backend({
    realm,
    machine: 'server.contoso.com',
    handshakeTimeout: opts.handshakeTimeout ?? 2000,
  });
  const client = h.backend({
    realm,
    machine: 'client.contoso.com',
    handshakeTimeout: opts.handshakeTimeout ?? 2000,
  });
  const accepted: SecureSocket[] = [];
  const refusals: SecureSocketError[] = [];
  const security = opts.encryption ? { guaranteeEncryption: true } : undefined;
  const { server: srv, port } = await h.server(server, security ? { security } : {}, (s) => {
    s.on('error', () => {});
    accepted.push(s);
  });
  srv.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
  return { client, server, srv, port, accepted, refusals };
}

async function through(w: World, rewrite: { up?: Rewrite; down?: Rewrite }): Promise<Mitm> {
  const mitm = await startMitm(w.port, rewrite);
  proxies.push(mitm);
  return mitm;
}

/** Collects what a socket delivers and how it ends. */
function watch(socket: SecureSocket) {
  const chunks: Buffer[] = [];
  const done = new Promise<{ error?: SecureSocketError; ended: boolean }>((resolve) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', (error: SecureSocketError) => resolve({ error, ended: false }));
    socket.once('end', () => resolve({ ended: true }));
    socket.once('close', () => resolve({ ended: false }));
  });
  return { data: () => Buffer.concat(chunks).toString(), done };
}

async function acceptedOne(w: World): Promise<SecureSocket> {
  while (w.accepted.length === 0) await new Promise((r) => setImmediate(r));
  return w.accepted[0] as SecureSocket;
}

describe('a man in the middle on the protected stream', () => {
  for (const encryption of [false, true]) {
    const mode = encryption ? 'encrypted' : 'integrity only';

    it(`a flipped payload bit kills the connection, and nothing of that frame is delivered (${mode})`, async () => {
      const w = await world({ encryption });
      let dataFrames = 0;
      const mitm = await through(w, {
        up: (u) => (u.kind === 'frame' && u.type === 1 && ++dataFrames === 2 ? flip(u.bytes, 20) : u.bytes),
      });
      const socket = h.keep(
        await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
      );
      socket.on('error', () => {});
      const peer = watch(await acceptedOne(w));
      socket.write('first frame;');
      await new Promise((r) => setTimeout(r, 20));
      socket.write(`second frame ${SECRET}`);
      const result = await peer.done;
      expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
      expect(peer.data()).toBe('first frame;');
      if (encryption) expect(Buffer.concat(mitm.seen.up.map((u) => u.bytes)).includes(SECRET)).toBe(false);
    });
  }

  it('a flipped header bit (sequence number) is refused', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? flip(u.bytes, 11) : u.bytes),
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write(SECRET);
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/sequence/);
    expect(peer.data()).toBe('');
  });

  it('a replayed frame is refused after the original was delivered', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? [u.bytes, u.bytes] : u.bytes),
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('once');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/replayed|sequence/);
    expect(peer.data()).toBe('once');
  });

  it('reordered frames are refused and the later frame is not delivered', async () => {
    const w = await world();
    let held: Buffer | undefined;
    const mitm = await through(w, {
      up: (u) => {
        if (u.kind !== 'frame' || u.type !== 1) return u.bytes;
        if (!held) {
          held = Buffer.from(u.bytes);
          return null;
        }
        return [u.bytes, held];
      },
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('one;');
    await new Promise((r) => setTimeout(r, 20));
    socket.write('two;');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(peer.data()).toBe('');
  });

  it('a stream cut in the middle of a frame is refused (truncated), nothing of the frame delivered', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? [u.bytes.subarray(0, 30), Buffer.alloc(0)] : u.bytes),
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const accepted = await acceptedOne(w);
    const peer = watch(accepted);
    socket.write(`${SECRET}${SECRET}`);
    await new Promise((r) => setTimeout(r, 30));
    // The attacker ends the client→server direction after the partial frame.
    const mitm2 = mitm;
    expect(mitm2.seen.up.some((u) => u.kind === 'frame')).toBe(true);
    socket.end();
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/truncated/);
    expect(peer.data()).toBe('');
  });

  it('a stream cut between frames (the protected END dropped) is a reset, not a clean end', async () => {
    const w = await world();
    const mitm = await through(w, { up: (u) => (u.kind === 'frame' && u.type === 3 ? 'end' : u.bytes) });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.end('all that was sent');
    const result = await peer.done;
    expect(result.ended).toBe(false);
    expect(result.error?.code).toBe('WSAECONNRESET');
    expect(peer.data()).toBe('all that was sent');
  });

  it('a frame claiming 4 GiB is refused at once, without waiting for (or buffering) its payload', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => {
        if (u.kind !== 'frame' || u.type !== 1) return u.bytes;
        const forged = Buffer.from(u.bytes.subarray(0, 17));
        forged.writeUInt32BE(0xffff_ffff, 13);
        return forged;
      },
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('x');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/length 4294967295/);
  });

  it('bytes injected in clear into a protected stream are refused', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) =>
        u.kind === 'frame' && u.type === 1 ? Buffer.from(`GET / HTTP/1.1\r\n\r\n${'x'.repeat(64)}`) : u.bytes,
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('real data');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(peer.data()).toBe('');
  });
});

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
      const error = (await socket
        .connect({ host: '127.0.0.1', port: (fake.address() as net.AddressInfo).port })
        .catch((e: SecureSocketError) => e)) as SecureSocketError;
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
