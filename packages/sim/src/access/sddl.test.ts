import { describe, expect, it } from 'vitest';
import { formatSddl, parseSddl, type SecurityDescriptor } from './sddl.js';
import { DOMAIN, expectInvalid } from './sddl-test-helpers.js';

const ctx = { domainSid: DOMAIN };
const parse = (sddl: string) => parseSddl(sddl, ctx);
const aceSid = (sddl: string) => parse(sddl).dacl?.[0]?.sid;
const aceMask = (sddl: string) => parse(sddl).dacl?.[0]?.mask;

// Values from sddl.h / the SID strings documentation, typed here again on purpose.
const FIXED_ALIASES: [string, string][] = [
  ['WD', 'S-1-1-0'],
  ['AU', 'S-1-5-11'],
  ['BA', 'S-1-5-32-544'],
  ['BU', 'S-1-5-32-545'],
  ['BG', 'S-1-5-32-546'],
  ['SY', 'S-1-5-18'],
  ['AN', 'S-1-5-7'],
  ['NS', 'S-1-5-20'],
  ['LS', 'S-1-5-19'],
  ['IU', 'S-1-5-4'],
  ['NU', 'S-1-5-2'],
  ['SU', 'S-1-5-6'],
  ['ED', 'S-1-5-9'],
  ['PS', 'S-1-5-10'],
  ['RC', 'S-1-5-12'],
  ['WR', 'S-1-5-33'],
  ['OW', 'S-1-3-4'],
  ['PU', 'S-1-5-32-547'],
  ['AO', 'S-1-5-32-548'],
  ['SO', 'S-1-5-32-549'],
  ['PO', 'S-1-5-32-550'],
  ['BO', 'S-1-5-32-551'],
  ['RE', 'S-1-5-32-552'],
  ['RU', 'S-1-5-32-554'],
  ['RD', 'S-1-5-32-555'],
  ['NO', 'S-1-5-32-556'],
  ['MU', 'S-1-5-32-558'],
  ['LU', 'S-1-5-32-559'],
  ['IS', 'S-1-5-32-568'],
  ['CY', 'S-1-5-32-569'],
  ['ER', 'S-1-5-32-573'],
  ['CD', 'S-1-5-32-574'],
  ['RA', 'S-1-5-32-575'],
  ['ES', 'S-1-5-32-576'],
  ['MS', 'S-1-5-32-577'],
  ['HA', 'S-1-5-32-578'],
  ['AA', 'S-1-5-32-579'],
  ['RM', 'S-1-5-32-580'],
  ['AC', 'S-1-15-2-1'],
];

const DOMAIN_ALIASES: [string, number][] = [
  ['LA', 500],
  ['LG', 501],
  ['DA', 512],
  ['DU', 513],
  ['DG', 514],
  ['DC', 515],
  ['DD', 516],
  ['CA', 517],
  ['PA', 520],
  ['CN', 522],
  ['AP', 525],
  ['KA', 526],
  ['RS', 553],
];

const RIGHTS: [string, number][] = [
  ['GA', 0x1000_0000],
  ['GR', 0x8000_0000],
  ['GW', 0x4000_0000],
  ['GX', 0x2000_0000],
  ['RC', 0x0002_0000],
  ['SD', 0x0001_0000],
  ['WD', 0x0004_0000],
  ['WO', 0x0008_0000],
  ['RP', 0x10],
  ['WP', 0x20],
  ['CC', 0x1],
  ['DC', 0x2],
  ['LC', 0x4],
  ['SW', 0x8],
  ['LO', 0x80],
  ['DT', 0x40],
  ['CR', 0x100],
  ['FA', 0x1f01ff],
  ['FR', 0x120089],
  ['FW', 0x120116],
  ['FX', 0x1200a0],
  ['KA', 0xf003f],
  ['KR', 0x20019],
  ['KW', 0x20006],
  ['KX', 0x20019],
];

describe('parseSddl: SIDs', () => {
  it.each(FIXED_ALIASES)('alias %s is %s in an ACE, as owner and as group', (alias, sid) => {
    expect(aceSid(`D:(A;;GA;;;${alias})`)).toBe(sid);
    const sd = parse(`O:${alias}G:${alias}D:`);
    expect(sd.owner).toBe(sid);
    expect(sd.group).toBe(sid);
  });

  it.each(DOMAIN_ALIASES)('domain alias %s is <domain>-%d', (alias, rid) => {
    expect(aceSid(`D:(A;;GA;;;${alias})`)).toBe(`${DOMAIN}-${rid}`);
    expect(parseSddl(`O:${alias}`, { domainSid: 'S-1-5-21-1-2-3' }).owner).toBe(`S-1-5-21-1-2-3-${rid}`);
  });

  it.each([
    ['S-1-5-18', 'S-1-5-18'],
    ['S-1-5', 'S-1-5'],
    ['S-1-0', 'S-1-0'],
    ['S-1-5-21-4294967295-0-1', 'S-1-5-21-4294967295-0-1'],
    ['S-1-4294967295-1', 'S-1-4294967295-1'],
    ['S-1-0x123456789abc-7', 'S-1-0x123456789ABC-7'],
    ['S-1-0x000000000005-18', 'S-1-5-18'],
    [`S-1-5${'-1'.repeat(15)}`, `S-1-5${'-1'.repeat(15)}`],
  ])('SID string %s is read as %s', (text, sid) => {
    expect(aceSid(`D:(A;;GA;;;${text})`)).toBe(sid);
  });

  it.each([
    ['S-2-5-18', /revision .* must be 1/],
    ['S-1', /authority is missing/],
    ['S-1-', /identifier authority "" must be decimal/],
    ['S-1-x-1', /identifier authority "x"/],
    ['S-1-4294967296-1', /identifier authority "4294967296"/],
    ['S-1-0x1234567890123-1', /0x and up to 12 hex digits/],
    ['S-1-5-', /subauthority "" must be a decimal number/],
    ['S-1-5-018', /subauthority "018" .* without leading zeros/],
    ['S-1-5-4294967296', /subauthority "4294967296"/],
    ['S-1-5--1', /subauthority ""/],
    [`S-1-5${'-1'.repeat(16)}`, /16 subauthorities; a SID has at most 15/],
    ['S-1-5-1x', /subauthority "1x"/],
  ])('malformed SID %s is refused', (text, message) => {
    expectInvalid(() => parse(`D:(A;;GA;;;${text})`), message);
    expectInvalid(() => parse(`O:${text}`), message);
  });

  it.each(['s-1-5-18', 'ba', 'Wd', 'XX', 'B', 'BAA', 'LW', 'EA'])('unknown alias %s is refused', (text) => {
    const error = expectInvalid(() => parse(`D:(A;;GA;;;${text})`), /unknown SID alias|not a SID string/);
    expect(error.message).toMatch(/S-1-|upper-case/);
  });

  it.each(['CO', 'CG', 'S-1-3-0', 'S-1-3-1'])('creator placeholder %s is refused with its reason', (text) => {
    expectInvalid(() => parse(`D:(A;OICIIO;GA;;;${text})`), /CREATOR OWNER \/ CREATOR GROUP.*placeholder/);
    expectInvalid(() => parse(`O:${text}`), /placeholder/);
  });

  it('an empty owner, group or ACE SID is refused', () => {
    expectInvalid(() => parse('O:G:BA'), /owner \(O:\): the SID is empty/);
    expectInvalid(() => parse('G:'), /group \(G:\): the SID is empty/);
    expectInvalid(() => parse('D:(A;;GA;;;)'), /ACE 1 .*the SID is empty/);
  });

  it('checks the context domain SID', () => {
    expectInvalid(() => parseSddl('D:', { domainSid: 'x' }), /domainSid must be a SID string/);
    expectInvalid(() => parseSddl('D:', {} as never), /domainSid must be a SID string/);
    expectInvalid(() => parseSddl('D:', undefined as never), /domainSid must be a SID string/);
    expectInvalid(
      () => parseSddl('D:', { domainSid: `S-1-5${'-1'.repeat(15)}` }),
      /leave room for a RID \(at most 14/,
    );
    expect(parseSddl('O:DU', { domainSid: `S-1-5${'-1'.repeat(14)}` }).owner).toBe(
      `S-1-5${'-1'.repeat(14)}-513`,
    );
  });
});

describe('parseSddl: rights', () => {
  it.each(RIGHTS)('right code %s is %d', (code, mask) => {
    expect(aceMask(`D:(A;;${code};;;WD)`)).toBe(mask);
  });

  it.each([
    ['GRGW', 0xc000_0000],
    ['RCSDWDWO', 0x000f_0000],
    ['CCDCLCSWRPWPDTLOCR', 0x1ff],
    ['FAFA', 0x1f01ff],
    ['0x1F01FF', 0x1f01ff],
    ['0X1f01ff', 0x1f01ff],
    ['0xFFFFFFFF', 0xffff_ffff],
    ['0x0', 0],
    ['0x00000001', 1],
    ['2032127', 0x1f01ff],
    ['4294967295', 0xffff_ffff],
    ['0', 0],
  ])('rights %s are %d', (rights, mask) => {
    expect(aceMask(`D:(A;;${rights};;;WD)`)).toBe(mask);
  });

  it.each([
    ['', /has no rights; write two-letter codes \(GA GR/],
    ['XX', /unknown right "XX"; write two-letter codes/],
    ['GAG', /unknown right "G"/],
    ['NR', /unknown right "NR"/],
    ['ga', /unknown right "ga"/],
    ['0x', /hex mask "0x"; a hex mask is 0x and 1–8 hex digits/],
    ['0x123456789', /1–8 hex digits/],
    ['0xZZ', /1–8 hex digits/],
    ['0x1FGA', /1–8 hex digits/],
    ['012', /leading zeros \(Windows reads a leading 0 as octal\)/],
    ['4294967296', /decimal mask "4294967296"; a decimal mask is 0 to 4294967295/],
    ['12AB', /decimal mask "12AB"/],
    ['-1', /unknown right "-1"/],
  ])('rights %j are refused', (rights, message) => {
    expectInvalid(() => parse(`D:(A;;${rights};;;WD)`), message);
  });
});

describe('parseSddl: ACEs and flags', () => {
  it('reads a full descriptor', () => {
    const sd = parse('O:BAG:SYD:PAI(D;;WD;;;BG)(A;OICI;FA;;;SY)(A;ID;0x1200a9;;;S-1-5-21-1-2-3-1001)');
    expect(sd).toEqual({
      owner: 'S-1-5-32-544',
      group: 'S-1-5-18',
      daclFlags: ['P', 'AI'],
      dacl: [
        { type: 'deny', flags: [], mask: 0x40000, sid: 'S-1-5-32-546' },
        { type: 'allow', flags: ['OI', 'CI'], mask: 0x1f01ff, sid: 'S-1-5-18' },
        { type: 'allow', flags: ['ID'], mask: 0x1200a9, sid: 'S-1-5-21-1-2-3-1001' },
      ],
    } satisfies SecurityDescriptor);
  });

  it.each(['CI', 'OI', 'NP', 'IO', 'ID', 'SA', 'FA'])('ACE flag %s is kept', (flag) => {
    expect(parse(`D:(A;${flag};GA;;;WD)`).dacl?.[0]?.flags).toEqual([flag]);
  });

  it('keeps ACE flags in the order written', () => {
    expect(parse('D:(A;IOCIOINP;GA;;;WD)').dacl?.[0]?.flags).toEqual(['IO', 'CI', 'OI', 'NP']);
  });

  it.each([
    ['TH', /unknown ACE flag "TH"; accepted: CI OI NP IO ID SA FA/],
    ['CR', /unknown ACE flag "CR"/],
    ['OIC', /unknown ACE flag "C"/],
    ['ci', /unknown ACE flag "ci"/],
    ['CICI', /repeats the ACE flag CI/],
  ])('ACE flags %s are refused', (flags, message) => {
    expectInvalid(() => parse(`D:(A;${flags};GA;;;WD)`), message);
  });

  it.each(['OA', 'OD', 'AU', 'AL', 'OU', 'OL', 'ML', 'XA', 'XD', 'ZA', 'XU', 'SP', 'RA'])(
    'ACE type %s is refused as unsupported',
    (type) => {
      expectInvalid(
        () => parse(`D:(${type};;GA;;;WD)`),
        new RegExp(`ACE type ${type}; only A \\(access allowed\\) and D \\(access denied\\) are supported`),
      );
    },
  );

  it.each(['', 'a', 'Q', 'AD'])('unknown ACE type %j is refused', (type) => {
    expectInvalid(() => parse(`D:(${type};;GA;;;WD)`), /unknown ACE type .*only A \(access allowed\) and D/);
  });

  it.each([
    ['(A;;GA;;WD)', /ACE 1 at position 2 has 5 fields; an A or D ACE has 6: \(type;flags;rights;;;sid\)/],
    ['(A;;GA;;;WD;x)', /has 7 fields/],
    ['()', /has 1 field;/],
    ['(A;;GA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)', /object GUID; .*OA\/OD.*not supported/],
    ['(A;;GA;;bf967aba-0de6-11d0-a285-00aa003049e2;WD)', /object GUID/],
    ['(A;;GA;;;WD', /ACE 1 at position 2 is not closed with "\)"/],
    ['(A;(;GA;;;WD)', /has "\(" inside it at position 5/],
    ['(A;;GA;;;WD)(A;;GA;;;XX)', /ACE 2 at position 14: unknown SID alias "XX"/],
  ])('ACE %s is refused', (aces, message) => {
    expectInvalid(() => parse(`D:${aces}`), message);
  });

  it('accepts 1000 ACEs and refuses 1001', () => {
    expect(parse(`D:${'(A;;GA;;;WD)'.repeat(1000)}`).dacl).toHaveLength(1000);
    expectInvalid(() => parse(`D:${'(A;;GA;;;WD)'.repeat(1001)}`), /more than 1000 ACEs; at most 1000/);
  });
});

describe('parseSddl: parts and DACL flags', () => {
  it('without D: the DACL is NULL; with an empty D: it is empty', () => {
    expect(parse('O:BA')).toEqual({ owner: 'S-1-5-32-544', dacl: null, daclFlags: [] });
    expect(parse('D:')).toEqual({ dacl: [], daclFlags: [] });
    expect(parse('D:NO_ACCESS_CONTROL')).toEqual({ dacl: null, daclFlags: [] });
    expect(parse('D:PNO_ACCESS_CONTROL')).toEqual({ dacl: null, daclFlags: ['P'] });
  });

  it.each([
    ['P', ['P']],
    ['AI', ['AI']],
    ['AR', ['AR']],
    ['PAIAR', ['P', 'AI', 'AR']],
    ['ARP', ['AR', 'P']],
  ])('DACL flags %s are %j', (flags, expected) => {
    expect(parse(`D:${flags}(A;;GA;;;WD)`).daclFlags).toEqual(expected);
    expect(parse(`D:${flags}`).daclFlags).toEqual(expected);
    expect(parse(`D:${flags}S:`).daclFlags).toEqual(expected);
  });

  it('accepts the parts in any order and ignores S:', () => {
    const sd = parse('S:PAI(AU;SAFA;GA;;;WD)(ML;;NW;;;LW)D:(A;;GA;;;WD)G:BUO:S-1-5-21-1-2-3-500');
    expect(sd).toEqual({
      owner: 'S-1-5-21-1-2-3-500',
      group: 'S-1-5-32-545',
      daclFlags: [],
      dacl: [{ type: 'allow', flags: [], mask: 0x1000_0000, sid: 'S-1-1-0' }],
    });
    expect(parse('D:(A;;GA;;;WD)S:(RA;;;;;WD;("a",TU,0x0,3))').dacl).toHaveLength(1);
  });

  it.each([
    ['', /SDDL is empty: give at least one of the parts O:, G:, D:, S:/],
    ['X:BA', /"X:BA" at position 0 where a part starts; expected O:, G:, D: or S:/],
    ['(A;;GA;;;WD)', /expected O:, G:, D: or S:/],
    ['D', /expected O:, G:, D: or S:/],
    ['D:(A;;GA;;;WD)D:', /second D: part at position 14; each part may appear once/],
    ['O:BAO:SY', /second O: part/],
    ['D:X', /unknown flag at position 2 \("X"\); accepted: P, AI, AR, NO_ACCESS_CONTROL/],
    ['D:PP', /repeats the flag P/],
    ['D:NO_ACCESS_CONTROLNO_ACCESS_CONTROL', /repeats NO_ACCESS_CONTROL/],
    ['D:NO_ACCESS_CONTROL(A;;GA;;;WD)', /NO_ACCESS_CONTROL \(a NULL DACL\) and cannot also hold ACEs/],
    ['D:(A;;GA;;;WD)P', /"P" at position 14; after the flags only ACEs in parentheses may follow/],
    ['D:(A;;GA;;;WD)x', /after the flags only ACEs/],
    ['S:(AU;;GA;;;WD', /SACL \(S:\) at position 0 has an ACE not closed/],
    ['S:)', /SACL \(S:\) at position 0 has an unmatched "\)" at 2/],
    ['O:BA:', /unknown SID alias "B"/],
  ])('%j is refused', (sddl, message) => {
    expectInvalid(() => parse(sddl), message);
  });

  it.each([
    ['D: (A;;GA;;;WD)', 2],
    [' D:(A;;GA;;;WD)', 0],
    ['D:(A; ;GA;;;WD)', 5],
    ['O:BA D:', 4],
    ['D:(A;;GA;;;WD)\n', 14],
    ['D:(A;;GA;;;WD)\t', 14],
    ['D:(A;;GA;;;WD)\u00a0', 14],
  ])('whitespace in %j is refused at position %d', (sddl, position) => {
    expectInvalid(
      () => parse(sddl),
      new RegExp(`whitespace at position ${position}: write the parts and ACE fields with no spaces`),
    );
  });

  it('refuses non-ASCII and control characters', () => {
    expectInvalid(() => parse('D:(A;;GA;;;WD)é'), /character U\+00E9 at position 14; only printable ASCII/);
    expectInvalid(() => parse('D:\u0000'), /U\+0000 at position 2/);
  });

  it('refuses strings longer than 65536 characters, and non-strings', () => {
    const longest = `D:${'(A;;GA;;;WD)'.repeat(1000)}S:${'P'.repeat(65_536 - 12_004)}`;
    expect(longest).toHaveLength(65_536);
    expect(parse(longest).dacl).toHaveLength(1000);
    expectInvalid(() => parse(`D:${'P'.repeat(65_535)}`), /65537 characters; at most 65536/);
    for (const value of [undefined, null, 42, {}, ['D:'], Symbol('x')])
      expectInvalid(() => parseSddl(value as never, ctx), /SDDL must be a string such as "D:\(A;;GA;;;AU\)"/);
  });

  it('stays linear on hostile input', () => {
    const hostile = [
      `D:(${';'.repeat(65_530)})`,
      `D:${'('.repeat(65_534)}`,
      `S:${'('.repeat(65_534)}`,
      `O:S-1-5${'-1'.repeat(32_000)}`,
      `D:(A;;GA;;;WD)${'x:'.repeat(32_000)}`,
    ];
    for (const sddl of hostile) expectInvalid(() => parse(sddl), /SDDL/);
    expect(parse(`D:(A;;${'GA'.repeat(32_740)};;;WD)`).dacl?.[0]?.mask).toBe(0x1000_0000);
  });
});

describe('formatSddl', () => {
  it('writes what parseSddl reads back', () => {
    const sd = parse('O:BAG:DUD:PAI(D;;WD;;;BG)(A;OICIIO;GA;;;SY)(A;;0x1;;;S-1-0x123456789ABC-1)');
    const text = formatSddl(sd);
    expect(text).toBe(
      `O:S-1-5-32-544G:${DOMAIN}-513D:PAI(D;;0x40000;;;S-1-5-32-546)(A;OICIIO;0x10000000;;;S-1-5-18)(A;;0x1;;;S-1-0x123456789ABC-1)`,
    );
    expect(parse(text)).toEqual(sd);
    expect(formatSddl(parse('D:NO_ACCESS_CONTROL'))).toBe('D:NO_ACCESS_CONTROL');
  });

  it('refuses what is not a security descriptor', () => {
    const bad = [null, {}, { dacl: 'x', daclFlags: [] }, { dacl: [{ type: 'allow' }], daclFlags: [] }];
    for (const value of bad) {
      expect(() => formatSddl(value as never)).toThrow(/SecurityDescriptor/);
    }
    expectInvalid(
      () => formatSddl({ dacl: [{ type: 'allow', flags: [], mask: 1, sid: 'WD' }], daclFlags: [] }),
      /"WD" is not a SID string/,
    );
  });
});
