/**
 * Records what an operator would see: every message on the sim's diagnostics channels and every
 * `util.debuglog('wsasec:sim')` line, and scans all of it (with error messages) for secrets.
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { SIM_CHANNELS } from '@wsasec/sim';

/** One published message. */
export interface ChannelEvent {
  channel: string;
  message: Record<string, unknown>;
}

/** A running recording. */
export interface Recording {
  events: ChannelEvent[];
  /** Events published on one channel (by its key in SIM_CHANNELS). */
  on(key: keyof typeof SIM_CHANNELS): Record<string, unknown>[];
  stop(): void;
}

/** Subscribes to every sim channel until `stop()`. */
export function recordChannels(): Recording {
  const events: ChannelEvent[] = [];
  const handlers = Object.values(SIM_CHANNELS).map((name) => {
    const handler = (message: unknown) =>
      events.push({ channel: name, message: message as Record<string, unknown> });
    subscribe(name, handler);
    return [name, handler] as const;
  });
  return {
    events,
    on: (key) => events.filter((e) => e.channel === SIM_CHANNELS[key]).map((e) => e.message),
    stop() {
      for (const [name, handler] of handlers) unsubscribe(name, handler);
    },
  };
}

declare global {
  // Set by test/setup-debuglog.ts: receives every `wsasec:sim` debug line while a suite listens.
  var __wsasecDebugSink: ((line: string) => void) | undefined;
}

/** Collects `NODE_DEBUG=wsasec:sim` lines (the test setup routes them here) until `stop()`. */
export function recordDebugLog(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  globalThis.__wsasecDebugSink = (line) => lines.push(line);
  return {
    lines,
    stop() {
      globalThis.__wsasecDebugSink = undefined;
    },
  };
}

/** Raw bytes found anywhere in a value (a payload must carry ids, names and codes, never bytes). */
export function findBytes(value: unknown, path = '$'): string[] {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => findBytes(v, `${path}.${k}`));
}

/** Text of a payload for scanning (bigints as decimal). */
export function payloadText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
}

/** The secrets among `secrets` that occur in any of `texts` (as text, hex or base64). */
export function findSecrets(texts: readonly string[], secrets: readonly (string | Buffer)[]): string[] {
  const forms = secrets.flatMap((s) => {
    const b = typeof s === 'string' ? Buffer.from(s) : s;
    return [b.toString('utf8'), b.toString('hex'), b.toString('base64')].filter((f) => f.length >= 8);
  });
  const found = new Set<string>();
  for (const text of texts) for (const f of forms) if (text.includes(f)) found.add(f);
  return [...found];
}
