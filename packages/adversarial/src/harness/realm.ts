/**
 * The realm the suite attacks: CONTOSO with a server, a client and a rogue machine (a valid member of
 * the realm that is not the server), and the backends of each, with bounds small enough for tests.
 * @module
 */
import type { SecureSocketBackend } from '@wsasec/core';
import { createSimBackend, createSimRealm, type SimBackendOptions, type SimRealm } from '@wsasec/sim';

/** Passwords of the realm's users: the leak scan looks for them in every event, log and error. */
export const REALM_SECRETS = ['correct horse battery staple', 'Tr0ub4dor&3'] as const;

/** A realm with server, client and rogue machines and two users. */
export function adversarialRealm(): SimRealm {
  const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com', passwordCost: 10 });
  realm.addGroup('Payroll');
  realm.addUser('alice', { password: REALM_SECRETS[0], groups: ['Payroll'] });
  realm.addUser('bob', { password: REALM_SECRETS[1] });
  realm.addMachine('server.contoso.com');
  realm.addMachine('client.contoso.com');
  realm.addMachine('rogue.contoso.com');
  return realm;
}

/** Timings short enough for a suite, long enough for a loaded 2-core machine. */
export const SUITE_TIMINGS = {
  handshakeTimeout: 3_000,
  clearFallbackDelay: 400,
  announceDelay: 40,
  cryptoWorker: false,
} satisfies Partial<SimBackendOptions>;

/** The three machines' backends. */
export interface RealmBackends {
  realm: SimRealm;
  client: SecureSocketBackend;
  server: SecureSocketBackend;
  rogue: SecureSocketBackend;
  close(): Promise<void>;
}

/** Creates the client, server and rogue backends of a fresh realm. */
export function realmBackends(extra: Partial<SimBackendOptions> = {}): RealmBackends {
  const realm = adversarialRealm();
  const make = (machine: string) => createSimBackend({ realm, machine, ...SUITE_TIMINGS, ...extra });
  const client = make('client.contoso.com');
  const server = make('server.contoso.com');
  const rogue = make('rogue.contoso.com');
  return {
    realm,
    client,
    server,
    rogue,
    async close() {
      await Promise.all([client.close(), server.close(), rogue.close()]);
    },
  };
}
