import { SecureAgent } from '@wsasec/http-adapter';
import { secureRequest } from '../shared/http-request.js';
import { formatPrincipal, formatProtection, formatSaId } from '../shared/security-format.js';
import { type CliIo, EXIT, integerOption, parseCommand, UsageError, writeLine } from './args.js';
import { openBackend, securityFromFlags } from './backend.js';
import { HELP } from './help.js';

const OPTIONS = {
  backend: { type: 'string' },
  realm: { type: 'string' },
  machine: { type: 'string' },
  user: { type: 'string' },
  target: { type: 'string' },
  method: { type: 'string', short: 'X' },
  data: { type: 'string', short: 'd' },
  'require-encryption': { type: 'boolean' },
  'mm-policy': { type: 'string' },
  'qm-policy': { type: 'string' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

/**
 * `wsasec get <url>`: one HTTP request over a secured connection (`SecureAgent`); the body goes to
 * stdout, and with `-v` the negotiated security and the response head go to stderr. Returns 1 for
 * an HTTP status of 400 or more.
 * @throws UsageError for a bad command line; SecureSocketError when the connection cannot be
 *   secured (the caller reports it and exits 1).
 */
export async function getCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { help, values, positionals } = parseCommand('get', args, OPTIONS, {
    min: 1,
    max: 1,
    names: '<url>',
  });
  if (help) {
    io.stdout.write(HELP.get);
    return EXIT.OK;
  }
  const url = parseUrl(positionals[0] as string);
  const timeout = integerOption('get', 'timeout', values.timeout, 1, 600_000) ?? 10_000;
  const method = (values.method ?? (values.data !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw new UsageError('get', `--method must be an HTTP method such as GET or POST`);
  const target = values.target ?? `host/${url.hostname.replace(/^\[|\]$/g, '')}`;
  const verbose = values.verbose === true;
  const security = securityFromFlags('get', values);
  const backend = await openBackend('get', values);
  const agent = new SecureAgent({
    backend,
    ...(security ? { security } : {}),
    peerTargetName: target,
    connectTimeout: timeout,
    keepAlive: false,
  });
  try {
    const res = await secureRequest(url, {
      agent,
      method,
      timeout,
      ...(values.data !== undefined
        ? { body: values.data, headers: { 'content-type': 'text/plain; charset=utf-8' } }
        : {}),
    });
    if (verbose) {
      const err = (line: string) => writeLine(io.stderr, line);
      err(`* connected to ${url.host} with the ${backend.name} backend, peer target name ${target}`);
      const sec = res.security;
      if (sec) {
        err(`* ${formatProtection(sec)}, protocol ${sec.protocol}`);
        err(`* main mode SA ${formatSaId(sec.mmSaId)}, quick mode SA ${formatSaId(sec.qmSaId)}`);
        err(
          `* server machine ${formatPrincipal(sec.peerMachine)}${sec.peerMachine ? ` (${sec.peerMachine.sid})` : ''}`,
        );
        if (sec.peerUser) err(`* server user ${formatPrincipal(sec.peerUser)} (${sec.peerUser.sid})`);
      }
      err(`> ${method} ${url.pathname}${url.search} HTTP/1.1`);
      err(`< HTTP/${res.httpVersion} ${res.status} ${res.statusMessage}`);
      for (const [name, value] of Object.entries(res.headers)) err(`< ${name}: ${String(value)}`);
    }
    io.stdout.write(res.body);
    return res.status >= 400 ? EXIT.FAILED : EXIT.OK;
  } finally {
    agent.destroy();
    await backend.close();
  }
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('get', `${JSON.stringify(text)} is not a URL; give one like http://127.0.0.1:8080/`);
  }
  if (url.protocol !== 'http:') {
    throw new UsageError(
      'get',
      `only http: URLs are accepted (IPsec secures the connection), got ${url.protocol}`,
    );
  }
  return url;
}
