import { describeBackend } from '@wsasec/conformance';
import { createSimBackend, openTokenCount } from '../src/index.js';
import { contosoRealm } from './sim-fixture.js';

const NO_DATAGRAMS =
  "the sim has no datagram sockets yet: createSocket({ type: 'dgram' }) throws WSAEOPNOTSUPP";

/** Cases that need a datagram socket (the stream half of the last one is in sim-backend.test.ts). */
const DATAGRAM_SKIPS = Object.fromEntries(
  [
    'datagram setPeerTargetName without a peer address is refused with WSAEINVAL',
    'datagram setPeerTargetName with a zero peer address is refused with WSAEINVAL',
    'datagram sockets keep one target name per peer; deletePeerTargetName removes one',
    'datagram querySecurity without a peer address is refused with WSAEMSGSIZE',
    'datagram impersonatePeer without a peer address is refused with WSAEFAULT',
    'datagram connect is refused with WSAEOPNOTSUPP',
    'an address of the other family is refused with WSAEAFNOSUPPORT',
    'deleting a target name that was never set succeeds',
  ].map((title) => [title, NO_DATAGRAMS]),
);

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
  skip: DATAGRAM_SKIPS,
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
  skip: DATAGRAM_SKIPS,
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
