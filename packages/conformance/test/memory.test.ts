import { createMemoryBackend, createMemoryRealm, openMemoryTokens } from '../../core/test/memory-backend.js';
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
  skip: {
    // Both are defects of @wsasec/core itself, shown by failing-on-purpose tests in packages/core/test.
    'credentials given as a string are refused without echoing it (it may hold a password)':
      'core validate.ts echoes a non-object ipsec.credentials value in its message (core/test/validate-secrets.test.ts)',
    'backend.close resolves while an accepted connection is open':
      'core define-backend.ts close() awaits server.close() before anything destroys accepted connections (core/test/define-backend.test.ts)',
  },
});
