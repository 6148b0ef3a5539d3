/**
 * Entry point of the payroll service: `node dist/ci-app/server.js`.
 *
 * Everything comes from the environment, so CI swaps the backend without touching code:
 *   WSASEC_BACKEND     native-win (default on Windows) or sim (default elsewhere)
 *   WSASEC_SIM_REALM   sim only: the realm file; WSASEC_SIM_MACHINE the machine this runs as
 *   PAYROLL_GROUP_SID  SID of the group allowed to read /report
 *   MAIN_MODE_POLICY_KEY  main-mode policy that authenticates users (a WFP provider context on
 *                      Windows, a realm policy with the sim)
 *   PORT               port to listen on (default 8443; 0 for any free port)
 * Prints "listening on 127.0.0.1 port N" when ready; SIGTERM/SIGINT stop it.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadBackend, SecureSocketError } from '@wsasec/core';
import { createPayrollApp } from './app.js';

async function main() {
  const payrollGroupSid = process.env.PAYROLL_GROUP_SID;
  if (!payrollGroupSid) {
    console.error('error: set PAYROLL_GROUP_SID to the SID of the payroll group');
    process.exitCode = 2;
    return;
  }
  // The importer resolves the backend package from this program: @wsasec/core does not depend on
  // the backends, so under pnpm's strict layout its own import() could not find them.
  const backend = await loadBackend({ importer: (specifier) => import(specifier) });
  const server = createPayrollApp({
    backend,
    payrollGroupSid,
    mainModePolicyKey: process.env.MAIN_MODE_POLICY_KEY,
  });
  server.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8443) });
  await once(server, 'listening');
  console.log(
    `listening on 127.0.0.1 port ${(server.address() as AddressInfo).port} with the ${backend.name} backend`,
  );
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    await backend.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (!SecureSocketError.isInstance(error)) throw error;
  console.error(`error: ${error.code}: ${error.message}`);
  process.exitCode = 1;
});
