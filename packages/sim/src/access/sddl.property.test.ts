import {
  ACCESS_SYSTEM_SECURITY,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  SecureSocketError,
  WRITE_DAC,
} from '@wsasec/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Ace,
  evaluateAccess,
  formatSddl,
  formatSid,
  mapGenericMask,
  parseSddl,
  SDDL_DOMAIN_ALIASES,
  SDDL_RIGHTS,
  SDDL_SID_ALIASES,
  type SecurityDescriptor,
} from './sddl.js';
import { DOMAIN } from './sddl-test-helpers.js';
import { isCanonicalDecimalSid } from './sid.js';

const ctx = { domainSid: DOMAIN };
const ACE_FLAGS = ['CI', 'OI', 'NP', 'IO', 'ID', 'SA', 'FA'];
const OWNER_RIGHTS = 'S-1-3-4';
const POOL = [
  'S-1-1-0',
  'S-1-5-11',
  'S-1-5-32-544',
  'S-1-5-32-545',
  'S-1-5-18',
  `${DOMAIN}-513`,
  OWNER_RIGHTS,
];
const CREATORS = new Set(['S-1-3-0', 'S-1-3-1']);

function expectOnlyWsaeinval(input: unknown): void {
  try {
    const sd = parseSddl(input as string, ctx);
    expect(sd.dacl === null || Array.isArray(sd.dacl)).toBe(true);
  } catch (error) {
    expect(SecureSocketError.isInstance(error), `not a SecureSocketError: ${String(error)}`).toBe(true);
    const e = error as SecureSocketError;
    expect(e.code).toBe('WSAEINVAL');
    expect(e.syscall).toBe('AccessCheck');
    expect(e.message.length).toBeGreaterThan(10);
  }
}

const SOUP = [
  'O:',
  'G:',
  'D:',
  'S:',
  '(',
  ')',
  ';',
  ';;',
  ';;;',
  ':',
  'A',
  'D',
  'OA',
  'AU',
  'GA',
  'FR',
  'WD',
  'BA',
  'DU',
  'CO',
  'S-1-5-',
  'S-1-',
  '18',
  '-',
  '0x',
  '0X1F',
  '4294967296',
  '012',
  'P',
  'AI',
  'AR',
  'NO_ACCESS_CONTROL',
  'OICI',
  'IO',
  ' ',
  '\n',
  'é',
  '\u0000',
  'x',
];
const soup = fc.array(fc.constantFrom(...SOUP), { maxLength: 40 }).map((parts) => parts.join(''));

describe('parseSddl on arbitrary input', () => {
  it('throws nothing but SecureSocketError WSAEINVAL for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), expectOnlyWsaeinval), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), expectOnlyWsaeinval), {
      numRuns: 500,
    });
    fc.assert(fc.property(soup, expectOnlyWsaeinval), { numRuns: 3000 });
    fc.assert(fc.property(fc.anything(), expectOnlyWsaeinval), { numRuns: 300 });
  });
});

describe('SID strings', () => {
  const prefix = fc.constantFrom('S-1-', 'S-1-', 'S-1-', 'S-2-', 's-1-', 'S-1', '');
  const number = fc.oneof(
    fc.nat().map(String),
    fc.constantFrom('0', '007', '4294967295', '4294967296', '9999999999', '10000000000', 'x', '0x1F', ''),
  );
  const sidLike = fc
    .tuple(prefix, fc.array(number, { maxLength: 18 }), fc.constantFrom('-', '-', '-', '--', '+'))
    .map(([head, numbers, separator]) => head + numbers.join(separator));

  it('the one-pass canonical check accepts exactly the decimal SIDs formatSid writes', () => {
    fc.assert(
      fc.property(sidLike, (text) => {
        const numbers = text.split('-').slice(2);
        const expected =
          text.startsWith('S-1-') &&
          numbers.length >= 1 &&
          numbers.length <= 16 &&
          numbers.every((n) => /^(0|[1-9][0-9]*)$/.test(n) && Number(n) <= 0xffff_ffff);
        expect(isCanonicalDecimalSid(text)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 15 }),
        (authority, subs) => {
          expect(isCanonicalDecimalSid(formatSid(authority, subs))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

// --- Generated valid SDDL, with the descriptor it must parse to ---

interface Spelled<T> {
  text: string;
  value: T;
}

const sidArb: fc.Arbitrary<Spelled<string>> = fc.oneof(
  fc.constantFrom(...Object.entries(SDDL_SID_ALIASES)).map(([text, value]) => ({ text, value })),
  fc
    .constantFrom(...Object.entries(SDDL_DOMAIN_ALIASES))
    .map(([text, rid]) => ({ text, value: `${DOMAIN}-${rid}` })),
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 2 ** 48 - 1 })),
      fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 15 }),
    )
    .map(([authority, subs]) => {
      const value = formatSid(authority, subs);
      return { text: authority > 0xffff_ffff ? value.toLowerCase().replace(/^s/, 'S') : value, value };
    })
    .filter((sid) => !CREATORS.has(sid.value)),
);

const rightsArb: fc.Arbitrary<Spelled<number>> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }).map((value) => ({ text: String(value), value })),
  fc
    .tuple(fc.integer({ min: 0, max: 0xffff_ffff }), fc.boolean(), fc.integer({ min: 0, max: 7 }))
    .map(([value, upper, pad]) => {
      const hex = value.toString(16).padStart(Math.min(8, value.toString(16).length + pad), '0');
      return { text: `0x${upper ? hex.toUpperCase() : hex}`, value };
    }),
  fc.array(fc.constantFrom(...Object.keys(SDDL_RIGHTS)), { minLength: 1, maxLength: 6 }).map((codes) => ({
    text: codes.join(''),
    value: codes.reduce((mask, code) => (mask | (SDDL_RIGHTS[code] ?? 0)) >>> 0, 0),
  })),
);

const aceArb = fc
  .record({
    deny: fc.boolean(),
    flags: fc.shuffledSubarray(ACE_FLAGS),
    rights: rightsArb,
    sid: sidArb,
  })
  .map(({ deny, flags, rights, sid }) => ({
    text: `(${deny ? 'D' : 'A'};${flags.join('')};${rights.text};;;${sid.text})`,
    value: { type: deny ? 'deny' : 'allow', flags, mask: rights.value, sid: sid.value } satisfies Ace,
  }));

const sddlArb = fc
  .record({
    owner: fc.option(sidArb),
    group: fc.option(sidArb),
    daclFlags: fc.shuffledSubarray(['P', 'AI', 'AR']),
    dacl: fc.option(fc.array(aceArb, { maxLength: 12 }), { freq: 8 }),
    sacl: fc.constantFrom(null, 'S:', 'S:AI(AU;SAFA;GA;;;WD)', 'S:(ML;;NW;;;LW)'),
    order: fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 }),
  })
  .map(({ owner, group, daclFlags, dacl, sacl, order }) => {
    const parts = [
      owner ? `O:${owner.text}` : '',
      group ? `G:${group.text}` : '',
      `D:${daclFlags.join('')}${dacl ? dacl.map((a) => a.text).join('') : 'NO_ACCESS_CONTROL'}`,
      sacl ?? '',
    ];
    const expected: SecurityDescriptor = { dacl: dacl ? dacl.map((a) => a.value) : null, daclFlags };
    if (owner) expected.owner = owner.value;
    if (group) expected.group = group.value;
    return { text: order.map((i) => parts[i]).join(''), expected };
  });

describe('parseSddl on generated valid SDDL', () => {
  it('reads back the owner, group, flags and every ACE it was built from', () => {
    fc.assert(
      fc.property(sddlArb, ({ text, expected }) => {
        expect(parseSddl(text, ctx)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('formatSddl then parseSddl gives the same descriptor', () => {
    fc.assert(
      fc.property(sddlArb, ({ text }) => {
        const sd = parseSddl(text, ctx);
        expect(parseSddl(formatSddl(sd), ctx)).toEqual(sd);
      }),
      { numRuns: 500 },
    );
  });
});

// --- AccessCheck against an independent, bit-by-bit model ---

const MASKS = [
  ...Object.values(SDDL_RIGHTS),
  0x1,
  0x2,
  0x20000,
  0x40000,
  0x0200_0000,
  0x0100_0000,
  0xffff_ffff,
];
const modelAce = fc.record({
  type: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
  flags: fc.oneof(fc.constant([] as string[]), fc.shuffledSubarray(ACE_FLAGS, { maxLength: 2 })),
  mask: fc.oneof(fc.constantFrom(...MASKS), fc.integer({ min: 0, max: 0xffff_ffff })),
  sid: fc.constantFrom(...POOL),
});
const descriptorArb: fc.Arbitrary<SecurityDescriptor> = fc
  .record({
    owner: fc.option(fc.constantFrom(...POOL.slice(0, 6))),
    dacl: fc.option(fc.array(modelAce, { maxLength: 10 }), { freq: 10 }),
  })
  .map(({ owner, dacl }) => ({ ...(owner ? { owner } : {}), dacl, daclFlags: [] }));
const tokenArb = fc.subarray(POOL.slice(0, 6));
const desiredArb = fc.oneof(
  fc.integer({ min: 1, max: 0xffff_ffff }),
  fc.constantFrom(...MASKS.filter((m) => m !== 0)),
  fc.constantFrom(...MASKS).map((m) => (m | MAXIMUM_ALLOWED) >>> 0),
  fc.constantFrom(0x1, 0x2, 0x3, 0x20000, 0x40000, 0x20001),
);

/** Each bit is decided by the first matching non-inherit-only ACE that names it (Windows' rule). */
function reference(sd: SecurityDescriptor, token: readonly string[], desired: number) {
  const mapped = mapGenericMask(desired);
  const requested = (mapped & ~MAXIMUM_ALLOWED) >>> 0;
  const wantsMaximum = (mapped & MAXIMUM_ALLOWED) !== 0;
  if (requested & ACCESS_SYSTEM_SECURITY) return { granted: false, grantedAccess: 0 };
  if (sd.dacl === null)
    return { granted: true, grantedAccess: wantsMaximum ? (0x1f01ff | requested) >>> 0 : requested };
  const active = sd.dacl.filter((a) => !a.flags.includes('IO'));
  const isOwner = sd.owner !== undefined && token.includes(sd.owner);
  const ownerRights = active.some((a) => a.sid === OWNER_RIGHTS);
  let maximum = 0;
  for (let bit = 0; bit < 32; bit++) {
    const b = 2 ** bit;
    if (b === MAXIMUM_ALLOWED || b === ACCESS_SYSTEM_SECURITY || b >= 0x1000_0000) continue;
    if (isOwner && !ownerRights && (b === READ_CONTROL || b === WRITE_DAC)) {
      maximum += b;
      continue;
    }
    const decider = active.find(
      (a) =>
        (token.includes(a.sid) || (isOwner && a.sid === OWNER_RIGHTS)) &&
        Math.floor(mapGenericMask(a.mask) / b) % 2 === 1,
    );
    if (decider?.type === 'allow') maximum += b;
  }
  const covered = (requested & ~maximum) === 0;
  if (wantsMaximum) return covered && maximum !== 0 ? { granted: true, grantedAccess: maximum } : DENIED;
  return covered ? { granted: true, grantedAccess: requested } : DENIED;
}
const DENIED = { granted: false, grantedAccess: 0 };

describe('evaluateAccess properties', () => {
  it('agrees with the bit-by-bit model of Windows AccessCheck', () => {
    fc.assert(
      fc.property(descriptorArb, tokenArb, desiredArb, (sd, token, desired) => {
        expect(evaluateAccess(sd, token, desired)).toEqual(reference(sd, token, desired));
      }),
      { numRuns: 3000 },
    );
  });

  it('adding a deny ACE at the front never grants more', () => {
    fc.assert(
      fc.property(descriptorArb, tokenArb, desiredArb, modelAce, (sd, token, desired, extra) => {
        const before = evaluateAccess(sd, token, desired);
        const denyFirst = { ...sd, dacl: [{ ...extra, type: 'deny' as const }, ...(sd.dacl ?? [])] };
        const after = evaluateAccess(denyFirst, token, desired);
        if (after.granted) expect(before.granted).toBe(true);
        expect((after.grantedAccess & ~before.grantedAccess) >>> 0).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('grants no bit outside the mapped desired mask unless MAXIMUM_ALLOWED, and 0 when denied', () => {
    fc.assert(
      fc.property(descriptorArb, tokenArb, desiredArb, (sd, token, desired) => {
        const result = evaluateAccess(sd, token, desired);
        if (!result.granted) expect(result.grantedAccess).toBe(0);
        if ((desired & MAXIMUM_ALLOWED) === 0)
          expect((result.grantedAccess & ~mapGenericMask(desired)) >>> 0).toBe(0);
        expect(result.grantedAccess & ACCESS_SYSTEM_SECURITY).toBe(0);
        expect(result.grantedAccess >= 0 && result.grantedAccess <= 0x0fff_ffff).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
