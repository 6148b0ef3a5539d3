import {
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  IPSEC_IKE_ERRORS as IKE,
  type SecureSocket,
  type SecureSocketError,
  SOCKET_INFO_CONNECTION_IMPERSONATED,
  SOCKET_INFO_CONNECTION_SECURED,
  TOKEN_QUERY,
} from '@wsasec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openTokenCount } from '../../src/index.js';
import { contosoRealm, Harness, MM_USER, nextConnection } from '../support/fixture.js';

const h = new Harness();
afterEach(() => h.close());

const TARGET = 'host/server.contoso.com';

async function pair(opts: {
  user?: string;
  mm?: string;
  credentials?: { user: string; password: string; domain?: string };
}) {
  const realm = contosoRealm();
  const server = h.backend({ realm, machine: 'server.contoso.com' });
  const client = h.backend({
    realm,
    machine: 'client.contoso.com',
    ...(opts.user ? { user: opts.user } : {}),
  });
  const ipsec = {
    ...(opts.mm ? { mainModePolicyKey: opts.mm } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  const security = Object.keys(ipsec).length > 0 ? { protocol: 'ipsec2' as const, ipsec } : undefined;
  const { server: srv, port } = await h.server(
    server,
    opts.mm ? { security: { ipsec: { mainModePolicyKey: opts.mm } } } : {},
  );
  const refusals: SecureSocketError[] = [];
  srv.on('negotiationError', (e: SecureSocketError) => refusals.push(e));
  const accepted = nextConnection(srv);
  const connecting = client.connect({
    host: '127.0.0.1',
    port,
    peerTargetName: TARGET,
    ...(security ? { security } : {}),
  });
  return { realm, server, client, srv, connecting, accepted, refusals };
}

describe('user and machine tokens', () => {
  it('the default policy authenticates machines only: the server gets a machine token and no user token', async () => {
    const p = await pair({ user: 'alice' });
    const client = h.keep(await p.connecting);
    const accepted = h.keep(await p.accepted);
    using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info.peerApplicationToken).toBeUndefined();
    expect(info.peerMachineToken?.user).toMatchObject({ name: 'CLIENT$', domain: 'CONTOSO' });
    expect(info.peerMachineToken?.user.sid).toBe(p.realm.lookup('client.contoso.com')?.sid);
    const groups = info.peerMachineToken?.groups.map((g) => g.name);
    expect(groups).toEqual(['Domain Computers', 'Everyone', 'Authenticated Users', 'NETWORK']);
    expect(client.querySecurity().flags).toBe(SOCKET_INFO_CONNECTION_SECURED);
    expect(accepted.impersonatePeer(() => p.server.currentIdentity().name)).toBe('CLIENT$');
  });

  it("a user policy authenticates the client's logged-on user: application token with its groups, IMPERSONATED on the client", async () => {
    const p = await pair({ user: 'alice', mm: MM_USER });
    const client = h.keep(await p.connecting);
    const accepted = h.keep(await p.accepted);
    using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    const app = info.peerApplicationToken;
    expect(app?.kind).toBe('application');
    expect(app?.user).toEqual({ sid: p.realm.lookup('alice')?.sid, name: 'alice', domain: 'CONTOSO' });
    expect(app?.groups.map((g) => g.name)).toEqual([
      'Domain Users',
      'Payroll',
      'Everyone',
      'Authenticated Users',
      'NETWORK',
    ]);
    expect(app?.groups[0]?.sid).toBe(`${p.realm.domainSid}-513`);
    expect(info.peerMachineToken?.user.name).toBe('CLIENT$');
    expect(client.querySecurity().flags & SOCKET_INFO_CONNECTION_IMPERSONATED).toBe(
      SOCKET_INFO_CONNECTION_IMPERSONATED,
    );
    expect(accepted.querySecurity().flags & SOCKET_INFO_CONNECTION_IMPERSONATED).toBe(0);
    // Impersonation takes the user when there is one.
    expect(accepted.impersonatePeer(() => p.server.currentIdentity())).toEqual(app?.user);
    // The server's own token for the client side is the server machine (servers authenticate no user).
    using back = client.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(back.peerApplicationToken).toBeUndefined();
    expect(back.peerMachineToken?.user.name).toBe('SERVER$');
  });

  it('a user policy refuses a client without a user or credentials (AUTH_FAIL), before sending anything', async () => {
    const p = await pair({ mm: MM_USER });
    const error = (await p.connecting.catch((e) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTH_FAIL);
  });

  it('a server requiring users refuses a client whose own policy does not authenticate one', async () => {
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com' });
    const client = h.backend({ realm, machine: 'client.contoso.com' });
    const { server: srv, port } = await h.server(server, {
      security: { ipsec: { mainModePolicyKey: MM_USER } },
    });
    srv.on('negotiationError', () => {});
    const error = (await client
      .connect({ host: '127.0.0.1', port, peerTargetName: TARGET })
      .catch((e) => e)) as SecureSocketError;
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTH_FAIL);
  });

  it('tokens are counted while open and all closed at the end', async () => {
    const before = openTokenCount();
    const p = await pair({ user: 'alice', mm: MM_USER });
    h.keep(await p.connecting);
    const accepted = h.keep(await p.accepted);
    const infos = [1, 2, 3].map(() => accepted.querySecurity({ tokenAccess: TOKEN_QUERY }));
    expect(openTokenCount()).toBe(before + 6);
    infos[0]?.peerMachineToken?.close();
    expect(openTokenCount()).toBe(before + 5);
    for (const info of infos) info.close();
    expect(openTokenCount()).toBe(before);
  });
});

describe('explicit credentials (ipsec.credentials)', () => {
  it('the right password authenticates that user, not the logged-on one', async () => {
    const p = await pair({ user: 'alice', credentials: { user: 'bob', password: 'battery staple' } });
    const client = h.keep(await p.connecting);
    const accepted = h.keep(await p.accepted);
    using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    expect(info.peerApplicationToken?.user.name).toBe('bob');
    expect(info.peerApplicationToken?.groups.map((g) => g.name)).not.toContain('Payroll');
    // Explicit credentials are not the socket principal: no IMPERSONATED flag.
    expect(client.querySecurity().impersonated).toBe(false);
  });

  it('DOMAIN\\user and user@dnsDomain forms work too', async () => {
    for (const user of ['CONTOSO\\bob', 'bob@contoso.com']) {
      const p = await pair({ credentials: { user, password: 'battery staple' } });
      h.keep(await p.connecting);
      using info = h.keep(await p.accepted).querySecurity({ tokenAccess: TOKEN_QUERY });
      expect(info.peerApplicationToken?.user.name).toBe('bob');
    }
  });

  it('a wrong password fails with AUTH_FAIL on both ends and nothing is delivered', async () => {
    const p = await pair({ credentials: { user: 'bob', password: 'wrong horse' } });
    const error = (await p.connecting.catch((e) => e)) as SecureSocketError;
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTH_FAIL);
    expect(error.message).not.toMatch(/wrong horse/);
    await new Promise((r) => setTimeout(r, 20));
    expect(p.refusals.map((e) => e.negotiationError)).toEqual([IKE.ERROR_IPSEC_IKE_AUTH_FAIL]);
  });

  it('an unknown user fails exactly like a wrong password', async () => {
    const p = await pair({ credentials: { user: 'mallory', password: 'x' } });
    const error = (await p.connecting.catch((e) => e)) as SecureSocketError;
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTH_FAIL);
    await new Promise((r) => setTimeout(r, 20));
    expect(p.refusals[0]?.message).toMatch(/unknown user or wrong password/);
  });

  it('another domain fails with AUTH_FAIL', async () => {
    const p = await pair({ credentials: { user: 'bob', domain: 'FABRIKAM', password: 'battery staple' } });
    const error = (await p.connecting.catch((e) => e)) as SecureSocketError;
    expect(error.negotiationError).toBe(IKE.ERROR_IPSEC_IKE_AUTH_FAIL);
  });
});

describe('impersonation scopes', () => {
  async function connected(): Promise<{
    accepted: SecureSocket;
    server: ReturnType<Harness['backend']>;
    self: string;
  }> {
    const p = await pair({ user: 'alice', mm: MM_USER });
    h.keep(await p.connecting);
    return {
      accepted: h.keep(await p.accepted),
      server: p.server,
      self: p.server.currentIdentity().name as string,
    };
  }

  it('continuations created inside never see the peer identity', async () => {
    const { accepted, server, self } = await connected();
    const seen: string[] = [];
    let later: Promise<void> = Promise.resolve();
    accepted.impersonatePeer(() => {
      seen.push(server.currentIdentity().name as string);
      later = Promise.resolve().then(() => {
        seen.push(server.currentIdentity().name as string);
      });
      setTimeout(() => seen.push(server.currentIdentity().name as string), 1);
    });
    await later;
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['alice', self, self]);
  });

  it('concurrent scopes on two connections never leak into each other', async () => {
    const realm = contosoRealm();
    const server = h.backend({ realm, machine: 'server.contoso.com' });
    const alice = h.backend({ realm, machine: 'client.contoso.com', user: 'alice' });
    const bob = h.backend({ realm, machine: 'client.contoso.com', user: 'bob' });
    const { server: srv, port } = await h.server(server, {
      security: { ipsec: { mainModePolicyKey: MM_USER } },
    });
    const security = { ipsec: { mainModePolicyKey: MM_USER } };
    const a1 = nextConnection(srv);
    h.keep(await alice.connect({ host: '127.0.0.1', port, security }));
    const sa = h.keep(await a1);
    const b1 = nextConnection(srv);
    h.keep(await bob.connect({ host: '127.0.0.1', port, security }));
    const sb = h.keep(await b1);
    const names = sa.impersonatePeer(() => {
      const outer = server.currentIdentity().name;
      const inner = sb.impersonatePeer(() => server.currentIdentity().name);
      return [outer, inner, server.currentIdentity().name];
    });
    expect(names).toEqual(['alice', 'bob', 'alice']);
    expect(server.currentIdentity().name).toBe('SERVER$');
  });

  it('revertImpersonation ends the scope early; the callback goes on as itself', async () => {
    const { accepted, server, self } = await connected();
    const names = accepted.impersonatePeer(() => {
      const before = server.currentIdentity().name;
      server.revertImpersonation();
      return [before, server.currentIdentity().name];
    });
    expect(names).toEqual(['alice', self]);
  });

  it('an async callback is refused after reverting', async () => {
    const { accepted, server, self } = await connected();
    let inside: string | undefined;
    expect(() =>
      accepted.impersonatePeer(async () => {
        inside = server.currentIdentity().name;
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_WSASEC_ASYNC_IMPERSONATION' }));
    expect(inside).toBe('alice');
    expect(server.currentIdentity().name).toBe(self);
  });
});

describe('accessCheck with peer tokens', () => {
  it('grants by group membership and denies by an explicit deny ACE', async () => {
    const p = await pair({ user: 'alice', mm: MM_USER });
    h.keep(await p.connecting);
    const accepted = h.keep(await p.accepted);
    const payroll = p.realm.lookup('Payroll')?.sid;
    using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    const user = info.peerApplicationToken as NonNullable<typeof info.peerApplicationToken>;
    const machine = info.peerMachineToken as NonNullable<typeof info.peerMachineToken>;
    const sddl = `D:(A;;FR;;;${payroll})(A;;FA;;;DA)`;
    expect(p.server.accessCheck(user, sddl, FILE_GENERIC_READ)).toEqual({
      granted: true,
      grantedAccess: FILE_GENERIC_READ,
    });
    expect(p.server.accessCheck(user, sddl, FILE_GENERIC_WRITE).granted).toBe(false);
    expect(p.server.accessCheck(machine, sddl, FILE_GENERIC_READ).granted).toBe(false);
    expect(p.server.accessCheck(machine, 'D:(A;;FR;;;DC)', FILE_GENERIC_READ).granted).toBe(true);
    expect(
      p.server.accessCheck(user, `D:(D;;FR;;;${user.user.sid})(A;;FR;;;DU)`, FILE_GENERIC_READ).granted,
    ).toBe(false);
    expect(() => p.server.accessCheck(user, 'D:(A;;FR;;;', FILE_GENERIC_READ)).toThrow(
      expect.objectContaining({ code: 'WSAEINVAL' }),
    );
  });
});
