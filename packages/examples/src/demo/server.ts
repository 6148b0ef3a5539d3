import type * as http from 'node:http';
import { FILE_GENERIC_READ, type SecureSocketBackend, type SecuritySettings } from '@wsasec/core';
import {
  createSecureServer,
  getPeerSecurity,
  impersonateRequestPeer,
  requirePeerAccess,
} from '@wsasec/http-adapter';

/** The demo's HTTP server and how many requests reached its handler. */
export interface DemoServer {
  server: http.Server;
  /** Requests that reached the handler (a refused connection never counts). */
  handled(): number;
}

/**
 * The server of the demo, secured with `security` (the demo requires encryption and an
 * authenticated user): answers `/whoami` with the peer identity it saw (the peer's user and machine
 * tokens, and who it acts as while impersonating the peer), and `/payroll` only to peers the
 * `payrollSddl` grants `FILE_GENERIC_READ`.
 */
export function createDemoServer(
  options: { payrollSddl: string; security: SecuritySettings },
  backend: SecureSocketBackend,
): DemoServer {
  let handled = 0;
  const payroll = requirePeerAccess({ sddl: options.payrollSddl, access: FILE_GENERIC_READ });
  const server = createSecureServer({ backend, security: options.security }, (req, res) => {
    handled++;
    const path = new URL(req.url ?? '/', 'http://server').pathname;
    if (path === '/whoami') {
      const info = getPeerSecurity(req);
      const actingAs = impersonateRequestPeer(req, () => backend.currentIdentity());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          user: info.peerApplicationToken?.user,
          machine: info.peerMachineToken?.user,
          encrypted: info.encrypted,
          actingAs,
        }),
      );
    } else if (path === '/payroll') {
      if (!payroll(req, res)) return;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('payroll report: 3 employees, paid on the 25th\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not Found\n');
    }
  });
  return { server, handled: () => handled };
}
