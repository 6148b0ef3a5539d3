/**
 * The CONTOSO realm the demo and the in-process examples share — not an example of its own.
 *
 * Machines server.contoso.com, client.contoso.com and rogue.contoso.com (a valid member of the
 * realm that must still not be able to pose as the server); users alice (in Payroll) and bob (not).
 */
import { createSimRealm, type SimRealm } from '@wsasec/sim';

/** Names of the realm. */
export const CONTOSO = { domain: 'CONTOSO', dnsDomain: 'contoso.com' } as const;

/** The realm and the security descriptor the examples authorize with. */
export interface ContosoRealm {
  realm: SimRealm;
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
    alice: realm.addUser('alice', { password: 'correct horse battery staple', groups: ['Payroll'] }).sid,
    bob: realm.addUser('bob', { password: 'Tr0ub4dor&3', groups: [] }).sid,
    server: realm.addMachine('server.contoso.com').sid,
    client: realm.addMachine('client.contoso.com').sid,
    rogue: realm.addMachine('rogue.contoso.com').sid,
  };
  return { realm, sids, payrollSddl: `D:(A;;FR;;;${sids.payroll})` };
}
