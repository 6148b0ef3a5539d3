import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SecureSocketBackend } from '../contract/backend.js';
import { SecureSocketError } from '../errors/errors.js';

/** The backends `loadBackend()` knows, and the package each lives in. */
export const BACKEND_PACKAGES = {
  sim: '@wsasec/sim',
  'native-win': '@wsasec/native-win',
} as const;

/** A backend name for {@link loadBackend}. */
export type BackendName = keyof typeof BACKEND_PACKAGES;

/** What a backend package exports for {@link loadBackend}. */
export interface BackendModule {
  /** Builds the backend from environment variables (`WSASEC_SIM_REALM`, …). */
  createBackendFromEnv(
    env: Record<string, string | undefined>,
  ): SecureSocketBackend | Promise<SecureSocketBackend>;
}

/** Options of {@link loadBackend}. */
export interface LoadBackendOptions {
  /** Backend name; default `WSASEC_BACKEND`, else `native-win` on win32 and `sim` elsewhere. */
  backend?: BackendName;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Module importer (tests inject one; default dynamic `import()`). */
  importer?: (specifier: string) => Promise<unknown>;
}

/**
 * Lazily imports and builds the backend named by `WSASEC_BACKEND` (`sim` | `native-win`), so an
 * app swaps backends in CI without code changes. The sim reads `WSASEC_SIM_REALM` (a realm file),
 * `WSASEC_SIM_MACHINE` and `WSASEC_SIM_USER`.
 * @throws SecureSocketError `ERR_WSASEC_INVALID_ARGUMENT` (unknown name), `ERR_WSASEC_BACKEND_NOT_FOUND`
 *   (the package is not installed; the message names it).
 */
export async function loadBackend(opts: LoadBackendOptions = {}): Promise<SecureSocketBackend> {
  const env = opts.env ?? process.env;
  const name = opts.backend ?? env.WSASEC_BACKEND ?? (process.platform === 'win32' ? 'native-win' : 'sim');
  if (!Object.hasOwn(BACKEND_PACKAGES, name)) {
    throw new SecureSocketError(
      'ERR_WSASEC_INVALID_ARGUMENT',
      `unknown wsasec backend ${JSON.stringify(name)}; WSASEC_BACKEND accepts ${Object.keys(BACKEND_PACKAGES).join(' or ')}`,
    );
  }
  const specifier = BACKEND_PACKAGES[name as BackendName];
  const importer = opts.importer ?? importFromApp;
  let mod: unknown;
  try {
    mod = await importer(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (isNotFound(code)) {
      throw new SecureSocketError(
        'ERR_WSASEC_BACKEND_NOT_FOUND',
        `the ${name} backend needs the package ${specifier}: install it (pnpm add ${specifier})`,
        { cause: error },
      );
    }
    throw error;
  }
  const create = (mod as Partial<BackendModule>).createBackendFromEnv;
  if (typeof create !== 'function') {
    throw new SecureSocketError(
      'ERR_WSASEC_BACKEND_NOT_FOUND',
      `${specifier} does not export createBackendFromEnv(); is it a wsasec backend of a matching version?`,
    );
  }
  return create(env);
}

function isNotFound(code: string | undefined): boolean {
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Imports a backend package as the application sees it. A bare `import()` resolves from core's own
 * folder, which under pnpm (strict node_modules) cannot see the application's dependencies, so the
 * package is looked up from the working directory when core's folder does not have it.
 */
async function importFromApp(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    if (!isNotFound((error as { code?: string }).code)) throw error;
    let resolved: string;
    try {
      resolved = createRequire(join(process.cwd(), 'noop.js')).resolve(specifier);
    } catch {
      throw error;
    }
    return import(pathToFileURL(resolved).href);
  }
}
