/**
 * The attack matrix: what the man in the middle does (scenarios), under which security settings
 * both ends run (settings), and what the model says must happen for each pair.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { SecuritySettings } from '@wsasec/core';
import type { Tamper } from './proxy.js';
import { FrameKind, RecordType } from './units.js';

/** A settings column of the matrix, applied to the client and the server alike. */
export interface SettingsCase {
  name: 'default' | 'guaranteeEncryption' | 'allowInsecure' | 'optionalPeerNameVerification';
  security: SecuritySettings;
}

/** The four settings columns. */
export const SETTINGS: readonly SettingsCase[] = [
  { name: 'default', security: {} },
  { name: 'guaranteeEncryption', security: { guaranteeEncryption: true } },
  { name: 'allowInsecure', security: { allowInsecure: true } },
  {
    name: 'optionalPeerNameVerification',
    security: { protocol: 'ipsec', ipsec: { optionalPeerNameVerification: true } },
  },
];

/** What must happen. */
export interface Expected {
  /** The matrix cell: `secured`, `refused (<code>)`, `clear (reported)` or `secured to ROGUE$ (reported)`. */
  outcome: 'secured' | 'refused' | 'clear' | 'rogue';
  /** The client's connect error code, when it must fail. */
  clientError?: string;
  /** The accepting server's error code on the delivered socket, when it must fail after accept. */
  serverError?: string;
  /** Exactly which of the client's messages (1-based) the server application must receive. */
  serverReceives: readonly number[];
  /** The server must report a refused negotiation (`negotiationError` event). */
  serverRefuses?: boolean;
}

/** One thing the man in the middle does. */
export interface Scenario {
  name: string;
  /** One line for the report. */
  description: string;
  /** Relay to the rogue machine instead of the server. */
  relayToRogue?: boolean;
  /** Replay the recorded client half of a handshake to a new connection (see mitm-run.ts). */
  replayHandshake?: boolean;
  tamper?: () => Tamper;
  expected(settings: SettingsCase): Expected;
}

const ALL = [1, 2, 3] as const;

function flipBit(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  const at = Math.min(Math.max(offset, 0), copy.length - 1);
  copy[at] = (copy[at] as number) ^ 0x10;
  return copy;
}

/** Tamper with the n-th DATA frame from client to server of the first connection only. */
function onDataFrame(n: number, act: (frame: Buffer, seen: Buffer[]) => Buffer[]): () => Tamper {
  return () => {
    const seen: Buffer[] = [];
    return (unit, ctx) => {
      if (ctx.connection !== 0 || ctx.direction !== 'c2s' || unit.kind !== 'frame') return [unit.bytes];
      if (unit.type !== FrameKind.Data) return [unit.bytes];
      seen.push(unit.bytes);
      if (ctx.ordinal === n) {
        const out = act(unit.bytes, seen);
        if (out.length === 1 && out[0] === CUT) {
          ctx.cut();
          return [unit.bytes.subarray(0, Math.floor(unit.bytes.length / 2))];
        }
        return out;
      }
      return [unit.bytes];
    };
  };
}

/** Marker returned by an action: forward half of the frame, then close. */
const CUT = Buffer.from('cut');

/** Negotiation refused, unless allowInsecure lets both ends fall back to clear text. */
function handshakeTampered(s: SettingsCase): Expected {
  if (s.name === 'allowInsecure') return { outcome: 'clear', serverReceives: ALL };
  return {
    outcome: 'refused',
    clientError: 'ERR_WSASEC_NEGOTIATION_FAILED',
    serverReceives: [],
    serverRefuses: true,
  };
}

/** The n-th frame is refused; the messages before it arrive, nothing after. */
function frameRefused(received: readonly number[]): () => Expected {
  return () => ({ outcome: 'refused', serverError: 'ERR_WSASEC_INTEGRITY', serverReceives: received });
}

/** The matrix rows. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'pass-through',
    description: 'relays every byte unchanged',
    expected: () => ({ outcome: 'secured', serverReceives: ALL }),
  },
  {
    name: 'flip-handshake-init',
    description: 'flips one bit in the body of the client INIT',
    tamper: () => (unit, ctx) =>
      ctx.connection === 0 &&
      ctx.direction === 'c2s' &&
      unit.kind === 'record' &&
      unit.type === RecordType.Init
        ? [flipBit(unit.bytes, 9 + 40)]
        : [unit.bytes],
    expected: handshakeTampered,
  },
  {
    name: 'flip-handshake-resp',
    description: 'flips one bit in the body of the server RESP',
    tamper: () => (unit, ctx) =>
      ctx.connection === 0 &&
      ctx.direction === 's2c' &&
      unit.kind === 'record' &&
      unit.type === RecordType.Resp
        ? [flipBit(unit.bytes, unit.bytes.length - 20)]
        : [unit.bytes],
    expected: handshakeTampered,
  },
  {
    name: 'flip-data-frame',
    description: 'flips one bit in the payload of the 2nd data frame',
    tamper: onDataFrame(2, (frame) => [flipBit(frame, 17 + 3)]),
    expected: frameRefused([1]),
  },
  {
    name: 'flip-frame-header',
    description: 'flips one bit in the length field of the 2nd data frame',
    tamper: onDataFrame(2, (frame) => [flipBit(frame, 16)]),
    expected: frameRefused([1]),
  },
  {
    name: 'replay-frame',
    description: 'sends the 1st data frame again after the 2nd',
    tamper: onDataFrame(2, (frame, seen) => [frame, seen[0] as Buffer]),
    expected: frameRefused([1, 2]),
  },
  {
    name: 'reorder-frames',
    description: 'swaps the 2nd and 3rd data frames',
    tamper: () => {
      let second: Buffer | undefined;
      return (unit, ctx) => {
        if (ctx.connection !== 0 || ctx.direction !== 'c2s' || unit.kind !== 'frame') return [unit.bytes];
        if (unit.type !== FrameKind.Data) return [unit.bytes];
        if (ctx.ordinal === 2) {
          second = unit.bytes;
          return [];
        }
        if (ctx.ordinal === 3 && second) return [unit.bytes, second];
        return [unit.bytes];
      };
    },
    expected: frameRefused([1]),
  },
  {
    name: 'drop-frame',
    description: 'drops the 2nd data frame',
    tamper: onDataFrame(2, () => []),
    expected: frameRefused([1]),
  },
  {
    name: 'truncate-frame',
    description: 'forwards half of the 2nd data frame, then closes (FIN)',
    tamper: onDataFrame(2, () => [CUT]),
    expected: frameRefused([1]),
  },
  {
    name: 'inject-bytes',
    description: 'injects 32 random bytes before the 2nd data frame',
    tamper: onDataFrame(2, (frame) => [randomBytes(32), frame]),
    expected: frameRefused([1]),
  },
  {
    name: 'downgrade',
    description: 'strips every negotiation record and answers the INIT in clear text',
    tamper: () => (unit, ctx) => {
      if (unit.kind !== 'record') return [unit.bytes];
      if (ctx.direction === 'c2s' && unit.type === RecordType.Init)
        ctx.reply(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
      return [];
    },
    expected: (s) =>
      s.name === 'allowInsecure'
        ? { outcome: 'clear', serverReceives: ALL }
        : { outcome: 'refused', clientError: 'ERR_WSASEC_NEGOTIATION_FAILED', serverReceives: [] },
  },
  {
    name: 'trusted-mitm',
    description: 'relays to rogue.contoso.com, a valid machine of the same realm',
    relayToRogue: true,
    expected: (s) =>
      s.name === 'optionalPeerNameVerification'
        ? { outcome: 'rogue', serverReceives: ALL }
        : {
            outcome: 'refused',
            clientError: 'ERR_WSASEC_PEER_NAME_MISMATCH',
            serverReceives: [],
            serverRefuses: true,
          },
  },
  {
    name: 'replay-handshake',
    description: "replays a recorded client's whole handshake and frames to a new connection",
    replayHandshake: true,
    expected: () => ({ outcome: 'refused', serverReceives: [], serverRefuses: true }),
  },
];
