import { once } from 'node:events';
import { FILE_GENERIC_READ } from '@wsasec/core';
import {
  type Endpoint,
  formatEndpoint,
  startTunnelClient,
  startTunnelServer,
  type TunnelHandle,
} from '../tunnel/tunnel.js';
import { type CliIo, EXIT, integerOption, parseCommand, required, UsageError, writeLine } from './args.js';
import { openBackend, securityFromFlags } from './backend.js';
import { HELP } from './help.js';

const COMMON = {
  backend: { type: 'string' },
  realm: { type: 'string' },
  machine: { type: 'string' },
  user: { type: 'string' },
  listen: { type: 'string' },
  'require-encryption': { type: 'boolean' },
  'mm-policy': { type: 'string' },
  'qm-policy': { type: 'string' },
  timeout: { type: 'string' },
} as const;

const SERVER_OPTIONS = {
  ...COMMON,
  forward: { type: 'string' },
  'require-user': { type: 'boolean' },
  allow: { type: 'string' },
  access: { type: 'string' },
} as const;

const CLIENT_OPTIONS = { ...COMMON, connect: { type: 'string' }, target: { type: 'string' } } as const;

/**
 * `host:port` (`[v6]:port`) of a command line.
 * @throws UsageError for anything else, or a port out of range (0 only when `allowZero`).
 */
export function parseEndpoint(command: string, name: string, text: string, allowZero: boolean): Endpoint {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  if (!match) {
    throw new UsageError(
      command,
      `--${name} must be HOST:PORT (IPv6 as [ADDR]:PORT), got ${JSON.stringify(text)}`,
    );
  }
  const port = integerOption(command, name, match[3], allowZero ? 0 : 1, 65535) as number;
  return { host: (match[1] ?? match[2]) as string, port };
}

/** `wsasec tunnel server|client`: runs one end of a tunnel until `io.signal` aborts. */
export async function tunnelCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [side, ...rest] = args;
  if (side === undefined || side === '--help' || side === '-h') {
    (side === undefined ? io.stderr : io.stdout).write(HELP.tunnel);
    return side === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (side === 'server') return tunnelServer(rest, io);
  if (side === 'client') return tunnelClient(rest, io);
  throw new UsageError('tunnel', `expected server or client, got ${JSON.stringify(side)}`);
}

const log = (io: CliIo) => (line: string) => writeLine(io.stdout, `${new Date().toISOString()} ${line}`);

async function untilAborted(io: CliIo): Promise<void> {
  if (io.signal && !io.signal.aborted) await once(io.signal, 'abort');
}

type CommonValues = {
  [K in keyof typeof COMMON]?: (typeof COMMON)[K]['type'] extends 'boolean' ? boolean : string;
};

/** What both ends pass to their start function. */
interface TunnelCommon {
  backend: Awaited<ReturnType<typeof openBackend>>;
  security: ReturnType<typeof securityFromFlags>;
  connectTimeout: number;
  log: (line: string) => void;
}

/**
 * The life of one end of a tunnel, the same for both: `--timeout` and the security flags, the
 * backend, start, one line saying what listens where, run until `io.signal` aborts, close.
 */
async function runTunnel(
  command: string,
  io: CliIo,
  values: CommonValues,
  start: (common: TunnelCommon) => Promise<TunnelHandle>,
  listening: (bound: string, backendName: string) => string,
): Promise<number> {
  const connectTimeout = integerOption(command, 'timeout', values.timeout, 1, 600_000) ?? 10_000;
  const security = securityFromFlags(command, values);
  const backend = await openBackend(command, values);
  try {
    const tunnel = await start({ backend, security, connectTimeout, log: log(io) });
    const bound = tunnel.address();
    writeLine(io.stdout, listening(formatEndpoint(bound.address, bound.port), backend.name));
    await untilAborted(io);
    await tunnel.close();
    writeLine(io.stdout, `${command} stopped`);
    return EXIT.OK;
  } finally {
    await backend.close();
  }
}

async function tunnelServer(args: readonly string[], io: CliIo): Promise<number> {
  const command = 'tunnel server';
  const { help, values } = parseCommand(command, args, SERVER_OPTIONS, { min: 0, max: 0, names: '' });
  if (help) {
    io.stdout.write(HELP['tunnel server']);
    return EXIT.OK;
  }
  const listen = parseEndpoint(
    command,
    'listen',
    required(command, 'listen', values.listen, 'HOST:PORT to accept secured connections on'),
    true,
  );
  const forward = parseEndpoint(
    command,
    'forward',
    required(command, 'forward', values.forward, 'HOST:PORT of the plain TCP service'),
    false,
  );
  const access = values.access === undefined ? FILE_GENERIC_READ : accessMask(command, values.access);
  if (values.access !== undefined && values.allow === undefined)
    throw new UsageError(command, '--access applies to --allow only');
  return runTunnel(
    command,
    io,
    values,
    (common) =>
      startTunnelServer({
        ...common,
        listen,
        forward,
        requireUser: values['require-user'] === true,
        ...(values.allow !== undefined ? { allow: { sddl: values.allow, access } } : {}),
      }),
    (bound, backendName) =>
      `tunnel server listening on ${bound} forwarding to ${formatEndpoint(forward.host, forward.port)} as ${values.machine ?? 'this machine'} with the ${backendName} backend${values['require-encryption'] ? ', encryption required' : ''}`,
  );
}

async function tunnelClient(args: readonly string[], io: CliIo): Promise<number> {
  const command = 'tunnel client';
  const { help, values } = parseCommand(command, args, CLIENT_OPTIONS, { min: 0, max: 0, names: '' });
  if (help) {
    io.stdout.write(HELP['tunnel client']);
    return EXIT.OK;
  }
  const listen = parseEndpoint(
    command,
    'listen',
    required(command, 'listen', values.listen, 'HOST:PORT to accept plain TCP on'),
    true,
  );
  const connect = parseEndpoint(
    command,
    'connect',
    required(command, 'connect', values.connect, 'HOST:PORT of the tunnel server'),
    false,
  );
  const target = required(
    command,
    'target',
    values.target,
    'the peer target name the tunnel server must prove, e.g. host/server.contoso.com',
  );
  return runTunnel(
    command,
    io,
    values,
    (common) => startTunnelClient({ ...common, listen, connect, peerTargetName: target }),
    (bound, backendName) =>
      `tunnel client listening on ${bound} connecting to ${formatEndpoint(connect.host, connect.port)} (${target}) as ${values.machine ?? 'this machine'}${values.user ? ` user ${values.user}` : ''} with the ${backendName} backend`,
  );
}

function accessMask(command: string, text: string): number {
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0 || n > 0xffff_ffff)
    throw new UsageError(
      command,
      `--access must be an access mask (decimal or 0x hex), got ${JSON.stringify(text)}`,
    );
  return n;
}
