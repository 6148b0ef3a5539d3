// Token, SID and security-descriptor half of the fake library: real Windows layouts (TOKEN_USER,
// TOKEN_GROUPS with pointers into the caller's buffer), LocalAlloc'd strings, a small SDDL/DACL
// evaluator, and strict bookkeeping so tests can see every handle closed exactly once.

/** An account the fake knows. */
export interface FakeIdentity {
  sid: string;
  name: string;
  domain: string;
  /** Group SIDs with their SE_GROUP_* attributes (0x4 = enabled, 0x10 = deny only). */
  groups: { sid: string; attributes: number }[];
}

export const DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';

export const IDENTITIES = {
  alice: {
    sid: `${DOMAIN_SID}-1104`,
    name: 'alice',
    domain: 'CONTOSO',
    groups: [
      { sid: `${DOMAIN_SID}-513`, attributes: 0x7 },
      { sid: 'S-1-5-11', attributes: 0x7 },
      { sid: 'S-1-5-32-544', attributes: 0x10 },
    ],
  },
  clientMachine: {
    sid: `${DOMAIN_SID}-1105`,
    name: 'CLIENT$',
    domain: 'CONTOSO',
    groups: [{ sid: `${DOMAIN_SID}-515`, attributes: 0x7 }],
  },
  serverMachine: {
    sid: `${DOMAIN_SID}-1106`,
    name: 'SERVER$',
    domain: 'CONTOSO',
    groups: [{ sid: `${DOMAIN_SID}-515`, attributes: 0x7 }],
  },
  service: {
    sid: `${DOMAIN_SID}-1000`,
    name: 'svc',
    domain: 'CONTOSO',
    groups: [{ sid: 'S-1-5-11', attributes: 0x7 }],
  },
} satisfies Record<string, FakeIdentity>;

export function sidToBytes(sid: string): Buffer {
  const parts = sid.split('-');
  if (parts[0] !== 'S' || parts[1] !== '1' || parts.length < 3) throw new Error(`bad SID ${sid}`);
  const authority = BigInt(parts[2] as string);
  const subs = parts.slice(3).map((p) => Number(p));
  const buf = Buffer.alloc(8 + 4 * subs.length);
  buf[0] = 1;
  buf[1] = subs.length;
  for (let i = 0; i < 6; i++) buf[2 + i] = Number((authority >> BigInt(8 * (5 - i))) & 0xffn);
  subs.forEach((s, i) => {
    buf.writeUInt32LE(s >>> 0, 8 + 4 * i);
  });
  return buf;
}

export function bytesToSid(buf: Uint8Array): string | undefined {
  if (buf.length < 8 || buf[0] !== 1) return undefined;
  const count = buf[1] as number;
  if (buf.length < 8 + 4 * count) return undefined;
  let authority = 0n;
  for (let i = 0; i < 6; i++) authority = (authority << 8n) | BigInt(buf[2 + i] as number);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const subs = Array.from({ length: count }, (_, i) => view.readUInt32LE(8 + 4 * i));
  return ['S', '1', authority.toString(), ...subs.map(String)].join('-');
}

const ALIASES: Record<string, string> = {
  WD: 'S-1-1-0',
  AU: 'S-1-5-11',
  BA: 'S-1-5-32-544',
  SY: 'S-1-5-18',
  DU: `${DOMAIN_SID}-513`,
};

const RIGHTS: Record<string, number> = {
  GA: 0x1000_0000,
  GX: 0x2000_0000,
  GW: 0x4000_0000,
  GR: 0x8000_0000,
  FA: 0x001f_01ff,
  FR: 0x0012_0089,
  FW: 0x0012_0116,
  FX: 0x0012_00a0,
  RC: 0x0002_0000,
};

export interface FakeAce {
  allow: boolean;
  mask: number;
  sid: string;
}

/** Parses `O:..G:..D:(A|D;;rights;;;trustee)...`; undefined when malformed. */
export function parseSddl(sddl: string): { owner?: string; group?: string; dacl: FakeAce[] } | undefined {
  const m = /^(?:O:([A-Z]{2}|S-[\d-]+))?(?:G:([A-Z]{2}|S-[\d-]+))?D:((?:\([^()]*\))*)$/.exec(sddl);
  if (!m) return undefined;
  const resolve = (t: string) => (/^S-1-\d+(-\d+)+$/.test(t) ? t : ALIASES[t]);
  const aces: FakeAce[] = [];
  for (const ace of (m[3] ?? '').match(/\([^()]*\)/g) ?? []) {
    const f = ace.slice(1, -1).split(';');
    if (f.length !== 6 || (f[0] !== 'A' && f[0] !== 'D')) return undefined;
    const rights = f[2] as string;
    let mask = 0;
    if (/^0x[0-9a-f]+$/i.test(rights)) mask = Number.parseInt(rights, 16);
    else {
      if (rights.length === 0 || rights.length % 2 !== 0) return undefined;
      for (let i = 0; i < rights.length; i += 2) {
        const r = RIGHTS[rights.slice(i, i + 2)];
        if (r === undefined) return undefined;
        mask |= r;
      }
    }
    const sid = resolve(f[5] as string);
    if (!sid) return undefined;
    aces.push({ allow: f[0] === 'A', mask: mask >>> 0, sid });
  }
  const result: { owner?: string; group?: string; dacl: FakeAce[] } = { dacl: aces };
  if (m[1]) result.owner = resolve(m[1]);
  if (m[2]) result.group = resolve(m[2]);
  return result;
}

/** The AccessCheck algorithm over a DACL (deny ACEs first as written; generic rights mapped). */
export function evaluateDacl(
  aces: FakeAce[],
  identity: FakeIdentity,
  desired: number,
  mapping: [number, number, number, number],
): { granted: number; ok: boolean } {
  const map = (mask: number) => {
    let out = mask & 0x0fff_ffff;
    if (mask & 0x8000_0000) out |= mapping[0];
    if (mask & 0x4000_0000) out |= mapping[1];
    if (mask & 0x2000_0000) out |= mapping[2];
    if (mask & 0x1000_0000) out |= mapping[3];
    return out >>> 0;
  };
  const sids = new Set([
    identity.sid,
    'S-1-1-0',
    ...identity.groups.filter((g) => g.attributes & 0x4).map((g) => g.sid),
  ]);
  const denyOnly = new Set(identity.groups.filter((g) => g.attributes & 0x10).map((g) => g.sid));
  let granted = 0;
  let denied = 0;
  for (const ace of aces) {
    const mask = map(ace.mask);
    if (ace.allow && sids.has(ace.sid)) granted |= mask & ~denied;
    if (!ace.allow && (sids.has(ace.sid) || denyOnly.has(ace.sid))) denied |= mask & ~granted;
  }
  const want = desired >>> 0;
  const ok = want !== 0 && (granted & want) >>> 0 === want;
  return { granted: ok ? want : 0, ok };
}
