// Two-process tunnels for the tests: a realm file made with the `wsasec realm` commands, and each
// tunnel end as its own `node dist/cli.js tunnel …` process on port 0.
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../capture.js';
import { built, type RunningChild, startNode } from '../run-node.js';

/** A realm file: server/client/rogue machines, alice (in Payroll), bob, and a user-proving policy. */
export interface RealmFile {
  file: string;
  payrollSid: string;
  /** Main-mode policy key that makes clients prove their user too. */
  userPolicy: string;
}

async function run(...argv: string[]): Promise<string> {
  const io = captureIo();
  const code = await main(argv, io);
  if (code !== 0) throw new Error(`wsasec ${argv.join(' ')} exited ${code}: ${io.stderr.text}`);
  return io.stdout.text;
}

export async function makeRealmFile(dir: string): Promise<RealmFile> {
  const file = join(dir, 'contoso.json');
  await run('realm', 'init', file);
  const payrollSid = (await run('realm', 'add-group', file, 'Payroll')).match(
    /S-1-5-21-[\d-]+/,
  )?.[0] as string;
  await run('realm', 'add-user', file, 'alice', '--group', 'Payroll');
  await run('realm', 'add-user', file, 'bob');
  for (const machine of ['server.contoso.com', 'client.contoso.com', 'rogue.contoso.com'])
    await run('realm', 'add-machine', file, machine);
  const userPolicy = (
    await run('realm', 'add-policy', file, '--mode', 'main', '--authentication', 'machine,user')
  ).trim();
  return { file, payrollSid, userPolicy };
}

/** A running tunnel end and the port it listens on. */
export interface TunnelProcess extends RunningChild {
  port: number;
}

/** `wsasec tunnel server` as server.contoso.com: encryption and a user required, Payroll only. */
export async function startServerProcess(
  realm: RealmFile,
  forwardPort: number,
  extra: string[] = [],
): Promise<TunnelProcess> {
  const child = await startNode(
    built('cli.js'),
    [
      'tunnel',
      'server',
      '--listen',
      '127.0.0.1:0',
      '--forward',
      `127.0.0.1:${forwardPort}`,
      '--realm',
      realm.file,
      '--machine',
      'server.contoso.com',
      '--require-encryption',
      '--mm-policy',
      realm.userPolicy,
      '--require-user',
      '--allow',
      `D:(A;;FR;;;${realm.payrollSid})`,
      ...extra,
    ],
    /tunnel server listening on 127\.0\.0\.1:(\d+)/,
  );
  return { ...child, port: Number(child.match[1]) };
}

/** `wsasec tunnel client` on client.contoso.com as `user`, to the tunnel server at `serverPort`. */
export async function startClientProcess(
  realm: RealmFile,
  serverPort: number,
  user: string,
  extra: string[] = [],
): Promise<TunnelProcess> {
  const child = await startNode(
    built('cli.js'),
    [
      'tunnel',
      'client',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      `127.0.0.1:${serverPort}`,
      '--target',
      'host/server.contoso.com',
      '--realm',
      realm.file,
      '--machine',
      'client.contoso.com',
      '--user',
      user,
      '--require-encryption',
      '--mm-policy',
      realm.userPolicy,
      ...extra,
    ],
    /tunnel client listening on 127\.0\.0\.1:(\d+)/,
  );
  return { ...child, port: Number(child.match[1]) };
}
