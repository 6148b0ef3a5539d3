import {
  IPSEC_IKE_ERRORS,
  LIBRARY_ERRORS,
  NODE_ARGUMENT_ERRORS,
  NODE_SOCKET_ERRORS,
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
  /** The peer address of a failed connect (as on Node's connect errors). */
  address?: string;
  /** The peer port of a failed connect. */
  port?: number;
}

/** The Node (libuv) code of each Winsock code that has one, as `net` would report the same failure. */
const NODE_CODES: Partial<Record<string, string>> = {
  WSAECONNREFUSED: 'ECONNREFUSED',
  WSAECONNRESET: 'ECONNRESET',
  WSAECONNABORTED: 'ECONNABORTED',
  WSAETIMEDOUT: 'ETIMEDOUT',
  WSAEHOSTUNREACH: 'EHOSTUNREACH',
  WSAENETUNREACH: 'ENETUNREACH',
  WSAEADDRINUSE: 'EADDRINUSE',
  WSAEADDRNOTAVAIL: 'EADDRNOTAVAIL',
  WSAEAFNOSUPPORT: 'EAFNOSUPPORT',
  WSAHOST_NOT_FOUND: 'ENOTFOUND',
  WSAEACCES: 'EACCES',
  WSAEISCONN: 'EISCONN',
  WSAENOTCONN: 'ENOTCONN',
  WSAEINVAL: 'EINVAL',
  WSAENOTSOCK: 'EBADF',
  WSAEOPNOTSUPP: 'ENOTSUP',
  WSAEALREADY: 'EALREADY',
  ERR_WSASEC_ABORTED: 'ABORT_ERR',
  ERR_WSASEC_SOCKET_CLOSED: 'ERR_STREAM_DESTROYED',
};

/** The `name` Node gives errors of the same kind. */
function nameOf(code: SecureSocketErrorCode): string {
  if (code === 'ERR_WSASEC_ABORTED') return 'AbortError';
  if (
    code === 'ERR_INVALID_ARG_TYPE' ||
    code === 'ERR_INVALID_ARG_VALUE' ||
    code === 'ERR_MISSING_ARGS' ||
    code === 'ERR_INVALID_IP_ADDRESS'
  )
    return 'TypeError';
  if (code === 'ERR_OUT_OF_RANGE' || code === 'ERR_SOCKET_BAD_PORT') return 'RangeError';
  if ((NODE_SOCKET_ERRORS as readonly string[]).includes(code)) return 'Error';
  return 'SecureSocketError';
}

/**
 * The one error root of wsasec. Node-style fields:
 * - `code`: a Winsock name (`'WSAEINVAL'`, …), a library code (`'ERR_WSASEC_*'`), or one of Node's
 *   argument codes where a `net` call form mirrors Node (`'ERR_SOCKET_BAD_PORT'`, …), or one of net's
 *   socket codes where a socket fails as `net.Socket` does (`'EPIPE'`);
 * - `errno`: the Windows number for WSA codes (`WSAEINVAL` → 10022);
 * - `syscall`: the C function that failed (`'WSASetSocketSecurity'`, …);
 * - `negotiationError`: the `ERROR_IPSEC_IKE_*` value when IPsec negotiation failed;
 * - `nodeCode`: what Node's `net` reports for the same failure (`WSAECONNREFUSED` → `'ECONNREFUSED'`,
 *   `ERR_WSASEC_ABORTED` → `'ABORT_ERR'`), to match on portably; `address`/`port` on connect failures;
 * - `name`: `'SecureSocketError'`, except as Node names the same kind: `'AbortError'` for an abort,
 *   `'TypeError'`/`'RangeError'` for Node's argument codes, `'Error'` for net's socket codes
 *   (`'EPIPE'`).
 *
 * Recognise it across duplicate package copies with {@link SecureSocketError.isInstance}.
 */
export class SecureSocketError extends Error {
  readonly [BRAND] = true;
  override readonly name: string;
  readonly code: SecureSocketErrorCode;
  readonly errno: number | undefined;
  readonly syscall: SecureSocketSyscall | undefined;
  readonly negotiationError: number | undefined;
  readonly nodeCode: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(code: SecureSocketErrorCode, message: string, options: SecureSocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = nameOf(code);
    this.code = code;
    this.errno =
      options.errno ?? (Object.hasOwn(WSA_ERRORS, code) ? WSA_ERRORS[code as WsaErrorCode] : undefined);
    this.syscall = options.syscall;
    this.negotiationError = options.negotiationError;
    this.nodeCode =
      NODE_CODES[code] ??
      ((NODE_ARGUMENT_ERRORS as readonly string[]).includes(code) ||
      (NODE_SOCKET_ERRORS as readonly string[]).includes(code)
        ? code
        : undefined);
    this.address = options.address;
    this.port = options.port;
    // As Node's argument errors: `instanceof TypeError` / `RangeError` holds (`assert.throws(fn,
    // TypeError)` passes), and `instanceof SecureSocketError` still does (see Symbol.hasInstance).
    if (this.name === 'TypeError') Object.setPrototypeOf(this, typeErrorPrototype());
    else if (this.name === 'RangeError') Object.setPrototypeOf(this, rangeErrorPrototype());
  }

  /** `instanceof SecureSocketError` for this copy's errors, the argument errors included. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const inherits = (proto: object | undefined) =>
      proto !== undefined && Object.prototype.isPrototypeOf.call(proto, value);
    return inherits(SecureSocketError.prototype) || inherits(typeProto) || inherits(rangeProto);
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

let typeProto: object | undefined;
let rangeProto: object | undefined;

/** SecureSocketError's prototype, re-rooted on `base` (TypeError or RangeError). */
function rerooted(base: ErrorConstructor): object {
  const descriptors = Object.getOwnPropertyDescriptors(SecureSocketError.prototype);
  return Object.create(base.prototype, descriptors);
}

function typeErrorPrototype(): object {
  typeProto ??= rerooted(TypeError);
  return typeProto;
}

function rangeErrorPrototype(): object {
  rangeProto ??= rerooted(RangeError);
  return rangeProto;
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
    (Object.hasOwn(WSA_ERRORS, code) ||
      (LIBRARY_ERRORS as readonly string[]).includes(code) ||
      (NODE_ARGUMENT_ERRORS as readonly string[]).includes(code) ||
      (NODE_SOCKET_ERRORS as readonly string[]).includes(code))
  );
}
