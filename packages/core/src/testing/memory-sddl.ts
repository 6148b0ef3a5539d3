/**
 * A small SDDL DACL evaluator for the in-memory test backend: `O:`/`G:` parts skipped, `D:` with
 * `A` and `D` ACEs, rights as hex, decimal or two-letter codes, SIDs as `S-1-…` or a few aliases.
 * Enough to exercise `accessCheck` through the contract; not Windows' full grammar.
 * @module
 */
import {
  DEFAULT_GENERIC_MAPPING,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  MAXIMUM_ALLOWED,
  SecureSocketError,
} from '../index.js';

interface Ace {
  allow: boolean;
  inheritOnly: boolean;
  mask: number;
  sid: string;
}

const RIGHTS: Record<string, number> = {
  GA: GENERIC_ALL,
  GR: GENERIC_READ,
  GW: GENERIC_WRITE,
  GX: GENERIC_EXECUTE,
  FA: DEFAULT_GENERIC_MAPPING.genericAll,
  FR: DEFAULT_GENERIC_MAPPING.genericRead,
  FW: DEFAULT_GENERIC_MAPPING.genericWrite,
  FX: DEFAULT_GENERIC_MAPPING.genericExecute,
  RC: 0x0002_0000,
  SD: 0x0001_0000,
  WD: 0x0004_0000,
  WO: 0x0008_0000,
};

const SID_ALIASES: Record<string, string> = {
  WD: 'S-1-1-0',
  AU: 'S-1-5-11',
  NU: 'S-1-5-2',
  SY: 'S-1-5-18',
  BA: 'S-1-5-32-544',
  BU: 'S-1-5-32-545',
};
const DOMAIN_ALIASES: Record<string, number> = { DA: 512, DU: 513, DC: 515 };
const SID_RE = /^S-1-\d{1,13}(-\d{1,10}){0,15}$/;
const ACE_FLAGS = new Set(['CI', 'OI', 'NP', 'IO', 'ID', 'SA', 'FA']);

function malformed(what: string): never {
  throw new SecureSocketError(
    'WSAEINVAL',
    `accessCheck: malformed SDDL (${what}); expected e.g. "D:(A;;GA;;;WD)" with A/D ACEs`,
    { syscall: 'AccessCheck' },
  );
}

function mapGeneric(mask: number): number {
  let mapped = mask & ~(GENERIC_ALL | GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE);
  if (mask & GENERIC_ALL) mapped |= DEFAULT_GENERIC_MAPPING.genericAll;
  if (mask & GENERIC_READ) mapped |= DEFAULT_GENERIC_MAPPING.genericRead;
  if (mask & GENERIC_WRITE) mapped |= DEFAULT_GENERIC_MAPPING.genericWrite;
  if (mask & GENERIC_EXECUTE) mapped |= DEFAULT_GENERIC_MAPPING.genericExecute;
  return mapped >>> 0;
}

function parseRights(text: string): number {
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return Number.parseInt(text, 16);
  if (/^\d{1,10}$/.test(text) && Number(text) <= 0xffff_ffff) return Number(text);
  if (text.length === 0 || text.length % 2 !== 0) malformed(`rights "${text}"`);
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const right = RIGHTS[text.slice(i, i + 2)];
    if (right === undefined) malformed(`unknown right "${text.slice(i, i + 2)}"`);
    mask |= right;
  }
  return mask >>> 0;
}

function parseSid(text: string, domainSid: string): string {
  const alias = SID_ALIASES[text];
  if (alias) return alias;
  const rid = DOMAIN_ALIASES[text];
  if (rid) return `${domainSid}-${rid}`;
  if (!SID_RE.test(text)) malformed(`SID "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`);
  return text;
}

function parseAce(body: string, domainSid: string): Ace {
  const parts = body.split(';');
  if (parts.length !== 6) malformed('an ACE has six fields: type;flags;rights;object;inherit;sid');
  const [type, flags, rights, object, inherit, sid] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (type !== 'A' && type !== 'D') malformed(`ACE type "${type}" (only A and D)`);
  if (flags.length % 2 !== 0) malformed(`ACE flags "${flags}"`);
  const flagList: string[] = [];
  for (let i = 0; i < flags.length; i += 2) {
    const flag = flags.slice(i, i + 2);
    if (!ACE_FLAGS.has(flag)) malformed(`ACE flag "${flag}"`);
    flagList.push(flag);
  }
  if (object !== '' || inherit !== '') malformed('object ACE GUIDs are not supported');
  return {
    allow: type === 'A',
    inheritOnly: flagList.includes('IO'),
    mask: mapGeneric(parseRights(rights)),
    sid: parseSid(sid, domainSid),
  };
}

/** Parses the DACL of `sddl`: null when the descriptor has no `D:` part (a null DACL). */
export function parseMemoryDacl(sddl: string, domainSid: string): Ace[] | null {
  let rest = sddl;
  let dacl: Ace[] | null = null;
  while (rest.length > 0) {
    const tag = rest.slice(0, 2);
    rest = rest.slice(2);
    if (tag === 'O:' || tag === 'G:') {
      const end = rest.search(/[OGDS]:/);
      const sid = end < 0 ? rest : rest.slice(0, end);
      parseSid(sid, domainSid);
      rest = end < 0 ? '' : rest.slice(end);
    } else if (tag === 'D:') {
      if (dacl) malformed('two D: parts');
      dacl = [];
      const flags = /^(P|AI|AR)*/.exec(rest)?.[0] ?? '';
      rest = rest.slice(flags.length);
      while (rest.startsWith('(')) {
        const close = rest.indexOf(')');
        if (close < 0) malformed('unclosed "("');
        dacl.push(parseAce(rest.slice(1, close), domainSid));
        rest = rest.slice(close + 1);
      }
      if (rest.length > 0 && !/^[OGS]:/.test(rest)) malformed(`unexpected "${rest.slice(0, 10)}"`);
    } else if (tag === 'S:') {
      rest = '';
    } else {
      malformed(`unknown part "${tag}"`);
    }
  }
  return dacl;
}

/** Windows `AccessCheck` over a parsed DACL: ACEs in order, a deny of any still-wanted right denies. */
export function evaluateMemoryAccess(
  dacl: Ace[] | null,
  sids: readonly string[],
  desiredAccess: number,
): { granted: boolean; grantedAccess: number } {
  const maximum = (desiredAccess & MAXIMUM_ALLOWED) !== 0;
  const wanted = mapGeneric(desiredAccess & ~MAXIMUM_ALLOWED);
  if (dacl === null) {
    return { granted: true, grantedAccess: maximum ? DEFAULT_GENERIC_MAPPING.genericAll | wanted : wanted };
  }
  let granted = 0;
  let denied = 0;
  for (const ace of dacl) {
    if (ace.inheritOnly || !sids.includes(ace.sid)) continue;
    if (ace.allow) granted |= ace.mask & ~denied;
    else denied |= ace.mask & ~granted;
  }
  granted >>>= 0;
  if (maximum) {
    const ok = (granted & wanted) === wanted && granted !== 0;
    return { granted: ok, grantedAccess: ok ? granted : 0 };
  }
  const ok = wanted !== 0 && (granted & wanted) === wanted;
  return { granted: ok, grantedAccess: ok ? wanted : 0 };
}
