/**
 * Peer target names: does an authenticated machine hold the name the client asked for?
 * @module
 */

/** What a machine answers to. */
export interface MachineNames {
  fqdn: string;
  netbios: string;
  spns: readonly string[];
  domain: string;
  dnsDomain: string;
}

/** An SPN split into service class and host (`host/server.contoso.com:8080/svc`). */
export function parseSpn(name: string): { serviceClass: string; host: string } | undefined {
  const match = /^([^/\s:]+)\/([^/\s:]+)(?::\d{1,5})?(?:\/[^/\s]+)?$/.exec(name);
  if (!match) return undefined;
  return { serviceClass: (match[1] as string).toLowerCase(), host: (match[2] as string).toLowerCase() };
}

/** True when `name` has the SPN form `<class>/<host>[:<port>][/<service name>]`. */
export function isSpn(name: string): boolean {
  return parseSpn(name) !== undefined;
}

/**
 * Whether `machine` holds `target`. As an SPN (the default), the service class and host are compared,
 * ignoring case and port, with each SPN registered for the machine (`host/<fqdn>`, `host/<NETBIOS>`
 * and any added). As a raw name (`peerNameIsRawFormat`), `target` must equal, ignoring case, one of
 * the machine's account names: `<fqdn>`, `<DOMAIN>\<NETBIOS>$` `<NETBIOS>$@<dnsDomain>`, or one of its SPNs written out in full.
 */
export function machineHoldsName(machine: MachineNames, target: string, raw: boolean): boolean {
  const wanted = target.toLowerCase();
  if (raw) {
    return [
      machine.fqdn,
      `${machine.domain}\\${machine.netbios}$`,
      `${machine.netbios}$@${machine.dnsDomain}`,
      ...machine.spns,
    ]
      .map((n) => n.toLowerCase())
      .includes(wanted);
  }
  const spn = parseSpn(target);
  if (!spn) return false;
  return machine.spns.some((registered) => {
    const r = parseSpn(registered);
    return r !== undefined && r.serviceClass === spn.serviceClass && r.host === spn.host;
  });
}
