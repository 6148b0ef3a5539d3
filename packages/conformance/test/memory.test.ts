import { createMemoryBackend, createMemoryRealm, openMemoryTokens } from '@wsasec/core/testing';
import { describeBackend } from '../src/index.js';

describeBackend({
  name: 'memory (core test double)',
  create() {
    const realm = createMemoryRealm({ passwords: { alice: 'alice-password' } });
    const client = createMemoryBackend({ realm, machine: 'CLIENT', user: 'alice' });
    const server = createMemoryBackend({ realm, machine: 'SERVER' });
    const insecurePeer = createMemoryBackend({ realm, machine: 'PLAIN', ipsec: false });
    return {
      client,
      server,
      insecurePeer,
      serverTargetName: 'host/server.contoso.com',
      wrongTargetName: 'host/other.contoso.com',
      expected: { clientUser: 'alice', clientMachine: 'CLIENT$', serverMachine: 'SERVER$' },
      openTokens: openMemoryTokens,
      async close() {
        await Promise.all([client.close(), server.close(), insecurePeer.close()]);
      },
    };
  },
  capabilities: {
    network: true,
    encryption: true,
    tokens: true,
    peerNameVerification: true,
    impersonation: true,
    accessCheck: true,
    ipsec2: true,
    allowInsecure: true,
  },
});
