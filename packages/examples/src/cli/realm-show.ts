import type { SimRealm } from '@wsasec/sim';

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map(
      (row) =>
        `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`,
    )
    .join('\n');
}

/**
 * What `wsasec realm show` prints: the domain, then every group, user and machine with its SID
 * (what SDDL strings name) and memberships, then the policies. Never prints keys or passwords.
 */
export function describeRealm(realm: SimRealm): string {
  const json = realm.toJSON();
  const sid = (name: string) => realm.lookup(name)?.sid ?? '?';
  const lines = [`realm ${json.domain} (${json.dnsDomain}), domain SID ${json.domainSid}`, ''];
  const section = (title: string, rows: string[][]) => {
    lines.push(`${title}:`, rows.length ? table(rows) : '  (none)', '');
  };
  section(
    'groups',
    json.groups.map((g) => [g.name, sid(g.name)]),
  );
  section(
    'users',
    json.users.map((u) => [
      u.name,
      sid(u.name),
      [
        u.password ? 'password' : 'no password',
        ...(u.groups.length ? [`groups ${u.groups.join(', ')}`] : []),
      ].join('; '),
    ]),
  );
  section(
    'machines',
    json.machines.map((m) => [
      m.fqdn,
      sid(m.fqdn),
      `SPNs ${[`host/${m.fqdn}`, ...m.spns.filter((s) => s !== `host/${m.fqdn}`)].join(', ')}`,
    ]),
  );
  section(
    'policies',
    json.policies.map((p) =>
      p.mode === 'quick'
        ? [
            p.key,
            'quick mode',
            `${p.protection}${p.lifetime ? `, lifetime ${[p.lifetime.seconds ? `${p.lifetime.seconds} s` : '', p.lifetime.bytes ? `${p.lifetime.bytes} bytes` : ''].filter(Boolean).join(' / ')}` : ''}`,
          ]
        : [p.key, 'main mode', `authentication ${p.authentication.join(', ')}`],
    ),
  );
  return `${lines.join('\n').trimEnd()}\n`;
}
