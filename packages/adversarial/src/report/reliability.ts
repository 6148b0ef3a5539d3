/**
 * Generates docs/RELIABILITY.md from the results the suites leave in `results/` (the matrix, the
 * fuzz counts, the soak figures), so the document always says what the last run measured.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_ANNOUNCE_DELAY,
  DEFAULT_CLEAR_FALLBACK_DELAY,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  DEFAULT_MAX_FRAME_SIZE,
  SIM_CHANNELS,
} from '@wsasec/sim';

/** The package folder: the nearest folder above this module with a package.json (from src/report/ or dist/). */
export const PACKAGE_DIR = packageDir(dirname(fileURLToPath(import.meta.url)));
/** Where suites leave their results. */
export const RESULTS_DIR = join(PACKAGE_DIR, 'results');
/** The generated document. */
export const REPORT_PATH = join(PACKAGE_DIR, '..', '..', 'docs', 'RELIABILITY.md');

function packageDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** One cell of the matrix. */
export interface MatrixCell {
  scenario: string;
  description: string;
  settings: string;
  /** `secured`, `refused (CODE)`, `clear (reported)`, `secured to ROGUE$ (reported)`. */
  cell: string;
  /** Which of the three messages reached the server application. */
  delivered: string;
}

/** Soak figures of one run. */
export interface SoakFigures {
  mode: 'full' | 'short';
  machine: string;
  connections: number;
  /** Connections the server held open at the same moment. */
  concurrentAtServer: number;
  /** Connections whose data came back intact. */
  exchangedOk: number;
  /** Peak RSS of the client process (the server's is `peakRssMiB`). */
  clientPeakRssMiB: number;
  bytesPerConnection: number;
  seconds: number;
  connectionsPerSecond: number;
  peakRssMiB: number;
  heapBeforeMiB: number;
  heapAfterGcMiB: number;
  openTokensAfter: number;
  openHandlesAfter: number;
  identityRequests: number;
  identityLeaks: number;
}

/** Fuzz counts of one run. */
export interface FuzzFigures {
  mode: 'long' | 'short';
  targets: { name: string; runs: number }[];
  failures: number;
}

/** One row of the datagram man-in-the-middle table. */
export interface DatagramRow {
  scenario: string;
  description: string;
  /** What the server application received. */
  outcome: string;
  /** The server socket's `stats()` counter that counted the drop. */
  counter: string;
}

/** Writes one result file and regenerates the document. */
export function saveResult(name: 'matrix' | 'dgram' | 'soak' | 'fuzz', value: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
  writeReport();
}

function load<T>(name: string): T | undefined {
  const path = join(RESULTS_DIR, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

function matrixTable(cells: MatrixCell[]): string {
  const settings = [...new Set(cells.map((c) => c.settings))];
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  const rows = scenarios.map((s) => {
    const row = cells.filter((c) => c.scenario === s);
    const desc = row[0]?.description ?? '';
    return `| \`${s}\` — ${desc} | ${settings
      .map((st) => {
        const c = row.find((x) => x.settings === st);
        return c ? `${c.cell}; app got ${c.delivered}` : '—';
      })
      .join(' | ')} |`;
  });
  const refused = cells.filter((c) => c.cell.startsWith('refused')).length;
  const clear = cells.filter((c) => c.cell.startsWith('clear')).length;
  return [
    `${scenarios.length} scenarios × ${settings.length} settings = ${cells.length} cells: ${refused} refused, ${clear} clear text reported as such, ${cells.length - refused - clear} secured.`,
    '',
    `| scenario | ${settings.map((s) => `\`${s}\``).join(' | ')} |`,
    `|---|${settings.map(() => '---').join('|')}|`,
    ...rows,
  ].join('\n');
}

function datagramSection(rows: DatagramRow[] | undefined): string {
  if (!rows || rows.length === 0) return '_No datagram run recorded yet._';
  return [
    '| scenario | outcome | counter (server `stats()`) |',
    '|---|---|---|',
    ...rows.map((r) => `| \`${r.scenario}\` — ${r.description} | ${r.outcome} | ${r.counter} |`),
  ].join('\n');
}

function soakSection(soak: SoakFigures | undefined): string {
  if (!soak) return '_No soak run recorded yet: run `pnpm --filter @wsasec/adversarial soak`._';
  return [
    `Run: \`pnpm --filter @wsasec/adversarial soak\` (${soak.mode}) on ${soak.machine}.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| secured connections (one sim server in its own process, loopback) | ${soak.connections} |`,
    `| held open by the server at once | ${soak.concurrentAtServer} |`,
    `| connections whose data came back intact | ${soak.exchangedOk} |`,
    `| bytes exchanged per connection (each way) | ${soak.bytesPerConnection} |`,
    `| wall time | ${soak.seconds.toFixed(1)} s |`,
    `| connections/s (negotiated, exchanged, closed) | ${soak.connectionsPerSecond.toFixed(0)} |`,
    `| peak RSS of the server process | ${soak.peakRssMiB.toFixed(0)} MiB |`,
    `| peak RSS of the client process | ${soak.clientPeakRssMiB.toFixed(0)} MiB |`,
    `| server heap after GC: before the run → after every connection closed | ${soak.heapBeforeMiB.toFixed(1)} MiB → ${soak.heapAfterGcMiB.toFixed(1)} MiB |`,
    `| open peer tokens after close | ${soak.openTokensAfter} |`,
    `| handles (sockets, servers) left open beyond those of before the run | ${soak.openHandlesAfter} |`,
    `| interleaved impersonating requests | ${soak.identityRequests} |`,
    `| cross-request identity leaks | ${soak.identityLeaks} |`,
  ].join('\n');
}

function fuzzSection(fuzz: FuzzFigures | undefined): string {
  if (!fuzz) return '_No fuzz run recorded yet: run `pnpm --filter @wsasec/adversarial fuzz`._';
  return [
    `Last recorded run: ${fuzz.mode}, ${fuzz.failures} failures.`,
    '',
    '| target | runs |',
    '|---|---|',
    ...fuzz.targets.map((t) => `| ${t.name} | ${t.runs} |`),
  ].join('\n');
}

/** Renders the whole document from the saved results. */
export function renderReport(): string {
  const matrix = load<MatrixCell[]>('matrix') ?? [];
  return `# Reliability of wsasec (generated)

This file is written by \`@wsasec/adversarial\` (its test suite writes the matrix, \`pnpm soak\` and
\`pnpm fuzz\` write their figures). Do not edit it by hand.

## Man-in-the-middle matrix (sim)

A loopback proxy sits between a sim client (\`client.contoso.com\`, target name
\`host/server.contoso.com\`) and a sim server; each end runs the column's settings. The client sends
three messages, each carrying a random secret, one protected frame each; the server echoes.
"app got" lists the messages the server application received: never a byte of a tampered,
replayed, reordered or unauthenticated frame, and nothing after it. The suite also asserts that no
secret (message, password) and no raw bytes appear in any diagnostics event, debug log line or
error message produced while it runs.

${matrix.length > 0 ? matrixTable(matrix) : '_No matrix recorded yet._'}

## Datagram man-in-the-middle (sim)

A loopback UDP relay (\`node:dgram\`, 127.0.0.1) sits between a sim datagram client and a sim datagram
server, both with \`guaranteeEncryption\`; the client's peer address is the relay, so the SA is bound
to the relay's address. The client sends numbered messages, each carrying a random secret, one
ESP-like protected datagram each; the relay attacks one of them. The suite asserts that the
application receives exactly the listed messages, each once, that no byte of a secret of a withheld
or tampered message reaches it, and that the drop is counted under the listed counter and no other.

${datagramSection(load<DatagramRow[]>('dgram'))}

## Bounds of a sim server (defaults, all set through \`createSimBackend\` options)

| option | default | what happens past it |
|---|---|---|
| \`maxFrameSize\` | ${DEFAULT_MAX_FRAME_SIZE} bytes | a frame header announcing more (up to a 4 GiB length) is refused before anything is buffered: \`ERR_WSASEC_INTEGRITY\`, connection closed |
| \`handshakeTimeout\` | ${DEFAULT_HANDSHAKE_TIMEOUT} ms | the whole negotiation (slow-loris included) fails with \`ERROR_IPSEC_IKE_TIMED_OUT\` |
| \`maxConcurrentHandshakes\` | ${DEFAULT_MAX_CONCURRENT_HANDSHAKES} | new connections refused with \`ERROR_IPSEC_IKE_RATELIMIT_DROP\`; established ones unaffected |
| \`idleTimeout\` | ${DEFAULT_IDLE_TIMEOUT} ms | a connection with no application data either way (no complete frame, no clear bytes) for that long is closed with \`WSAETIMEDOUT\`, so a peer trickling a frame is dropped; 0 disables |
| memory per connection | negotiation: 2 records (≤ 2 × 4 105 bytes); protected stream: one frame (≤ \`maxFrameSize\` + 33) + 8 frames being opened off-thread + the 64 KiB read buffer | the reader stops reading the TCP socket; nothing grows with what the peer sends |
| \`clearFallbackDelay\` / \`announceDelay\` | ${DEFAULT_CLEAR_FALLBACK_DELAY} / ${DEFAULT_ANNOUNCE_DELAY} ms | (lenient servers only) when a silent client is treated as clear |

## Observability

Channels (\`node:diagnostics_channel\`, names exported as \`SIM_CHANNELS\` by \`@wsasec/sim\`):
${Object.entries(SIM_CHANNELS)
  .map(([key, name]) => `\`${name}\` (${key})`)
  .join(', ')}. Payloads carry socket ids, roles, addresses, SIDs, SA ids and IKE codes, never bytes of
keys, passwords or application data. Human output: \`NODE_DEBUG=wsasec:sim\`.

## Fuzzing

${fuzzSection(load<FuzzFigures>('fuzz'))}

## Load and soak

${soakSection(load<SoakFigures>('soak'))}
`;
}

/** Writes docs/RELIABILITY.md. */
export function writeReport(): void {
  mkdirSync(dirname(REPORT_PATH), { recursive: true });
  writeFileSync(REPORT_PATH, renderReport());
}
