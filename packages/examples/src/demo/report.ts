import type { Writable } from 'node:stream';

/** One line of the demo report: a step, whether it behaved as it should, and what was seen. */
export interface DemoStep {
  /** Short name of the step (`negotiated protection`, `access denied`, …). */
  label: string;
  /** True when the step behaved as it should. */
  ok: boolean;
  /** What was seen (or, for a failed step, what was expected and what happened instead). */
  detail: string;
}

/** A `key  value` line of the report's header. */
export interface DemoSetting {
  role: string;
  name: string;
  detail: string;
}

/** Colours, or nothing: no escape codes when stdout is not a terminal (or `NO_COLOR` is set). */
export interface Palette {
  ok(text: string): string;
  fail(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain: Palette = { ok: (t) => t, fail: (t) => t, dim: (t) => t, bold: (t) => t };

function sgr(open: number, close: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const colours: Palette = { ok: sgr(32, 39), fail: sgr(31, 39), dim: sgr(2, 22), bold: sgr(1, 22) };

/**
 * The palette for a stream: colours only for a terminal whose `hasColors()` says so (it honours
 * `NO_COLOR`, `FORCE_COLOR` and `TERM=dumb`); `force` overrides.
 */
export function paletteFor(stream: Writable, force?: boolean): Palette {
  if (force !== undefined) return force ? colours : plain;
  const tty = stream as Writable & { isTTY?: boolean; hasColors?: () => boolean };
  return tty.isTTY === true && typeof tty.hasColors === 'function' && tty.hasColors() ? colours : plain;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** The header block: who plays which part, in aligned columns. */
export function renderSettings(settings: readonly DemoSetting[], palette: Palette): string {
  const role = Math.max(...settings.map((s) => s.role.length));
  const name = Math.max(...settings.map((s) => s.name.length));
  return settings
    .map((s) => `  ${palette.dim(pad(s.role, role))}  ${palette.bold(pad(s.name, name))}  ${s.detail}`)
    .join('\n');
}

/** One step line: `  ✓ label   detail`, the label column as wide as the widest label. */
export function renderStep(step: DemoStep, labelWidth: number, palette: Palette): string {
  const mark = step.ok ? palette.ok('✓') : palette.fail('✗');
  return `  ${mark} ${pad(step.label, labelWidth)}  ${step.ok ? step.detail : palette.fail(step.detail)}`;
}

/** The closing line: how many steps behaved, and how long the whole run took. */
export function renderSummary(steps: readonly DemoStep[], seconds: number, palette: Palette): string {
  const failed = steps.filter((s) => !s.ok).length;
  const time = seconds < 1 ? `${Math.max(1, Math.round(seconds * 1000))} ms` : `${seconds.toFixed(1)} s`;
  return failed === 0
    ? palette.ok(`  all ${steps.length} steps behaved as they should (${time})`)
    : palette.fail(`  ${failed} of ${steps.length} steps did not behave as they should (${time})`);
}
