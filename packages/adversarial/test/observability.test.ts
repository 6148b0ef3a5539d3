import { createSimBackend, openTokenCount } from '@wsasec/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { readBytes, startEchoServer } from '../src/harness/echo.js';
import {
  findBytes,
  findSecrets,
  payloadText,
  type Recording,
  recordChannels,
} from '../src/harness/observe.js';
import { adversarialRealm, REALM_SECRETS, SUITE_TIMINGS } from '../src/harness/realm.js';
import { addPeers, runIdentitySoak } from '../src/soak/soak.js';

const QM_REKEY = '44444444-4444-4444-8444-444444444444';
let recording: Recording | undefined;
afterEach(() => recording?.stop());

describe('diagnostics channels of the scenarios the matrix does not cover', () => {
  it('publishes a rekey for each SA that reached its lifetime, in both directions, without bytes', async () => {
    const realm = adversarialRealm();
    realm.addPolicy({ key: QM_REKEY, mode: 'quick', protection: 'encryption', lifetime: { bytes: 4096 } });
    const security = { protocol: 'ipsec' as const, ipsec: { quickModePolicyKey: QM_REKEY } };
    const server = createSimBackend({ realm, machine: 'server.contoso.com', ...SUITE_TIMINGS });
    const client = createSimBackend({ realm, machine: 'client.contoso.com', ...SUITE_TIMINGS });
    const echo = await startEchoServer(server, security);
    recording = recordChannels();
    const socket = await client.connect({
      host: '127.0.0.1',
      port: echo.port,
      security,
      peerTargetName: 'host/server.contoso.com',
    });
    const secret = Buffer.from('rekeyed plaintext that must not be published '.repeat(40));
    for (let i = 0; i < 4; i++) {
      socket.write(secret);
      expect((await readBytes(socket, secret.length)).equals(secret)).toBe(true);
    }
    socket.destroy();
    await echo.close();
    await Promise.all([client.close(), server.close()]);
    const rekeys = recording.on('rekey');
    // 4 × 1 880 bytes each way under a 4 096-byte lifetime: each end rekeys its outbound SA, and the
    // other end reports the matching inbound one.
    const outbound = rekeys.filter((r) => r.direction === 'outbound').length;
    expect(outbound).toBeGreaterThanOrEqual(2);
    expect(rekeys.filter((r) => r.direction === 'inbound')).toHaveLength(outbound);
    for (const r of rekeys) expect(typeof r.qmSaId).toBe('bigint');
    const texts = recording.events.map((e) => payloadText(e.message));
    expect(findSecrets(texts, [secret.subarray(0, 40), ...REALM_SECRETS])).toEqual([]);
    expect(recording.events.flatMap((e) => findBytes(e.message))).toEqual([]);
  });

  it('publishes impersonation begin and end for every request, and a token close for every open', async () => {
    const realm = adversarialRealm();
    addPeers(realm, 5);
    recording = recordChannels();
    const result = await runIdentitySoak(realm, 200, 5);
    expect(result.leaks + result.asyncLeaks).toBe(0);
    const begins = recording.on('impersonationBegin');
    const ends = recording.on('impersonationEnd');
    expect(begins).toHaveLength(200);
    expect(ends).toHaveLength(200);
    expect(new Set(begins.map((b) => b.name)).size).toBe(5);
    expect(recording.on('tokenOpen').length).toBeGreaterThanOrEqual(5);
    expect(recording.on('tokenClose')).toHaveLength(recording.on('tokenOpen').length);
    expect(openTokenCount()).toBe(0);
  });
});
