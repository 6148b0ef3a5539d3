/**
 * The CONTOSO realm the demo and the in-process examples share — not an example of its own.
 *
 * Machines server.contoso.com, client.contoso.com and rogue.contoso.com (a valid member of the
 * realm that must still not be able to pose as the server); users alice (in Payroll) and bob (not);
 * a main-mode policy that authenticates users as well as machines.
 */
import type { SecuritySettings } from '@wsasec/core';
import { createSimRealm, type SimRealm } from '@wsasec/sim';

/** Names of the realm, and the key of its main-mode policy that authenticates users too. */
export const CONTOSO = {
  domain: 'CONTOSO',
  dnsDomain: 'contoso.com',
  /**
   * Main-mode policy `authentication: ['machine', 'user']`. The built-in default authenticates
   * machines only; a server that wants to know *who* is calling selects this one with
   * `{ protocol: 'ipsec', ipsec: { mainModePolicyKey } }`, and AuthIP's extended mode then
   * authenticates the client's user as well.
   */
  userAuthPolicyKey: '8f1f2c64-5b0e-4c1b-9a57-0c0a7b5e11a1',
} as const;

/** Server settings: encryption required, and the main-mode policy that authenticates users. */
export const CONTOSO_SERVER_SECURITY: SecuritySettings = Object.freeze({
  protocol: 'ipsec',
  guaranteeEncryption: true,
  ipsec: Object.freeze({ mainModePolicyKey: CONTOSO.userAuthPolicyKey }),
});

/** The realm and the security descriptor the examples authorize with. */
export interface ContosoRealm {
  realm: SimRealm;
  /** Settings for servers that require encryption and an authenticated user (extended mode). */
  serverSecurity: SecuritySettings;
  /** SIDs of the realm's principals, for security descriptors and for checking who was seen. */
  sids: { payroll: string; alice: string; bob: string; server: string; client: string; rogue: string };
  /** `D:(A;;FR;;;<Payroll>)`: FILE_GENERIC_READ for members of Payroll, nothing for anyone else. */
  payrollSddl: string;
}

/** Builds the CONTOSO realm in memory (fresh keys and SIDs every time). */
export function createContosoRealm(): ContosoRealm {
  const realm = createSimRealm({ domain: CONTOSO.domain, dnsDomain: CONTOSO.dnsDomain });
  const sids = {
    payroll: realm.addGroup('Payroll').sid,
    // No passwords: the backends run as these users (logged on); passwords are only for explicit
    // credentials (ipsec.credentials), and each verifier costs an scrypt run.
    alice: realm.addUser('alice', { groups: ['Payroll'] }).sid,
    bob: realm.addUser('bob').sid,
    server: realm.addMachine('server.contoso.com').sid,
    client: realm.addMachine('client.contoso.com').sid,
    rogue: realm.addMachine('rogue.contoso.com').sid,
  };
  realm.addPolicy({ key: CONTOSO.userAuthPolicyKey, mode: 'main', authentication: ['machine', 'user'] });
  return {
    realm,
    serverSecurity: CONTOSO_SERVER_SECURITY,
    sids,
    payrollSddl: `D:(A;;FR;;;${sids.payroll})`,
  };
}
