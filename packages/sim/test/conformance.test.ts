import { describeBackend } from '@wsasec/conformance';
import { createSimBackend, openTokenCount } from '../src/index.js';
import { contosoRealm } from './support/fixture.js';

describeBackend({
  name: 'sim (default policy: machines authenticated)',
  create() {
    const realm = contosoRealm();
    const client = createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' });
    const server = createSimBackend({ realm, machine: 'server.contoso.com' });
    return {
      client,
      server,
      serverTargetName: 'host/server.contoso.com',
      wrongTargetName: 'host/rogue.contoso.com',
      expected: { clientMachine: 'CLIENT$', serverMachine: 'SERVER$' },
      openTokens: openTokenCount,
      async close() {
        await Promise.all([client.close(), server.close()]);
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
    datagram: true,
    securityAssociations: true,
  },
});

describeBackend({
  name: 'sim (realm default policy: machines and users authenticated)',
  create() {
    const realm = contosoRealm();
    realm.addPolicy({
      key: '66666666-6666-4666-8666-666666666666',
      mode: 'main',
      authentication: ['machine', 'user'],
      default: true,
    });
    const client = createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' });
    const server = createSimBackend({ realm, machine: 'server.contoso.com' });
    return {
      client,
      server,
      serverTargetName: 'host/server.contoso.com',
      wrongTargetName: 'host/rogue.contoso.com',
      expected: { clientUser: 'alice', clientMachine: 'CLIENT$', serverMachine: 'SERVER$' },
      openTokens: openTokenCount,
      async close() {
        await Promise.all([client.close(), server.close()]);
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
    datagram: true,
    securityAssociations: true,
  },
});
