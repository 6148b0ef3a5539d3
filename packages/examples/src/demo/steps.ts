import type { Principal } from '@wsasec/core';
import type { SecureResponse } from '../shared/http-request.js';
import { errorCode, formatPrincipal, formatProtection, formatSaId } from '../shared/security-format.js';
import type { DemoStep } from './report.js';

/** The demo's steps, in order. */
export const DEMO_LABELS = [
  'negotiated protection',
  'security associations',
  'server identity',
  'client identity',
  'access granted',
  'access denied',
  'clear text refused',
  'man in the middle',
  'nothing reached rogue',
] as const;

/** The demo's server machine. */
export const DEMO_SERVER = 'server.contoso.com';
/** The peer target name the demo's clients require the server to prove. */
export const DEMO_TARGET = `host/${DEMO_SERVER}`;

/** A request's result or what it threw. */
export type Outcome<T> = { value: T; error?: undefined } | { value?: undefined; error: unknown };

/** Runs `fn`, keeping its result or its error. */
export async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await fn() };
  } catch (error) {
    return { error };
  }
}

/** `failed: CODE: message` for a step that threw. */
export function failure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `failed: ${errorCode(error)}: ${message}`;
}

/** What the demo server's `/whoami` answers. */
interface WhoAmI {
  user?: Principal;
  machine?: Principal;
  actingAs?: Principal;
}

function parseWhoAmI(body: string): WhoAmI {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as WhoAmI) : {};
  } catch {
    return {};
  }
}

/**
 * The first four steps, from alice's `GET /whoami`: the connection is secured and encrypted, both
 * SA ids are there, the server proved to be the server machine (`serverMachineSid`), and the server
 * saw alice on the client machine and impersonated her.
 */
export function judgeIdentity(
  outcome: Outcome<SecureResponse>,
  expected: { serverMachineSid: string; clientMachineSid: string; aliceSid: string },
): DemoStep[] {
  const [protection, associations, server, client] = DEMO_LABELS;
  if (!outcome.value) {
    return [protection, associations, server, client].map((label) => ({
      label,
      ok: false,
      detail: failure(outcome.error),
    }));
  }
  const res = outcome.value;
  const sec = res.security;
  const seen = parseWhoAmI(res.body);
  return [
    {
      label: protection,
      ok: res.status === 200 && sec?.secured === true && sec.encrypted,
      detail: sec
        ? `${formatProtection(sec)} (protocol ${sec.protocol}); GET /whoami → ${res.status}`
        : `no security information for the connection; GET /whoami → ${res.status}`,
    },
    {
      label: associations,
      ok: !!sec?.mmSaId && !!sec.qmSaId,
      detail: `main mode SA ${formatSaId(sec?.mmSaId)}, quick mode SA ${formatSaId(sec?.qmSaId)}`,
    },
    {
      label: server,
      ok: sec?.peerMachine?.sid === expected.serverMachineSid,
      detail: `${formatPrincipal(sec?.peerMachine)} proved it is ${DEMO_TARGET}`,
    },
    {
      label: client,
      ok:
        seen.user?.sid === expected.aliceSid &&
        seen.machine?.sid === expected.clientMachineSid &&
        seen.actingAs?.sid === expected.aliceSid,
      detail: `the server saw ${formatPrincipal(seen.user)} on ${formatPrincipal(seen.machine)}, and impersonated ${formatPrincipal(seen.actingAs)}`,
    },
  ];
}

/** An access-check step: `GET /payroll` as `who` must answer `expected` (200 or 403). */
export function judgeAccess(
  label: string,
  who: string,
  outcome: Outcome<SecureResponse>,
  expected: number,
): DemoStep {
  if (!outcome.value) return { label, ok: false, detail: `${who}: ${failure(outcome.error)}` };
  const { status, statusMessage } = outcome.value;
  const ok = status === expected;
  return {
    label,
    ok,
    detail: `${who}: GET /payroll → ${status} ${statusMessage}${ok ? '' : ` (expected ${expected})`}`,
  };
}

/** A plain http client must get no answer, and its request must never reach the handler. */
export function judgeClearText(outcome: Outcome<SecureResponse>, reached: number): DemoStep {
  const label = DEMO_LABELS[6];
  if (outcome.value) {
    return { label, ok: false, detail: `a plain http client got an answer: ${outcome.value.status}` };
  }
  return {
    label,
    ok: reached === 0,
    detail: `a plain http client got no HTTP answer (${errorCode(outcome.error)}); requests handled: ${reached}`,
  };
}

/** A valid machine answering for the server must be refused for its name. */
export function judgeRogue(outcome: Outcome<SecureResponse>): DemoStep {
  const label = DEMO_LABELS[7];
  if (outcome.value) {
    return {
      label,
      ok: false,
      detail: `rogue.contoso.com was accepted: GET /payroll → ${outcome.value.status}`,
    };
  }
  const code = errorCode(outcome.error);
  return code === 'ERR_WSASEC_PEER_NAME_MISMATCH'
    ? { label, ok: true, detail: `rogue.contoso.com answering for ${DEMO_SERVER}: refused (${code})` }
    : { label, ok: false, detail: `expected ERR_WSASEC_PEER_NAME_MISMATCH, ${failure(outcome.error)}` };
}

/** The rogue must not have received the request. */
export function judgeRogueReached(reached: number): DemoStep {
  return {
    label: DEMO_LABELS[8],
    ok: reached === 0,
    detail:
      reached === 0
        ? 'requests rogue.contoso.com received: 0'
        : `rogue.contoso.com received ${reached} request(s)`,
  };
}
