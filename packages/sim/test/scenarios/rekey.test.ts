import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import {
  type SecureSocket,
  type SecureSocketError,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_CHANNELS } from '../../src/index.js';
import { contosoRealm, Harness, nextConnection, QM_REKEY } from '../support/fixture.js';

const h = new Harness();
const unsubscribers: (() => void)[] = [];
afterEach(async () => {
  for (const u of unsubscribers.splice(0)) u();
  await h.close();
});

const QM = { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID };

async function rekeyingPair(lifetime: { bytes?: number; seconds?: number }, clock?: () => number) {
  const realm = contosoRealm();
  realm.addPolicy({ key: QM_REKEY, mode: 'quick', protection: 'encryption', lifetime });
  const server = h.backend({ realm, machine: 'server.contoso.com', ...(clock ? { clock } : {}) });
  const client = h.backend({ realm, machine: 'client.contoso.com', ...(clock ? { clock } : {}) });
  const security = { protocol: 'ipsec2' as const, ipsec: { quickModePolicyKey: QM_REKEY } };
  const { server: srv, port } = await h.server(server, { security });
  const accepted = nextConnection(srv);
  const socket = h.keep(
    await client.connect({ host: '127.0.0.1', port, security, peerTargetName: 'host/server.contoso.com' }),
  );
  const peer = h.keep(await accepted);
  return { socket, peer };
}

/** Echo `n` bytes through `peer` in several writes, without ending either side. */
async function exchange(
  socket: SecureSocket,
  peer: SecureSocket,
  n: number,
  piece = 16 * 1024,
): Promise<Buffer> {
  if (peer.listenerCount('data') === 0) peer.on('data', (d: Buffer) => peer.write(d));
  const got: Buffer[] = [];
  let total = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      got.push(d);
      total += d.length;
      if (total >= n) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  const payload = Buffer.alloc(n);
  for (let i = 0; i < n; i++) payload[i] = (i * 31) & 0xff;
  for (let off = 0; off < n; off += piece) {
    socket.write(payload.subarray(off, off + piece));
    await new Promise((r) => setImmediate(r));
  }
  await done;
  const echoed = Buffer.concat(got);
  expect(echoed.equals(payload)).toBe(true);
  return echoed;
}

function rekeys(): { socketId: unknown; direction: unknown; qmSaId: unknown }[] {
  const seen: { socketId: unknown; direction: unknown; qmSaId: unknown }[] = [];
  const listener = (message: unknown) => seen.push(message as (typeof seen)[number]);
  subscribe(SIM_CHANNELS.rekey, listener);
  unsubscribers.push(() => unsubscribe(SIM_CHANNELS.rekey, listener));
  return seen;
}

describe('rekey at the end of a lifetime', () => {
  it('a byte lifetime rekeys both directions: new QM SA ids, same MM SA, every byte intact', async () => {
    const seen = rekeys();
    const { socket, peer } = await rekeyingPair({ bytes: 64 * 1024 });
    using before = socket.querySecurity({ ipsec2: QM });
    await exchange(socket, peer, 1024 * 1024);
    using after = socket.querySecurity({ ipsec2: QM });
    expect(after.mmSaId).toBe(before.mmSaId);
    expect(after.qmSaId).not.toBe(before.qmSaId);
    // Each end rekeyed its outbound SA about once per 64 KiB (1 MiB each way), and saw the peer's.
    expect(seen.filter((e) => e.direction === 'outbound').length).toBeGreaterThanOrEqual(2 * 14);
    expect(seen.filter((e) => e.direction === 'inbound').length).toBeGreaterThanOrEqual(2 * 14);
    for (const e of seen) expect(typeof e.qmSaId).toBe('bigint');
  });

  it('both ends agree on the QM SA id after the rekeys', async () => {
    const { socket, peer } = await rekeyingPair({ bytes: 10_000 });
    await exchange(socket, peer, 100_000, 4096);
    using a = socket.querySecurity({ ipsec2: QM });
    using b = peer.querySecurity({ ipsec2: QM });
    expect(a.qmSaId).toBe(b.qmSaId);
  });

  it('a time lifetime rekeys on the first write after it passed (driven by the backend clock)', async () => {
    let now = Date.now();
    const { socket, peer } = await rekeyingPair({ seconds: 60 }, () => now);
    using first = socket.querySecurity({ ipsec2: QM });
    socket.write('within the lifetime');
    await once(peer, 'data');
    using same = socket.querySecurity({ ipsec2: QM });
    expect(same.qmSaId).toBe(first.qmSaId);
    now += 61_000;
    socket.write('after the lifetime');
    const [data] = await once(peer, 'data');
    expect(data.toString()).toBe('after the lifetime');
    using later = socket.querySecurity({ ipsec2: QM });
    expect(later.qmSaId).not.toBe(first.qmSaId);
  });

  it('abortOnFieldChange with the QM SA id in the field mask aborts the connection on rekey', async () => {
    const { socket, peer } = await rekeyingPair({ bytes: 4096 });
    using watched = peer.querySecurity({ ipsec2: { ...QM, abortOnFieldChange: true } });
    expect(watched.qmSaId).toBeTypeOf('bigint');
    const failed = once(peer, 'error');
    const clientClosed = once(socket, 'close');
    socket.on('error', () => {});
    socket.resume();
    socket.write(Buffer.alloc(8192, 2));
    await once(peer, 'data');
    socket.write('the first frame under the next SA');
    const [error] = (await failed) as [SecureSocketError];
    expect(error.code).toBe('WSAECONNABORTED');
    expect(error.message).toMatch(/ABORT_CONNECTION_ON_FIELD_CHANGE/);
    // The client learns that the server closed.
    await clientClosed;
  });

  it('abortOnFieldChange on the MM SA id alone does not abort on a quick-mode rekey', async () => {
    const { socket, peer } = await rekeyingPair({ bytes: 4096 });
    using watched = peer.querySecurity({
      ipsec2: { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID, abortOnFieldChange: true },
    });
    await exchange(socket, peer, 50_000, 4096);
    using after = peer.querySecurity({ ipsec2: QM });
    expect(after.mmSaId).toBe(watched.mmSaId);
    expect(after.qmSaId).not.toBe(watched.qmSaId);
  });

  it('a field mask without abortOnFieldChange only reports', async () => {
    const { socket, peer } = await rekeyingPair({ bytes: 4096 });
    using watched = peer.querySecurity({ ipsec2: QM });
    await exchange(socket, peer, 50_000, 4096);
    using after = peer.querySecurity({ ipsec2: QM });
    expect(after.qmSaId).not.toBe(watched.qmSaId);
  });
});
