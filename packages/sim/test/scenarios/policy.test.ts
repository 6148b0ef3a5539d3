import * as net from 'node:net';
import {
  IPSEC_IKE_ERRORS as IKE,
  type SecureSocketError,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_SECURED,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
  TOKEN_QUERY,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  contosoRealm,
  Harness,
  MM_USER,
  nextConnection,
  QM_ENCRYPTION,
  QM_INTEGRITY,
  readAll,
} from '../support/fixture.js';

const h = new Harness();
const plainServers: net.Server[] = [];
afterEach(async () => {
  await h.close();
  await Promise.all(plainServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const TARGET = 'host/server.contoso.com';

function machines() {
  const realm = contosoRealm();
  return {
    realm,
    server: h.backend({ realm, machine: 'server.contoso.com', clearFallbackDelay: 300, announceDelay: 50 }),
    client: h.backend({ realm, machine: 'client.contoso.com', clearFallbackDelay: 300 }),
  };
}

describe('target names', () => {
  const accepted = [
    ['the host SPN', 'host/server.contoso.com', {}],
    ['the host SPN in another case, with a port and a service name', 'HOST/Server.Contoso.com:445/svc', {}],
    ['the NetBIOS host SPN', 'host/SERVER', {}],
    ['(refused) an SPN registered for another machine', 'http/server.contoso.com', {}],
    ['the FQDN as a raw name', 'server.contoso.com', { peerNameIsRawFormat: true }],
    ['DOMAIN\\NAME$ as a raw name', 'CONTOSO\\SERVER$', { peerNameIsRawFormat: true }],
    ['NAME$@domain as a raw name', 'server$@contoso.com', { peerNameIsRawFormat: true }],
  ] as const;
  for (const [what, name, ipsec] of accepted) {
    it(`${what}${what.startsWith('(refused)') ? '' : ' is held by the server'}`, async () => {
      const realm = contosoRealm();
      realm.addMachine('web.contoso.com', { spns: ['http/server.contoso.com'] });
      const server = h.backend({ realm, machine: 'server.contoso.com' });
      const client = h.backend({ realm, machine: 'client.contoso.com' });
      const { port } = await h.server(server);
      const security = Object.keys(ipsec).length > 0 ? { ipsec } : undefined;
      if (name.startsWith('http/')) {
        // The extra SPN belongs to web.contoso.com, not to the server: refused.
        const error = (await client
          .connect({ host: '127.0.0.1', port, peerTargetName: name })
          .catch((e) => e)) as SecureSocketError;
        expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
        return;
      }
      const s = h.keep(
        await client.connect({
          host: '127.0.0.1',
          port,
          peerTargetName: name,
          ...(security ? { security } : {}),
        }),
      );
      expect(s.querySecurity().secured).toBe(true);
    });
  }

  it('an SPN registered for the machine with addMachine({ spns }) is held', async () => {
    const realm = contosoRealm();
    realm.addMachine('web.contoso.com', { spns: ['http/www.contoso.com'] });
    const server = h.backend({ realm, machine: 'web.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { port } = await h.server(server);
    const s = h.keep(
      await client.connect({ host: '127.0.0.1', port, peerTargetName: 'http/www.contoso.com' }),
    );
    expect(s.querySecurity().secured).toBe(true);
  });

  it('a name that is not an SPN is refused with WSAEINVAL unless peerNameIsRawFormat', async () => {
    const { server, client } = machines();
    const { port } = await h.server(server);
    const error = (await client
      .connect({ host: '127.0.0.1', port, peerTargetName: 'server.contoso.com' })
      .catch((e) => e)) as SecureSocketError;
    expect(error.code).toBe('WSAEINVAL');
    expect(error.message).toMatch(/not an SPN/);
  });

  it('optionalPeerNameVerification lets another machine through, still authenticated', async () => {
    const realm = contosoRealm();
    const rogue = h.backend({ realm, machine: 'rogue.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { port } = await h.server(rogue);
    const s = h.keep(
      await client.connect({
        host: '127.0.0.1',
        port,
        peerTargetName: TARGET,
        security: { ipsec: { optionalPeerNameVerification: true } },
      }),
    );
    using info = s.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info.peerMachineToken?.user.name).toBe('ROGUE$');
  });

  it('without a target name any machine of the realm is accepted (the trusted man in the middle risk)', async () => {
    const realm = contosoRealm();
    const rogue = h.backend({ realm, machine: 'rogue.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { port } = await h.server(rogue);
    const s = h.keep(await client.connect({ host: '127.0.0.1', port }));
    using info = s.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info.peerMachineToken?.user.name).toBe('ROGUE$');
  });
});

describe('quick-mode protection', () => {
  const cases = [
    ['both defaults', undefined, undefined, SOCKET_INFO_CONNECTION_SECURED],
    ['client guaranteeEncryption', { guaranteeEncryption: true }, undefined, 3],
    ['server guaranteeEncryption', undefined, { guaranteeEncryption: true }, 3],
    ['client encryption policy', { ipsec: { quickModePolicyKey: QM_ENCRYPTION } }, undefined, 3],
    ['server encryption policy', undefined, { ipsec: { quickModePolicyKey: QM_ENCRYPTION } }, 3],
    [
      'both integrity policies',
      { ipsec: { quickModePolicyKey: QM_INTEGRITY } },
      { ipsec: { quickModePolicyKey: QM_INTEGRITY } },
      1,
    ],
  ] as const;
  for (const [what, clientSecurity, serverSecurity, flags] of cases) {
    it(`${what}: flags ${flags} on both ends, data intact`, async () => {
      const { server, client } = machines();
      const { server: srv, port } = await h.server(
        server,
        serverSecurity ? { security: serverSecurity } : {},
      );
      const accepted = nextConnection(srv);
      const s = h.keep(
        await client.connect({
          host: '127.0.0.1',
          port,
          peerTargetName: TARGET,
          ...(clientSecurity ? { security: clientSecurity } : {}),
        }),
      );
      const peer = h.keep(await accepted);
      expect(s.querySecurity().flags).toBe(flags);
      expect(peer.querySecurity().flags).toBe(flags);
      expect(Boolean(flags & SOCKET_INFO_CONNECTION_ENCRYPTED)).toBe(s.querySecurity().encrypted);
      peer.pipe(peer);
      const payload = Buffer.alloc(300_000, 7);
      s.end(payload);
      expect((await readAll(s)).equals(payload)).toBe(true);
    });
  }

  it('guaranteeEncryption against an integrity-only policy of the server fails with POLICY_MATCH', async () => {
    const { server, client } = machines();
    const { server: srv, port } = await h.server(server, {
      security: { ipsec: { quickModePolicyKey: QM_INTEGRITY } },
    });
    const refusals: SecureSocketError[] = [];
    srv.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
    const error = (await client
      .connect({
        host: '127.0.0.1',
        port,
        peerTargetName: TARGET,
        security: { guaranteeEncryption: true, allowInsecure: true },
      })
      .catch((e) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_POLICY_MATCH);
    await new Promise((r) => setTimeout(r, 20));
    expect(refusals[0]?.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_POLICY_MATCH);
  });

  it("guaranteeEncryption with the client's own integrity-only policy fails before any byte is sent", async () => {
    const { client } = machines();
    const received: Buffer[] = [];
    const plain = net.createServer((s) => s.on('data', (d) => received.push(d)));
    plainServers.push(plain);
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const error = (await client
      .connect({
        host: '127.0.0.1',
        port: (plain.address() as net.AddressInfo).port,
        security: { guaranteeEncryption: true, ipsec: { quickModePolicyKey: QM_INTEGRITY } },
      })
      .catch((e) => e)) as SecureSocketError;
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_POLICY_MATCH);
    expect(Buffer.concat(received)).toHaveLength(0);
  });

  it('an unknown policy key, or one of the other mode, is refused at setSecurity with WSAEINVAL', () => {
    const { client } = machines();
    const socket = client.createSocket();
    expect(() =>
      socket.setSecurity({ ipsec: { quickModePolicyKey: '99999999-9999-4999-8999-999999999999' } }),
    ).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', message: expect.stringMatching(/realm\.addPolicy/) }),
    );
    expect(() => socket.setSecurity({ ipsec: { quickModePolicyKey: MM_USER } })).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL', message: expect.stringMatching(/main-mode policy/) }),
    );
    socket.setSecurity({ ipsec: { quickModePolicyKey: QM_ENCRYPTION } });
    socket.destroy();
  });

  it('skipFilterInstantiation without a realm policy leaves the socket in clear; with a default realm policy it is protected', async () => {
    const { realm, server, client } = machines();
    const { port } = await h.server(server, { security: { allowInsecure: true } });
    const skip = { ipsec: { skipFilterInstantiation: true } };
    const clear = h.keep(await client.connect({ host: '127.0.0.1', port, security: skip }));
    expect(clear.querySecurity().flags).toBe(0);
    realm.addPolicy({
      key: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      mode: 'quick',
      protection: 'encryption',
      default: true,
    });
    const covered = h.keep(await client.connect({ host: '127.0.0.1', port, security: skip }));
    expect(covered.querySecurity().flags).toBe(3);
  });

  it('querySecurityAssociations: the SAs of the IPSEC2 query, SPIs crossed between the ends', async () => {
    const { server, client } = machines();
    const { server: srv, port } = await h.server(server);
    const accepted = nextConnection(srv);
    const s = h.keep(await client.connect({ host: '127.0.0.1', port, security: { protocol: 'ipsec2' } }));
    const peer = h.keep(await accepted);
    using info = s.querySecurity({ ipsec2: {} });
    const mine = s.querySecurityAssociations();
    const theirs = peer.querySecurityAssociations();
    expect(mine.mainMode).toEqual({
      id: info.mmSaId,
      localAddress: '127.0.0.1',
      remoteAddress: '127.0.0.1',
      cipher: 'AES-256-GCM',
      integrity: 'SHA-256',
      keyExchange: 'X25519',
      lifetimeSeconds: undefined,
    });
    const [qm] = mine.quickMode;
    expect(mine.quickMode).toHaveLength(1);
    expect(qm).toMatchObject({
      id: info.qmSaId,
      mainModeId: info.mmSaId,
      protocol: 'esp',
      remotePort: port,
      lifetimeSeconds: 3600,
      lifetimeKilobytes: 55 * 1024 * 1024,
    });
    expect([qm?.encryption, qm?.integrity]).toEqual(
      info.encrypted ? ['AES-256-GCM', 'AES-256-GCM'] : [undefined, 'AES-256-GMAC'],
    );
    expect(theirs.quickMode[0]?.inboundSpi).toBe(qm?.outboundSpi);
    expect(theirs.quickMode[0]?.outboundSpi).toBe(qm?.inboundSpi);
    expect(theirs.mainMode?.id).toBe(info.mmSaId);
  });

  it('IPSEC2 fields: the SA ids and lookup context agree on both ends', async () => {
    const { server, client } = machines();
    const { server: srv, port } = await h.server(server);
    const accepted = nextConnection(srv);
    const s = h.keep(await client.connect({ host: '127.0.0.1', port, security: { protocol: 'ipsec2' } }));
    const peer = h.keep(await accepted);
    const mask = { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID };
    using a = s.querySecurity({ ipsec2: mask });
    using b = peer.querySecurity({ ipsec2: mask });
    expect(a.protocol).toBe('ipsec2');
    expect(a.mmSaId).toBe(b.mmSaId);
    expect(a.qmSaId).toBe(b.qmSaId);
    expect(a.saLookupContext).toBe(b.saLookupContext);
    expect(a.negotiationError).toBe(0);
    // A second connection gets other SAs.
    const second = h.keep(
      await client.connect({ host: '127.0.0.1', port, security: { protocol: 'ipsec2' } }),
    );
    using c = second.querySecurity({ ipsec2: mask });
    expect(c.mmSaId).not.toBe(a.mmSaId);
    expect(c.qmSaId).not.toBe(a.qmSaId);
  });
});

describe('backend.addPolicies (the advanced sample’s FwpmProviderContextAdd0)', () => {
  const QM_ADDED = '66666666-6666-4666-8666-666666666666';
  const MM_ADDED = '77777777-7777-4777-8777-777777777777';

  it('adds policies sockets then select by key, in force until close(); then setSecurity refuses the key', async () => {
    const { realm, server, client } = machines();
    const added = server.addPolicies([
      { key: MM_ADDED, mode: 'main', authentication: ['machine'] },
      { key: QM_ADDED, mode: 'quick', protection: 'encryption' },
    ]);
    expect(added.keys).toEqual([MM_ADDED, QM_ADDED]);
    expect(realm.getPolicy(QM_ADDED)).toMatchObject({ mode: 'quick', protection: 'encryption' });
    const security = { ipsec: { mainModePolicyKey: MM_ADDED, quickModePolicyKey: QM_ADDED } };
    const { port } = await h.server(server, { security });
    const s = h.keep(await client.connect({ host: '127.0.0.1', port, peerTargetName: TARGET, security }));
    const info = s.querySecurity();
    expect(info.flags & (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED)).toBe(
      SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED,
    );
    info.close();
    added.close();
    expect(realm.getPolicy(QM_ADDED)).toBeUndefined();
    expect(realm.getPolicy(MM_ADDED)).toBeUndefined();
    const late = client.createSocket();
    expect(() => late.setSecurity(security)).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
    late.destroy();
  });

  it('is all or none: a key the realm already has refuses the whole set and adds nothing', () => {
    const { realm, server } = machines();
    expect(() =>
      server.addPolicies([
        { key: QM_ADDED, mode: 'quick', protection: 'integrity' },
        { key: QM_ENCRYPTION, mode: 'quick', protection: 'encryption' },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_WSASEC_INVALID_ARGUMENT',
        message: expect.stringContaining(QM_ENCRYPTION),
      }),
    );
    expect(realm.getPolicy(QM_ADDED)).toBeUndefined();
    // The realm's own policy is untouched.
    expect(realm.getPolicy(QM_ENCRYPTION)).toMatchObject({ protection: 'encryption' });
  });

  it("the backend's close() removes what it added", async () => {
    const { realm, server } = machines();
    server.addPolicies([{ key: QM_ADDED, mode: 'quick', protection: 'integrity' }]);
    await server.close();
    expect(realm.getPolicy(QM_ADDED)).toBeUndefined();
  });
});
