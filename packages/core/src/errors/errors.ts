import {
  IPSEC_IKE_ERRORS,
  LIBRARY_ERRORS,
  type SecureSocketErrorCode,
  type SecureSocketSyscall,
  WSA_ERRORS,
  type WsaErrorCode,
} from '../contract/error-codes.js';

const BRAND = Symbol.for('wsasec.SecureSocketError');

/** Options of a {@link SecureSocketError}. */
export interface SecureSocketErrorOptions {
  /** The C function (or library operation) that failed. */
  syscall?: SecureSocketSyscall;
  /** The underlying error, if any. */
  cause?: unknown;
  /** The `ERROR_IPSEC_IKE_*` value when IPsec negotiation failed. */
  negotiationError?: number;
  /** Override for `errno`; defaults to the Windows value of a WSA code. */
  errno?: number;
}

/**
 * The one error root of wsasec. Node-style fields:
 * - `code`: a Winsock name (`'WSAEINVAL'`, …) or a library code (`'ERR_WSASEC_*'`);
 * - `errno`: the Windows number for WSA codes (`WSAEINVAL` → 10022);
 * - `syscall`: the C function that failed (`'WSASetSocketSecurity'`, …);
 * - `negotiationError`: the `ERROR_IPSEC_IKE_*` value when IPsec negotiation failed.
 *
 * Recognise it across duplicate package copies with {@link SecureSocketError.isInstance}.
 */
export class SecureSocketError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'SecureSocketError';
  readonly code: SecureSocketErrorCode;
  readonly errno: number | undefined;
  readonly syscall: SecureSocketSyscall | undefined;
  readonly negotiationError: number | undefined;

  constructor(code: SecureSocketErrorCode, message: string, options: SecureSocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno =
      options.errno ?? (Object.hasOwn(WSA_ERRORS, code) ? WSA_ERRORS[code as WsaErrorCode] : undefined);
    this.syscall = options.syscall;
    this.negotiationError = options.negotiationError;
  }

  /** True for any `SecureSocketError`, including one from another copy of this package. */
  static isInstance(value: unknown): value is SecureSocketError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** Builds the error for a Windows error number (`WSAGetLastError()` value). */
  static fromErrno(errno: number, syscall: SecureSocketSyscall, message?: string): SecureSocketError {
    const code = wsaCodeName(errno);
    return new SecureSocketError(
      code ?? 'ERR_WSASEC_INTERNAL',
      message ?? `${syscall} failed with ${code ?? 'Windows error'} (${errno})`,
      {
        syscall,
        errno,
      },
    );
  }
}

/** The WSA code name of a Windows error number, if it is one wsasec knows. */
export function wsaCodeName(errno: number): WsaErrorCode | undefined {
  for (const [name, value] of Object.entries(WSA_ERRORS)) if (value === errno) return name as WsaErrorCode;
  return undefined;
}

/** The `ERROR_IPSEC_IKE_*` name of a negotiation error number, if known. */
export function ikeErrorName(value: number): string | undefined {
  for (const [name, v] of Object.entries(IPSEC_IKE_ERRORS)) if (v === value) return name;
  return undefined;
}

/** True when `code` is one of the documented `SecureSocketError` codes. */
export function isDocumentedErrorCode(code: unknown): code is SecureSocketErrorCode {
  return (
    typeof code === 'string' &&
    (Object.hasOwn(WSA_ERRORS, code) || (LIBRARY_ERRORS as readonly string[]).includes(code))
  );
}
