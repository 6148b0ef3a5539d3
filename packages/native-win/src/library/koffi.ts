import { createRequire } from 'node:module';
import { SecureSocketError } from '@wsasec/core';
import type * as KoffiModule from 'koffi';

/** The koffi module's type. */
export type Koffi = typeof KoffiModule;

let cached: Koffi | undefined;

/**
 * Loads koffi on first use (never at import: a platform without a koffi binary must still be able to
 * import this package and get a clear error from `createNativeBackend()`).
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM when koffi's native module cannot load.
 */
export function loadKoffi(): Koffi {
  if (cached) return cached;
  try {
    cached = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (error) {
    throw new SecureSocketError(
      'ERR_WSASEC_UNSUPPORTED_PLATFORM',
      `@wsasec/native-win needs koffi's native module for ${process.platform}-${process.arch}, which did not load (is @koromix/koffi-${process.platform}-${process.arch} installed?)`,
      { cause: error },
    );
  }
  return cached;
}
