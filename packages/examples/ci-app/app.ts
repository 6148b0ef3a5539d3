/**
 * The payroll service of the CI backend-swap example (see examples/ci-backend-swap.md).
 *
 * An HTTP service that requires encrypted IPsec connections and serves /report only to members of
 * the payroll group, checked against the caller's Windows token. It never names a backend: it is
 * given one, and its entry point (server.ts) gets it from `loadBackend()`, which reads
 * WSASEC_BACKEND — native-win in production on Windows, the sim in CI, with no code change.
 */
import type * as http from 'node:http';
import { FILE_GENERIC_READ, type SecureSocketBackend } from '@wsasec/core';
import { createSecureServer, getPeerSecurity, requirePeerAccess } from '@wsasec/http-adapter';

/** Settings of the payroll service. */
export interface PayrollAppOptions {
  /** The backend every connection goes through. */
  backend: SecureSocketBackend;
  /** SID of the group whose members may read /report (`S-1-5-21-…`). */
  payrollGroupSid: string;
  /**
   * Key of the main-mode policy that authenticates the caller's user as well as its machine
   * (without one, only machines are authenticated and no user can be authorized).
   */
  mainModePolicyKey?: string | undefined;
}

/** The payroll service: an `http.Server` from `createSecureServer`, not yet listening. */
export function createPayrollApp(options: PayrollAppOptions): http.Server {
  const canRead = requirePeerAccess({
    sddl: `D:(A;;FR;;;${options.payrollGroupSid})`,
    access: FILE_GENERIC_READ,
  });
  return createSecureServer(
    {
      backend: options.backend,
      security: options.mainModePolicyKey
        ? {
            protocol: 'ipsec',
            guaranteeEncryption: true,
            ipsec: { mainModePolicyKey: options.mainModePolicyKey },
          }
        : { guaranteeEncryption: true },
    },
    (req, res) => {
      if (req.url !== '/report') {
        res.writeHead(404).end();
        return;
      }
      if (!canRead(req, res)) return;
      const user = getPeerSecurity(req).peerApplicationToken?.user;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`payroll report for ${user?.domain}\\${user?.name}\n`);
    },
  );
}
