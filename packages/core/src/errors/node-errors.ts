import type { SecureSocketSyscall, WsaErrorCode } from '../contract/error-codes.js';
import { SecureSocketError } from './errors.js';

const NODE_TO_WSA: Record<string, WsaErrorCode> = {
  ECONNREFUSED: 'WSAECONNREFUSED',
  ECONNRESET: 'WSAECONNRESET',
  ECONNABORTED: 'WSAECONNABORTED',
  ETIMEDOUT: 'WSAETIMEDOUT',
  EHOSTUNREACH: 'WSAEHOSTUNREACH',
  ENETUNREACH: 'WSAENETUNREACH',
  EADDRINUSE: 'WSAEADDRINUSE',
  EADDRNOTAVAIL: 'WSAEADDRNOTAVAIL',
  EAFNOSUPPORT: 'WSAEAFNOSUPPORT',
  EPIPE: 'WSAECONNRESET',
  ENOTFOUND: 'WSAHOST_NOT_FOUND',
  EAI_AGAIN: 'WSAHOST_NOT_FOUND',
  EACCES: 'WSAEACCES',
  EISCONN: 'WSAEISCONN',
  ENOTCONN: 'WSAENOTCONN',
};

/**
 * Turns any error into a `SecureSocketError`: one already is stays as it is; Node's socket errors
 * (`ECONNREFUSED`, …) become their Winsock equivalents, keeping the `address` and `port` they name;
 * an AbortError becomes `ERR_WSASEC_ABORTED`.
 */
export function toSecureSocketError(error: unknown, syscall: SecureSocketSyscall): SecureSocketError {
  if (SecureSocketError.isInstance(error)) return error;
  const err = error as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  if (err?.name === 'AbortError' || err?.code === 'ABORT_ERR') {
    return new SecureSocketError('ERR_WSASEC_ABORTED', `${syscall} was aborted`, { syscall, cause: error });
  }
  const code =
    typeof err?.code === 'string' && Object.hasOwn(NODE_TO_WSA, err.code) ? NODE_TO_WSA[err.code] : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(error);
  // Node's socket errors name the endpoint (a connect's peer, a listen's bind): keep it, as net does.
  const where = error as { address?: unknown; port?: unknown } | undefined;
  const endpoint = {
    ...(typeof where?.address === 'string' ? { address: where.address } : {}),
    ...(typeof where?.port === 'number' ? { port: where.port } : {}),
  };
  if (code)
    return new SecureSocketError(code, `${syscall} failed: ${message}`, {
      syscall,
      cause: error,
      ...endpoint,
    });
  return new SecureSocketError('ERR_WSASEC_INTERNAL', `${syscall} failed: ${message}`, {
    syscall,
    cause: error,
    ...endpoint,
  });
}

/**
 * net's `ERR_SOCKET_CLOSED_BEFORE_CONNECTION` (an `Error`): what the callback of a write held while
 * the socket was connecting gets when the socket closes before it connected.
 */
export function closedBeforeConnection(): SecureSocketError {
  return new SecureSocketError(
    'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
    'Socket closed before the connection was established',
    { syscall: 'send' },
  );
}
