/**
 * SDDL for the sim: a strict, linear-time parser of the parts of a security descriptor that an access
 * check needs, and the `AccessCheck` evaluator that reads them.
 * @module
 */

import { MAX_SDDL_LENGTH } from '@wsasec/core';
import {
  type Ace,
  assertSecurityDescriptor,
  SDDL_MAX_ACES,
  type SecurityDescriptor,
} from './access-check.js';
import { checkSidString, excerpt, resolveSddlSid, SID_MAX_SUB_AUTHORITIES, sddlFail } from './sid.js';

export {
  type AccessEvaluation,
  type Ace,
  evaluateAccess,
  mapGenericMask,
  SDDL_MAX_ACES,
  type SecurityDescriptor,
} from './access-check.js';
export {
  canonicalSid,
  formatSid,
  isValidSidString,
  OWNER_RIGHTS_SID,
  SDDL_CREATOR_ALIASES,
  SDDL_DOMAIN_ALIASES,
  SDDL_SID_ALIASES,
} from './sid.js';

/** What the domain-relative SID aliases (`DU`, `DA`, `DC`, `DG`, …) resolve against. */
export interface SddlContext {
  /** The domain SID, e.g. `S-1-5-21-1004336348-1177238915-682003330`; `DU` becomes `<domainSid>-513`. */
  domainSid: string;
}

/** The two-letter access right codes of SDDL (`sddl.h`, `SDDL_*`) and their masks. */
export const SDDL_RIGHTS: Readonly<Record<string, number>> = Object.freeze({
  GA: 0x1000_0000,
  GR: 0x8000_0000,
  GW: 0x4000_0000,
  GX: 0x2000_0000,
  RC: 0x0002_0000,
  SD: 0x0001_0000,
  WD: 0x0004_0000,
  WO: 0x0008_0000,
  RP: 0x0000_0010,
  WP: 0x0000_0020,
  CC: 0x0000_0001,
  DC: 0x0000_0002,
  LC: 0x0000_0004,
  SW: 0x0000_0008,
  LO: 0x0000_0080,
  DT: 0x0000_0040,
  CR: 0x0000_0100,
  FA: 0x001f_01ff,
  FR: 0x0012_0089,
  FW: 0x0012_0116,
  FX: 0x0012_00a0,
  KA: 0x000f_003f,
  KR: 0x0002_0019,
  KW: 0x0002_0006,
  KX: 0x0002_0019,
});

/** ACE flags accepted in an ACE string (`CONTAINER_INHERIT_ACE`, `OBJECT_INHERIT_ACE`, …). */
export const SDDL_ACE_FLAGS: readonly string[] = Object.freeze(['CI', 'OI', 'NP', 'IO', 'ID', 'SA', 'FA']);

/** DACL control flags accepted after `D:` (`SE_DACL_PROTECTED`, `SE_DACL_AUTO_INHERITED`, …). */
export const SDDL_DACL_FLAGS: readonly string[] = Object.freeze(['P', 'AI', 'AR']);

const NO_ACCESS_CONTROL = 'NO_ACCESS_CONTROL';
const OTHER_ACE_TYPES = new Set([
  'OA',
  'OD',
  'AU',
  'AL',
  'OU',
  'OL',
  'ML',
  'XA',
  'XD',
  'ZA',
  'XU',
  'SP',
  'RA',
]);
const PART_NAMES: Readonly<Record<string, string>> = { O: 'owner (O:)', G: 'group (G:)', D: 'DACL (D:)' };

/**
 * Mirrors `ConvertStringSecurityDescriptorToSecurityDescriptorW` for what an access check needs:
 * `O:` and `G:` (a SID string or alias), `D:` (flags `P`, `AI`, `AR` or `NO_ACCESS_CONTROL`, then
 * `(type;flags;rights;;;sid)` ACEs of type `A` or `D`); `S:` is checked for balanced parentheses and
 * otherwise ignored. Each part at most once, in any order. Without a `D:` part the DACL is NULL
 * (everyone gets full access), as on Windows; `D:` with no ACE is an empty DACL (nobody gets anything).
 *
 * Stricter than Windows on purpose: no whitespace anywhere (Windows skips some), ASCII only,
 * upper-case codes, no repeated flag, no empty rights field, no leading zeros in decimal masks (Windows
 * would read them as octal). At most 1000 ACEs and 65536 characters; the parse is a single pass.
 * Rights are two-letter codes (`GA GR GW GX RC SD WD WO RP WP CC DC LC SW LO DT CR FA FR FW FX KA KR KW
 * KX`), `0x` and 1–8 hex digits, or a decimal number up to 4294967295.
 * @throws SecureSocketError `WSAEINVAL` (syscall `AccessCheck`) for any malformed input, with a
 *   message that says what is wrong, where, and what is accepted.
 */
export function parseSddl(sddl: string, ctx: SddlContext): SecurityDescriptor {
  if (typeof sddl !== 'string')
    sddlFail(`SDDL must be a string such as "D:(A;;GA;;;AU)", got ${typeof sddl}`);
  if (sddl.length === 0)
    sddlFail('SDDL is empty: give at least one of the parts O:, G:, D:, S:, e.g. "D:(A;;GA;;;AU)"');
  if (sddl.length > MAX_SDDL_LENGTH)
    sddlFail(`SDDL has ${sddl.length} characters; at most ${MAX_SDDL_LENGTH} are accepted`);
  const domainSid = contextDomain(ctx);
  const space = sddl.search(/\s/);
  if (space >= 0)
    sddlFail(
      `SDDL has whitespace at position ${space}: write the parts and ACE fields with no spaces or line breaks, e.g. "O:BAD:(A;;GA;;;AU)"`,
    );
  const odd = sddl.search(/[^\x21-\x7e]/);
  if (odd >= 0)
    sddlFail(
      `SDDL has the character U+${sddl.charCodeAt(odd).toString(16).toUpperCase().padStart(4, '0')} at position ${odd}; only printable ASCII is accepted`,
    );
  return new SddlParser(sddl, domainSid).parse();
}

function contextDomain(ctx: SddlContext): string {
  const domainSid: unknown = typeof ctx === 'object' && ctx !== null ? ctx.domainSid : undefined;
  const checked = typeof domainSid === 'string' ? checkSidString(domainSid) : undefined;
  if (checked === undefined || 'problem' in checked)
    sddlFail(
      `SddlContext.domainSid must be a SID string such as "S-1-5-21-1-2-3"${checked && 'problem' in checked ? `: ${checked.problem}` : ''}`,
    );
  if (checked.sid.split('-').length - 3 >= SID_MAX_SUB_AUTHORITIES)
    sddlFail(
      `SddlContext.domainSid must leave room for a RID (at most ${SID_MAX_SUB_AUTHORITIES - 1} subauthorities)`,
    );
  return checked.sid;
}

class SddlParser {
  private i = 0;
  private readonly sd: SecurityDescriptor = { dacl: null, daclFlags: [] };

  constructor(
    private readonly s: string,
    private readonly domainSid: string,
  ) {}

  parse(): SecurityDescriptor {
    const seen = new Set<string>();
    while (this.i < this.s.length) {
      const tag = this.s[this.i] ?? '';
      if (this.s[this.i + 1] !== ':' || !'OGDS'.includes(tag))
        sddlFail(
          `SDDL has ${excerpt(this.s.slice(this.i, this.i + 12))} at position ${this.i} where a part starts; expected O:, G:, D: or S:`,
        );
      if (seen.has(tag))
        sddlFail(`SDDL has a second ${tag}: part at position ${this.i}; each part may appear once`);
      seen.add(tag);
      this.i += 2;
      if (tag === 'O' || tag === 'G') this.sidPart(tag);
      else if (tag === 'D') this.daclPart();
      else this.skipSacl();
    }
    return this.sd;
  }

  // A part ends where the next "X:" begins (the character before the next colon), as Windows reads it.
  private atNextPart(at: number): boolean {
    return this.s[at + 1] === ':';
  }

  private sidPart(tag: 'O' | 'G'): void {
    const start = this.i;
    while (this.i < this.s.length && !this.atNextPart(this.i)) this.i++;
    const sid = resolveSddlSid(this.s.slice(start, this.i), this.domainSid, `SDDL ${PART_NAMES[tag]}`);
    if (tag === 'O') this.sd.owner = sid;
    else this.sd.group = sid;
  }

  private daclPart(): void {
    const flags: string[] = [];
    let nullDacl = false;
    while (this.i < this.s.length && this.s[this.i] !== '(' && !this.atNextPart(this.i)) {
      const at = this.i;
      let flag: string;
      if (this.s.startsWith(NO_ACCESS_CONTROL, at)) {
        if (nullDacl) sddlFail(`SDDL DACL (D:) repeats NO_ACCESS_CONTROL at position ${at}`);
        nullDacl = true;
        this.i += NO_ACCESS_CONTROL.length;
        continue;
      }
      if (this.s[at] === 'P') flag = 'P';
      else if (this.s.startsWith('AI', at) || this.s.startsWith('AR', at)) flag = this.s.slice(at, at + 2);
      else
        sddlFail(
          `SDDL DACL (D:) has an unknown flag at position ${at} (${excerpt(this.s.slice(at, at + 8))}); accepted: P, AI, AR, NO_ACCESS_CONTROL, then ACEs in parentheses`,
        );
      if (flags.includes(flag)) sddlFail(`SDDL DACL (D:) repeats the flag ${flag} at position ${at}`);
      flags.push(flag);
      this.i += flag.length;
    }
    const aces: Ace[] = [];
    while (this.s[this.i] === '(') {
      if (aces.length === SDDL_MAX_ACES)
        sddlFail(`SDDL DACL (D:) has more than ${SDDL_MAX_ACES} ACEs; at most ${SDDL_MAX_ACES} are accepted`);
      aces.push(this.ace(aces.length + 1));
    }
    if (this.i < this.s.length && !this.atNextPart(this.i))
      sddlFail(
        `SDDL DACL (D:) has ${excerpt(this.s.slice(this.i, this.i + 12))} at position ${this.i}; after the flags only ACEs in parentheses may follow, then another part`,
      );
    if (nullDacl && aces.length > 0)
      sddlFail('SDDL DACL (D:) is NO_ACCESS_CONTROL (a NULL DACL) and cannot also hold ACEs');
    this.sd.daclFlags = flags;
    this.sd.dacl = nullDacl ? null : aces;
  }

  private ace(index: number): Ace {
    const open = this.i;
    const fields: string[] = [];
    let start = open + 1;
    let at = start;
    for (; at < this.s.length && this.s[at] !== ')'; at++) {
      const c = this.s[at];
      if (c === '(')
        sddlFail(
          `SDDL ACE ${index} at position ${open} has "(" inside it at position ${at}; close it with ")"`,
        );
      if (c === ';') {
        fields.push(this.s.slice(start, at));
        start = at + 1;
      }
    }
    if (at >= this.s.length) sddlFail(`SDDL ACE ${index} at position ${open} is not closed with ")"`);
    fields.push(this.s.slice(start, at));
    this.i = at + 1;
    const where = `SDDL ACE ${index} at position ${open}`;
    if (fields.length !== 6)
      sddlFail(
        `${where} has ${fields.length} ${fields.length === 1 ? 'field' : 'fields'}; an A or D ACE has 6: (type;flags;rights;;;sid), e.g. (A;;GA;;;AU)`,
      );
    const [type = '', flags = '', rights = '', objectGuid = '', inheritGuid = '', sid = ''] = fields;
    if (objectGuid !== '' || inheritGuid !== '')
      sddlFail(
        `${where} has an object GUID; GUIDs belong to object ACEs (OA/OD), which are not supported: leave fields 4 and 5 empty`,
      );
    return {
      type: aceType(type, where),
      flags: aceFlags(flags, where),
      mask: aceRights(rights, where),
      sid: resolveSddlSid(sid, this.domainSid, where),
    };
  }

  // The SACL is ignored, but its end still has to be found without reading a colon inside an ACE.
  private skipSacl(): void {
    const start = this.i - 2;
    let depth = 0;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) sddlFail(`SDDL SACL (S:) at position ${start} has an unmatched ")" at ${this.i}`);
        depth--;
      } else if (depth === 0 && this.atNextPart(this.i)) return;
    }
    if (depth > 0) sddlFail(`SDDL SACL (S:) at position ${start} has an ACE not closed with ")"`);
  }
}

function aceType(text: string, where: string): 'allow' | 'deny' {
  if (text === 'A') return 'allow';
  if (text === 'D') return 'deny';
  if (OTHER_ACE_TYPES.has(text))
    sddlFail(`${where} has ACE type ${text}; only A (access allowed) and D (access denied) are supported`);
  return sddlFail(
    `${where} has an unknown ACE type ${excerpt(text)}; only A (access allowed) and D (access denied) are supported`,
  );
}

function aceFlags(text: string, where: string): string[] {
  const flags: string[] = [];
  for (let at = 0; at < text.length; at += 2) {
    const flag = text.slice(at, at + 2);
    if (!SDDL_ACE_FLAGS.includes(flag))
      sddlFail(
        `${where} has an unknown ACE flag ${excerpt(flag)}; accepted: ${SDDL_ACE_FLAGS.join(' ')} (two letters each, written together, e.g. OICI)`,
      );
    if (flags.includes(flag)) sddlFail(`${where} repeats the ACE flag ${flag}`);
    flags.push(flag);
  }
  return flags;
}

function aceRights(text: string, where: string): number {
  const accepted = `two-letter codes (${Object.keys(SDDL_RIGHTS).join(' ')}) written together, 0x and 1–8 hex digits, or a decimal number up to 4294967295`;
  if (text.length === 0) sddlFail(`${where} has no rights; write ${accepted}`);
  if (text.startsWith('0x') || text.startsWith('0X')) {
    const digits = text.slice(2);
    if (digits.length === 0 || digits.length > 8 || !/^[0-9A-Fa-f]+$/.test(digits))
      sddlFail(`${where} has the hex mask ${excerpt(text)}; a hex mask is 0x and 1–8 hex digits`);
    return Number.parseInt(digits, 16) >>> 0;
  }
  const first = text.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) > 0xffff_ffff)
      sddlFail(
        `${where} has the decimal mask ${excerpt(text)}; a decimal mask is 0 to 4294967295 without leading zeros (Windows reads a leading 0 as octal)`,
      );
    return Number(text) >>> 0;
  }
  let mask = 0;
  for (let at = 0; at < text.length; at += 2) {
    const code = text.slice(at, at + 2);
    const bits = Object.hasOwn(SDDL_RIGHTS, code) ? SDDL_RIGHTS[code] : undefined;
    if (bits === undefined) sddlFail(`${where} has the unknown right ${excerpt(code)}; write ${accepted}`);
    mask |= bits;
  }
  return mask >>> 0;
}

/**
 * Mirrors `ConvertSecurityDescriptorToStringSecurityDescriptorW` for the parts {@link parseSddl} reads:
 * writes `O:`, `G:` and `D:` (masks as `0x` hex, SIDs as SID strings), so that
 * `parseSddl(formatSddl(sd), ctx)` gives back `sd`.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` when `sd` is not a security descriptor of this
 *   module's shape; `WSAEINVAL` when a SID in it is not a SID string.
 */
export function formatSddl(sd: SecurityDescriptor): string {
  const dacl = assertSecurityDescriptor(sd);
  let out = '';
  if (sd.owner !== undefined) out += `O:${sidText(sd.owner)}`;
  if (sd.group !== undefined) out += `G:${sidText(sd.group)}`;
  out += `D:${sd.daclFlags.join('')}`;
  if (dacl === null) return `${out}${NO_ACCESS_CONTROL}`;
  for (const ace of dacl) {
    const type = ace.type === 'deny' ? 'D' : 'A';
    out += `(${type};${ace.flags.join('')};0x${(ace.mask >>> 0).toString(16)};;;${sidText(ace.sid)})`;
  }
  return out;
}

function sidText(sid: string): string {
  const checked = checkSidString(sid);
  if ('problem' in checked) sddlFail(`${excerpt(sid)} is not a SID string: ${checked.problem}`);
  return checked.sid;
}
