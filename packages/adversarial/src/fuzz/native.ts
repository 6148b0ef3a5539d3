/**
 * Fuzz targets for the native-win ABI decoders (`@wsasec/native-win/abi`): arbitrary buffers and
 * lengths give a decoded value or a documented SecureSocketError, never a RangeError or TypeError.
 * Runs anywhere koffi loads (the decoders are pure; no Windows needed).
 * @module
 */
import {
  decodePeerTargetName,
  decodeQueryInfo,
  decodeQueryTemplate,
  decodeSecuritySettings,
  decodeSockaddr,
} from '@wsasec/native-win/abi';
import fc from 'fast-check';
import { assertDocumented, type FuzzTarget, fuzzTarget } from './targets.js';

const input = fc
  .tuple(fc.uint8Array({ maxLength: 400 }), fc.oneof(fc.constant(-1), fc.nat({ max: 420 })))
  .map(([bytes, length]) => ({ bytes, length: length === -1 ? bytes.length : length }));

function decodes(name: string, decode: (bytes: Uint8Array, length: number) => unknown): FuzzTarget {
  return fuzzTarget(`native-win ${name}: a value or a documented SecureSocketError`, () =>
    fc.property(input, ({ bytes, length }) => {
      try {
        decode(bytes, length);
      } catch (error) {
        assertDocumented(error, name);
      }
    }),
  );
}

/** The native-win decoders. */
export const NATIVE_FUZZ_TARGETS: readonly FuzzTarget[] = [
  decodes('decodeSockaddr', (b, n) => decodeSockaddr(b, n % (b.length + 1))),
  decodes('decodeQueryTemplate', (b, n) => decodeQueryTemplate(b, n)),
  decodes('decodeQueryInfo', (b, n) => decodeQueryInfo(b, n)),
  decodes('decodeSecuritySettings', (b, n) => decodeSecuritySettings(b, n)),
  decodes('decodePeerTargetName', (b, n) => decodePeerTargetName(b, n)),
];
