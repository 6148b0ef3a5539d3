import { ikeErrorName } from '@wsasec/core';
import { openTokenCount } from '@wsasec/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findBytes,
  findSecrets,
  payloadText,
  type Recording,
  recordChannels,
  recordDebugLog,
} from '../src/harness/observe.js';
import { REALM_SECRETS } from '../src/harness/realm.js';
import { runCell } from '../src/mitm/run.js';
import { SCENARIOS, SETTINGS } from '../src/mitm/scenarios.js';
import { type MatrixCell, saveResult } from '../src/report/reliability.js';

const cells: MatrixCell[] = [];
const secrets: Buffer[] = [];
const errorTexts: string[] = [];
let channels: Recording;
let debugLog: ReturnType<typeof recordDebugLog>;

beforeAll(() => {
  channels = recordChannels();
  debugLog = recordDebugLog();
});

afterAll(() => {
  channels.stop();
  debugLog.stop();
});

describe.each(SCENARIOS.map((s) => [s.name, s] as const))('man in the middle: %s', (_name, scenario) => {
  it.each(SETTINGS.map((s) => [s.name, s] as const))('under %s settings', async (_settings, settings) => {
    const expected = scenario.expected(settings);
    const o = await runCell(scenario, settings);
    secrets.push(...o.messages.map((m) => m.subarray(m.indexOf(':') + 1, -1)));
    errorTexts.push(...o.errorTexts);
    const authentic = Buffer.concat(expected.serverReceives.map((i) => o.messages[i - 1] as Buffer));

    // Nothing of a tampered, replayed or unauthenticated frame reaches either application: the
    // server gets exactly the messages before the attack, the client at most their echo.
    expect(o.serverReceived.toString()).toBe(authentic.toString());
    // (replay-handshake: the recorded client's own session was untouched.)
    const echo = scenario.replayHandshake ? Buffer.concat(o.messages) : authentic;
    expect(echo.subarray(0, o.clientReceived.length).equals(o.clientReceived)).toBe(true);

    if (expected.clientError) {
      expect(o.clientError).toBe(expected.clientError);
      expect(o.serverConnections).toBe(0);
    } else if (!scenario.replayHandshake) {
      expect(o.clientError).toBeUndefined();
    }
    if (expected.serverRefuses) expect(o.serverRefusals.length).toBeGreaterThan(0);
    if (scenario.replayHandshake) expect(o.serverConnections).toBe(0);
    if (expected.serverError) expect(o.serverErrors).toEqual([expected.serverError]);
    if (expected.outcome === 'secured' || expected.outcome === 'rogue') {
      expect(o.clientSecured).toBe(true);
      expect(o.serverSecured).toEqual([true]);
      expect(o.clientEncrypted).toBe(settings.name === 'guaranteeEncryption');
      expect(o.clientPeer).toBe(expected.outcome === 'rogue' ? 'ROGUE$' : 'SERVER$');
      if (!expected.serverError) expect(o.clientReceived.toString()).toBe(authentic.toString());
    }
    if (expected.outcome === 'clear') {
      // Only allowInsecure lets the connection go clear, and then both ends report it.
      expect(settings.name).toBe('allowInsecure');
      expect(o.clientSecured).toBe(false);
      expect(o.serverSecured).toEqual([false]);
    }
    if (expected.outcome === 'refused' && !expected.serverError && !scenario.replayHandshake) {
      expect(o.clientSecured).toBeUndefined();
    }

    const code =
      expected.clientError ??
      expected.serverError ??
      `server: ${ikeErrorName(o.serverRefusals[0] ?? 0) ?? o.serverRefusals[0]}`;
    cells.push({
      scenario: scenario.name,
      description: scenario.description,
      settings: settings.name,
      cell:
        expected.outcome === 'secured'
          ? 'secured'
          : expected.outcome === 'clear'
            ? 'clear (reported)'
            : expected.outcome === 'rogue'
              ? 'secured to ROGUE$ (reported)'
              : `refused (${code})`,
      delivered:
        expected.serverReceives.length > 0 ? expected.serverReceives.map((i) => `#${i}`).join('') : 'nothing',
    });
  });
});

describe('what an operator sees during the matrix', () => {
  it('publishes the negotiation, rejection and fallback events of the scenarios', () => {
    expect(channels.on('negotiationStart').length).toBeGreaterThan(0);
    expect(channels.on('negotiationSuccess').length).toBeGreaterThan(0);
    const failures = channels.on('negotiationFailure');
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(typeof f.negotiationError).toBe('number');
    const rejected = channels.on('frameRejected');
    // flip-data-frame, flip-frame-header, replay, reorder, drop, truncate, inject under 4 settings.
    expect(rejected.length).toBeGreaterThanOrEqual(28);
    for (const r of rejected) expect(Object.keys(r).sort()).toEqual(['reason', 'socketId']);
    expect(channels.on('fallbackClear').length).toBeGreaterThan(0);
    expect(channels.on('tokenOpen').length).toBe(channels.on('tokenClose').length);
    expect(openTokenCount()).toBe(0);
    expect(debugLog.lines.length).toBeGreaterThan(0);
  });

  it('leaks no secret and no raw bytes in any event, debug line or error message', () => {
    expect(cells).toHaveLength(SCENARIOS.length * SETTINGS.length);
    const texts = [...channels.events.map((e) => payloadText(e.message)), ...debugLog.lines, ...errorTexts];
    expect(texts.length).toBeGreaterThan(100);
    expect(findSecrets(texts, [...secrets, ...REALM_SECRETS])).toEqual([]);
    expect(channels.events.flatMap((e) => findBytes(e.message))).toEqual([]);
    // The scan itself finds a secret where there is one.
    expect(findSecrets([`x${secrets[0]?.toString()}y`], secrets)).not.toEqual([]);
  });

  it('writes the matrix into docs/RELIABILITY.md', () => {
    saveResult('matrix', cells);
  });
});
