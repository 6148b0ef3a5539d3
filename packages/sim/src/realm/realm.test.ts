import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCertificate, verifyCertificate } from './certificates.js';
import { createSimRealm, findAccount, realmState, SimRealm, tokenGroups } from './realm.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function contoso() {
  const realm = createSimRealm({ domain: 'contoso', dnsDomain: 'Contoso.COM', passwordCost: 10 });
  realm.addGroup('Payroll');
  realm.addUser('alice', { password: 'correct horse', groups: ['Payroll'] });
  realm.addMachine('server.contoso.com', { spns: ['http/www.contoso.com'] });
  realm.addPolicy({
    key: '11111111-1111-4111-8111-111111111111',
    mode: 'quick',
    protection: 'encryption',
    lifetime: { bytes: 1000 },
  });
  return realm;
}

const invalid = (message: RegExp) =>
  expect.objectContaining({ code: 'ERR_WSASEC_INVALID_ARGUMENT', message: expect.stringMatching(message) });

describe('createSimRealm and principals', () => {
  it('names the domain in canonical case, with a domain SID and the built-in groups', () => {
    const realm = contoso();
    expect(realm.domain).toBe('CONTOSO');
    expect(realm.dnsDomain).toBe('contoso.com');
    expect(realm.domainSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    for (const [name, rid] of [
      ['Domain Admins', 512],
      ['Domain Users', 513],
      ['Domain Guests', 514],
      ['Domain Computers', 515],
    ] as const) {
      expect(realm.lookup(name)).toEqual({ sid: `${realm.domainSid}-${rid}`, name, domain: 'CONTOSO' });
    }
  });

  it('gives accounts SIDs from RID 1000 on and finds them by every name form', () => {
    const realm = contoso();
    expect(realm.lookup('Payroll')?.sid).toBe(`${realm.domainSid}-1000`);
    expect(realm.lookup('alice')?.sid).toBe(`${realm.domainSid}-1001`);
    const server = realm.lookup('server.contoso.com');
    expect(server).toEqual({ sid: `${realm.domainSid}-1002`, name: 'SERVER$', domain: 'CONTOSO' });
    for (const name of [
      'SERVER',
      'server$',
      'CONTOSO\\SERVER$',
      'server$@contoso.com',
      'Server.Contoso.Com',
    ]) {
      expect(realm.lookup(name)).toEqual(server);
    }
    expect(realm.lookup('FABRIKAM\\alice')).toBeUndefined();
    expect(realm.lookup('nobody')).toBeUndefined();
  });

  it('registers host SPNs for machines and builds network-logon token groups', () => {
    const realm = contoso();
    const state = realmState(realm);
    const server = findAccount(state, 'server.contoso.com');
    expect(server?.spns).toEqual(['host/server.contoso.com', 'host/SERVER', 'http/www.contoso.com']);
    const alice = findAccount(state, 'alice');
    expect(tokenGroups(state, alice as NonNullable<typeof alice>).map((g) => g.sid)).toEqual([
      `${realm.domainSid}-513`,
      `${realm.domainSid}-1000`,
      'S-1-1-0',
      'S-1-5-11',
      'S-1-5-2',
    ]);
  });

  it('issues each principal a certificate the realm CA verifies', () => {
    const state = realmState(contoso());
    const alice = findAccount(state, 'alice');
    const cert = verifyCertificate(
      alice?.certificate as Buffer,
      { publicKey: state.ca.publicKey, domainSid: state.domainSid },
      Date.now(),
    );
    expect(typeof cert).toBe('object');
    expect(decodeCertificate(alice?.certificate as Buffer)).toMatchObject({
      kind: 'user',
      name: 'alice',
      sid: alice?.sid,
    });
    const other = realmState(contoso());
    expect(
      verifyCertificate(
        alice?.certificate as Buffer,
        { publicKey: other.ca.publicKey, domainSid: state.domainSid },
        Date.now(),
      ),
    ).toBe('signature');
  });

  it('refuses bad names, duplicates, unknown groups and bad policies with what is accepted', () => {
    const realm = contoso();
    expect(() => createSimRealm({ domain: 'CONTOSO-IS-FAR-TOO-LONG', dnsDomain: 'contoso.com' })).toThrow(
      invalid(/NetBIOS/),
    );
    expect(() => createSimRealm({ domain: 'CONTOSO', dnsDomain: 'not a dns name' })).toThrow(
      invalid(/DNS name/),
    );
    expect(() =>
      createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com', domainSid: 'S-1-5-32-544' }),
    ).toThrow(invalid(/S-1-5-21/));
    expect(() => createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com', passwordCost: 30 })).toThrow(
      invalid(/passwordCost/),
    );
    expect(() => realm.addUser('alice')).toThrow(invalid(/already exists/));
    expect(() => realm.addUser('ALICE')).toThrow(invalid(/already exists/));
    expect(() => realm.addUser('bad\\name')).toThrow(invalid(/user name/));
    expect(() => realm.addUser('bob', { groups: ['Nope'] })).toThrow(invalid(/unknown group/));
    expect(() => realm.addUser('bob', { extra: 1 } as never)).toThrow(invalid(/unknown field "extra"/));
    expect(() => realm.addMachine('server.contoso.com')).toThrow(invalid(/already exists/));
    expect(() => realm.addMachine('averyveryverylongname.contoso.com')).toThrow(invalid(/NetBIOS/));
    expect(() => realm.addMachine('web.contoso.com', { spns: ['nope'] })).toThrow(invalid(/SPNs/));
    expect(() => realm.addGroup('Domain Users')).toThrow(invalid(/already exists/));
    const bad = [
      [{ key: 'nope', mode: 'quick', protection: 'encryption' }, /GUID/],
      [{ key: '8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b', mode: 'quick', protection: 'encryption' }, /built-in/],
      [
        { key: '11111111-1111-4111-8111-111111111111', mode: 'quick', protection: 'integrity' },
        /already has a policy/,
      ],
      [
        { key: '22222222-1111-4111-8111-111111111111', mode: 'quick', protection: 'aes' },
        /'integrity' or 'encryption'/,
      ],
      [
        {
          key: '22222222-1111-4111-8111-111111111111',
          mode: 'quick',
          protection: 'encryption',
          lifetime: { bytes: 0 },
        },
        /lifetime\.bytes/,
      ],
      [
        {
          key: '22222222-1111-4111-8111-111111111111',
          mode: 'quick',
          protection: 'encryption',
          lifetime: { seconds: -1 },
        },
        /lifetime\.seconds/,
      ],
      [{ key: '22222222-1111-4111-8111-111111111111', mode: 'main', authentication: ['user'] }, /'machine'/],
      [{ key: '22222222-1111-4111-8111-111111111111', mode: 'tunnel' }, /'main' or 'quick'/],
    ] as const;
    for (const [policy, message] of bad)
      expect(() => realm.addPolicy(policy as never)).toThrow(invalid(message));
    realm.addPolicy({
      key: '33333333-1111-4111-8111-111111111111',
      mode: 'main',
      authentication: ['machine'],
      default: true,
    });
    expect(() =>
      realm.addPolicy({
        key: '44444444-1111-4111-8111-111111111111',
        mode: 'main',
        authentication: ['machine'],
        default: true,
      }),
    ).toThrow(invalid(/default main-mode/));
  });
});

describe('realm files', () => {
  it('round-trips through JSON: same SIDs, keys, certificates, verifiers and policies', () => {
    const realm = contoso();
    const json = JSON.parse(JSON.stringify(realm.toJSON()));
    const copy = SimRealm.fromJSON(json);
    expect(copy.toJSON()).toEqual(realm.toJSON());
    const a = realmState(realm);
    const b = realmState(copy);
    for (const [sid, account] of a.accounts) {
      const other = b.accounts.get(sid);
      expect(other?.name).toBe(account.name);
      expect(other?.certificate?.equals(account.certificate ?? Buffer.alloc(0)) ?? !account.certificate).toBe(
        true,
      );
    }
    expect(copy.getPolicy('11111111-1111-4111-8111-111111111111')).toEqual(
      realm.getPolicy('11111111-1111-4111-8111-111111111111'),
    );
  });

  it('saves with mode 0600 and loads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsasec-realm-'));
    dirs.push(dir);
    const file = join(dir, 'contoso.json');
    const realm = contoso();
    await realm.save(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await SimRealm.load(file);
    expect(loaded.domainSid).toBe(realm.domainSid);
    expect(JSON.parse(await readFile(file, 'utf8')).format).toBe('wsasec-sim-realm');
  });

  it('refuses unreadable, non-JSON and malformed files, naming the bad field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsasec-realm-'));
    dirs.push(dir);
    await expect(SimRealm.load(join(dir, 'missing.json'))).rejects.toThrow(
      invalid(/cannot read the realm file .*ENOENT/),
    );
    const garbage = join(dir, 'garbage.json');
    await writeFile(garbage, '{ not json');
    await expect(SimRealm.load(garbage)).rejects.toThrow(invalid(/not JSON/));
    const good = contoso().toJSON();
    const cases: [unknown, RegExp][] = [
      [{ ...good, format: 'x' }, /format/],
      [{ ...good, version: 2 }, /version 2/],
      [{ ...good, ca: { seed: 'short' } }, /ca\.seed/],
      [{ ...good, users: [{ ...good.users[0], groups: ['Nope'] }] }, /unknown group/],
      [{ ...good, machines: [{ ...good.machines[0], rid: 5 }] }, /machines\[0\]\.rid/],
      [{ ...good, surprise: true }, /unknown field "surprise"/],
      [[], /must be an object/],
    ];
    for (const [json, message] of cases) expect(() => SimRealm.fromJSON(json)).toThrow(invalid(message));
  });
});
