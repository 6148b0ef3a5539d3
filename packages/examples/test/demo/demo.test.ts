import { openTokenCount } from '@wsasec/sim';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run.js';
import { DEMO_LABELS } from '../../src/demo/steps.js';
import { Capture } from '../capture.js';
import { built, runNode } from '../run-node.js';

describe('the demo', () => {
  it('runs every step, each behaving as it should, and stops everything it started', async () => {
    const out = new Capture();
    const result = await runDemo({ out, color: false });
    expect(result.steps.map((s) => [s.label, s.ok])).toEqual(DEMO_LABELS.map((label) => [label, true]));
    expect(result.ok).toBe(true);
    expect(out.text).toContain('all 9 steps behaved as they should');
    expect(out.text).toMatch(
      /man in the middle\s+rogue\.contoso\.com answering for server\.contoso\.com: refused/,
    );
    expect(out.text).toContain('requests rogue.contoso.com received: 0');
    expect(out.text).toMatch(/access denied\s+bob \(not in Payroll\): GET \/payroll → 403/);
    expect(out.text).not.toContain('\u001b[');
    expect(openTokenCount()).toBe(0); // every peer token the demo queried was closed
  });

  it('as `wsasec demo`: exits 0, prints no colour when stdout is not a terminal, and ends by itself', async () => {
    const { code, signal, stdout, stderr } = await runNode(built('cli.js'), ['demo'], { timeout: 30_000 });
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout.match(/✓/g)).toHaveLength(DEMO_LABELS.length);
    expect(stdout).not.toContain('✗');
    expect(stdout).not.toContain('\u001b[');
  });
});
