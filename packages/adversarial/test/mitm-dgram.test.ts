import { afterAll, describe, expect, it } from 'vitest';
import { DROP_COUNTERS, datagramScenarios, runDatagramScenario } from '../src/mitm/dgram-scenarios.js';
import { type DatagramRow, saveResult } from '../src/report/reliability.js';

const rows: DatagramRow[] = [];

describe('datagram man in the middle', () => {
  afterAll(() => {
    if (rows.length === datagramScenarios().length) saveResult('dgram', rows);
  });

  it.each(datagramScenarios().map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const o = await runDatagramScenario(scenario);
    const expected = scenario.delivered.map((n) => o.messages[n - 1] as Buffer);

    // The application got exactly the expected messages, each once, intact.
    expect(o.received.map(String).sort()).toEqual(expected.map(String).sort());
    expect(o.stats.delivered).toBe(expected.length);
    // Not one byte (no secret) of a message that must not arrive reaches the application.
    const got = Buffer.concat(o.received);
    for (const [i, m] of o.messages.entries()) {
      if (scenario.delivered.includes(i + 1)) continue;
      const secret = m.subarray(m.indexOf(':') + 1);
      expect(got.includes(secret)).toBe(false);
      expect(got.includes(secret.subarray(0, 8))).toBe(false);
    }
    // Dropped under the right counter, and under no other.
    for (const counter of DROP_COUNTERS) {
      expect([counter, o.stats[counter]]).toEqual([
        counter,
        counter === scenario.dropped?.counter ? scenario.dropped.count : 0,
      ]);
    }
    // Every protected datagram the server was sent was either delivered or counted.
    expect(o.stats.delivered + (scenario.dropped?.count ?? 0)).toBe(o.protectedToServer);
    expect(o.stats.negotiations).toBe(1);

    rows.push({
      scenario: scenario.name,
      description: scenario.description,
      outcome: scenario.dropped
        ? `dropped; app got ${scenario.delivered.length} of ${scenario.messages}, each once`
        : `delivered all ${scenario.messages}, each once`,
      counter: scenario.dropped
        ? `\`${scenario.dropped.counter}\` = ${scenario.dropped.count}`
        : 'none (all 0)',
    });
  });
});
