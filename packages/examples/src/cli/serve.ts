import { once } from 'node:events';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureServer, getPeerSecurity } from '@wsasec/http-adapter';
import { errorCode, formatPrincipal } from '../shared/security-format.js';
import { type CliIo, EXIT, integerOption, parseCommand, writeLine } from './args.js';
import { openBackend, securityFromFlags } from './backend.js';
import { HELP } from './help.js';

/** Largest request body the echo server reads; larger ones are answered 413. */
export const MAX_ECHO_BODY = 1024 * 1024;

const OPTIONS = {
  backend: { type: 'string' },
  realm: { type: 'string' },
  machine: { type: 'string' },
  user: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'require-encryption': { type: 'boolean' },
  'mm-policy': { type: 'string' },
  'qm-policy': { type: 'string' },
} as const;

/**
 * `wsasec serve`: a secure HTTP echo server that runs until `io.signal` aborts (Ctrl-C in the
 * command). Prints `listening on http://HOST:PORT …` once ready and one line per request.
 */
export async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { help, values } = parseCommand('serve', args, OPTIONS, { min: 0, max: 0, names: '' });
  if (help) {
    io.stdout.write(HELP.serve);
    return EXIT.OK;
  }
  const port = integerOption('serve', 'port', values.port, 0, 65535) ?? 0;
  const host = values.host ?? '127.0.0.1';
  const requireEncryption = values['require-encryption'] === true;
  const security = securityFromFlags('serve', values);
  const backend = await openBackend('serve', values);
  try {
    const server = createSecureServer({ backend, ...(security ? { security } : {}) }, (req, res) =>
      echo(req, res, io),
    );
    server.on('negotiationError', (error: Error) => {
      writeLine(io.stderr, `refused a connection: ${errorCode(error)}: ${error.message}`);
    });
    server.listen({ host, port });
    await once(server, 'listening');
    const bound = server.address() as AddressInfo;
    const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    writeLine(
      io.stdout,
      `listening on http://${shown}:${bound.port} as ${values.machine ?? 'this machine'} with the ${backend.name} backend${requireEncryption ? ', encryption required' : ''}`,
    );
    if (io.signal && !io.signal.aborted) await once(io.signal, 'abort');
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    return EXIT.OK;
  } finally {
    await backend.close();
  }
}

function echo(req: http.IncomingMessage, res: http.ServerResponse, io: CliIo): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ECHO_BODY) tooLarge = true;
    else chunks.push(chunk);
  });
  req.once('end', () => {
    const info = getPeerSecurity(req);
    const user = info.peerApplicationToken?.user;
    const machine = info.peerMachineToken?.user;
    const status = tooLarge ? 413 : 200;
    const body = {
      peer: {
        user: user ? formatPrincipal(user) : null,
        userSid: user?.sid ?? null,
        machine: machine ? formatPrincipal(machine) : null,
        machineSid: machine?.sid ?? null,
      },
      secured: info.secured,
      encrypted: info.encrypted,
      request: {
        method: req.method,
        path: req.url,
        body: tooLarge ? null : Buffer.concat(chunks).toString('utf8'),
      },
    };
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(`${JSON.stringify(body, null, 2)}\n`);
    writeLine(io.stdout, `${req.method} ${req.url} ${status} from ${formatPrincipal(user ?? machine)}`);
  });
}
