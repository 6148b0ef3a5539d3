/**
 * `createBackendFromEnv`: what `loadBackend()` of `@wsasec/core` calls when `WSASEC_BACKEND=sim`.
 * @module
 */
import type { SecureSocketBackend } from '@wsasec/core';
import { createSimBackend } from './backend.js';
import { invalid } from './realm/principals.js';
import { SimRealm } from './realm/realm.js';

/**
 * Builds the sim backend from the environment: `WSASEC_SIM_REALM` (path of a realm file, required),
 * `WSASEC_SIM_MACHINE` (this machine, required) and `WSASEC_SIM_USER` (the logged-on user, optional).
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (no environment object, a variable missing, unreadable or bad realm
 *   file, unknown machine or user).
 */
export async function createBackendFromEnv(
  env: Record<string, string | undefined>,
): Promise<SecureSocketBackend> {
  if (typeof env !== 'object' || env === null)
    invalid('createBackendFromEnv needs the environment as an object (process.env)');
  const path = env.WSASEC_SIM_REALM;
  const machine = env.WSASEC_SIM_MACHINE;
  if (!path) invalid('WSASEC_SIM_REALM must name a realm file (see realm.save() of @wsasec/sim)');
  if (!machine) invalid('WSASEC_SIM_MACHINE must name the machine this process is, e.g. server.contoso.com');
  const realm = await SimRealm.load(path);
  const user = env.WSASEC_SIM_USER;
  return createSimBackend({ realm, machine, ...(user ? { user } : {}) });
}
