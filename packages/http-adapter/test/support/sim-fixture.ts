/**
 * One small realm for the security tests: machines server, client and rogue (a valid machine of the
 * same realm: the "trusted man in the middle"), users alice (in Payroll) and bob, and policies.
 */
import type { SecureSocketBackend, SecuritySettings } from '@wsasec/core';
import { simModule } from './sim-module.js';

export const QM_ENCRYPTION = '6f0b8c5e-2f0e-4e57-9a53-6c1f6d6f0a01';
export const QM_INTEGRITY = '6f0b8c5e-2f0e-4e57-9a53-6c1f6d6f0a02';
export const MM_USERS = '6f0b8c5e-2f0e-4e57-9a53-6c1f6d6f0a03';
export const SERVER = 'host/server.contoso.com';

/** Settings under which the user behind the client is authenticated too (AuthIP extended mode). */
export const WITH_USERS: SecuritySettings = { protocol: 'ipsec', ipsec: { mainModePolicyKey: MM_USERS } };

interface SimRealm {
  addGroup(name: string): { sid: string };
  addUser(name: string, options: { password: string; groups?: string[] }): { sid: string };
  addMachine(fqdn: string): { sid: string };
  addPolicy(policy: Record<string, unknown>): unknown;
}
type CreateSimRealm = (options: { domain: string; dnsDomain: string }) => SimRealm;
type CreateSimBackend = (options: { realm: SimRealm; machine: string; user?: string }) => SecureSocketBackend;

export interface SimFixture {
  realm: SimRealm;
  sids: { alice: string; bob: string; payroll: string; server: string; client: string };
  /** Runs as server.contoso.com. */
  server: SecureSocketBackend;
  /** Runs as rogue.contoso.com: valid in the realm, but not the server. */
  rogue: SecureSocketBackend;
  /** client.contoso.com with alice logged on. */
  alice: SecureSocketBackend;
  /** client.contoso.com with bob logged on. */
  bob: SecureSocketBackend;
  /** client.contoso.com with no user (a service running as the machine). */
  machine: SecureSocketBackend;
  /** The sim's count of peer tokens still open. */
  openTokens(): number;
  close(): Promise<void>;
}

export function createSimFixture(): SimFixture {
  const createSimRealm = simModule.createSimRealm as CreateSimRealm;
  const createSimBackend = simModule.createSimBackend as CreateSimBackend;
  const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com' });
  const payroll = realm.addGroup('Payroll');
  const alice = realm.addUser('alice', { password: 'correct horse', groups: ['Payroll'] });
  const bob = realm.addUser('bob', { password: 'battery staple' });
  const server = realm.addMachine('server.contoso.com');
  const client = realm.addMachine('client.contoso.com');
  realm.addMachine('rogue.contoso.com');
  realm.addPolicy({ key: QM_ENCRYPTION, mode: 'quick', protection: 'encryption' });
  realm.addPolicy({ key: QM_INTEGRITY, mode: 'quick', protection: 'integrity' });
  realm.addPolicy({ key: MM_USERS, mode: 'main', authentication: ['machine', 'user'] });
  const backends = {
    server: createSimBackend({ realm, machine: 'server.contoso.com' }),
    rogue: createSimBackend({ realm, machine: 'rogue.contoso.com' }),
    alice: createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' }),
    bob: createSimBackend({ realm, machine: 'client.contoso.com', user: 'bob' }),
    machine: createSimBackend({ realm, machine: 'client.contoso.com' }),
  };
  const openTokenCount = simModule.openTokenCount as (() => number) | undefined;
  return {
    realm,
    sids: { alice: alice.sid, bob: bob.sid, payroll: payroll.sid, server: server.sid, client: client.sid },
    ...backends,
    openTokens: () => (openTokenCount ? openTokenCount() : Number.NaN),
    async close() {
      await Promise.all(Object.values(backends).map((b) => b.close()));
    },
  };
}
