/**
 * Windows error codes the secure socket functions and IPsec negotiation can report, under their C
 * names with their Windows values (`winsock2.h`, `winerror.h`).
 * @module
 */

/** Winsock error codes (`WSAGetLastError()` values) that wsasec can raise. */
export const WSA_ERRORS = {
  WSA_NOT_ENOUGH_MEMORY: 8,
  WSA_INVALID_PARAMETER: 87,
  WSA_IO_PENDING: 997,
  WSAEACCES: 10013,
  WSAEFAULT: 10014,
  WSAEINVAL: 10022,
  WSAEWOULDBLOCK: 10035,
  WSAEALREADY: 10037,
  WSAENOTSOCK: 10038,
  WSAEMSGSIZE: 10040,
  WSAEOPNOTSUPP: 10045,
  WSAEAFNOSUPPORT: 10047,
  WSAEADDRINUSE: 10048,
  WSAEADDRNOTAVAIL: 10049,
  WSAENETUNREACH: 10051,
  WSAECONNABORTED: 10053,
  WSAECONNRESET: 10054,
  WSAEISCONN: 10056,
  WSAENOTCONN: 10057,
  WSAESHUTDOWN: 10058,
  WSAETIMEDOUT: 10060,
  WSAECONNREFUSED: 10061,
  WSAEHOSTUNREACH: 10065,
  WSANOTINITIALISED: 10093,
  WSASYSCALLFAILURE: 10107,
  WSAHOST_NOT_FOUND: 11001,
} as const;

/** A Winsock error code name. */
export type WsaErrorCode = keyof typeof WSA_ERRORS;

/** Each Winsock error code as its own constant, with its Windows value. */
export const {
  WSA_NOT_ENOUGH_MEMORY,
  WSA_INVALID_PARAMETER,
  WSA_IO_PENDING,
  WSAEACCES,
  WSAEFAULT,
  WSAEINVAL,
  WSAEWOULDBLOCK,
  WSAEALREADY,
  WSAENOTSOCK,
  WSAEMSGSIZE,
  WSAEOPNOTSUPP,
  WSAEAFNOSUPPORT,
  WSAEADDRINUSE,
  WSAEADDRNOTAVAIL,
  WSAENETUNREACH,
  WSAECONNABORTED,
  WSAECONNRESET,
  WSAEISCONN,
  WSAENOTCONN,
  WSAESHUTDOWN,
  WSAETIMEDOUT,
  WSAECONNREFUSED,
  WSAEHOSTUNREACH,
  WSANOTINITIALISED,
  WSASYSCALLFAILURE,
  WSAHOST_NOT_FOUND,
} = WSA_ERRORS;

/**
 * IKE/AuthIP negotiation errors (`winerror.h`), reported as `SecureSocketError.negotiationError`
 * and in `SecurityInfo.negotiationError` (IPSEC2).
 */
export const IPSEC_IKE_ERRORS = {
  ERROR_IPSEC_IKE_NEG_STATUS_BEGIN: 13800,
  ERROR_IPSEC_IKE_AUTH_FAIL: 13801,
  ERROR_IPSEC_IKE_ATTRIB_FAIL: 13802,
  ERROR_IPSEC_IKE_NEGOTIATION_PENDING: 13803,
  ERROR_IPSEC_IKE_GENERAL_PROCESSING_ERROR: 13804,
  ERROR_IPSEC_IKE_TIMED_OUT: 13805,
  ERROR_IPSEC_IKE_NO_CERT: 13806,
  ERROR_IPSEC_IKE_SA_DELETED: 13807,
  ERROR_IPSEC_IKE_SA_REAPED: 13808,
  ERROR_IPSEC_IKE_DROP_NO_RESPONSE: 13813,
  ERROR_IPSEC_IKE_ERROR: 13816,
  ERROR_IPSEC_IKE_DH_FAIL: 13822,
  ERROR_IPSEC_IKE_INVALID_HEADER: 13824,
  ERROR_IPSEC_IKE_NO_POLICY: 13825,
  ERROR_IPSEC_IKE_INVALID_SIGNATURE: 13826,
  ERROR_IPSEC_IKE_KERBEROS_ERROR: 13827,
  ERROR_IPSEC_IKE_NO_PUBLIC_KEY: 13828,
  ERROR_IPSEC_IKE_PROCESS_ERR: 13829,
  ERROR_IPSEC_IKE_INVALID_PAYLOAD: 13843,
  ERROR_IPSEC_IKE_INVALID_COOKIE: 13846,
  ERROR_IPSEC_IKE_NO_PEER_CERT: 13847,
  ERROR_IPSEC_IKE_DECRYPT: 13867,
  ERROR_IPSEC_IKE_POLICY_MATCH: 13868,
  ERROR_IPSEC_IKE_UNSUPPORTED_ID: 13869,
  ERROR_IPSEC_IKE_INVALID_SIG: 13875,
  ERROR_IPSEC_IKE_INVALID_MAJOR_VERSION: 13880,
  ERROR_IPSEC_IKE_QM_LIMIT: 13884,
  ERROR_IPSEC_IKE_MM_EXPIRED: 13885,
  ERROR_IPSEC_IKE_UNEXPECTED_MESSAGE_ID: 13888,
  ERROR_IPSEC_IKE_INVALID_AUTH_PAYLOAD: 13889,
  ERROR_IPSEC_IKE_QM_EXPIRED: 13895,
  ERROR_IPSEC_IKE_RATELIMIT_DROP: 13903,
  ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE: 13905,
} as const;

/** An IKE negotiation error name. */
export type IpsecIkeErrorCode = keyof typeof IPSEC_IKE_ERRORS;

/** The IKE negotiation errors as their own constants. */
export const {
  ERROR_IPSEC_IKE_AUTH_FAIL,
  ERROR_IPSEC_IKE_ATTRIB_FAIL,
  ERROR_IPSEC_IKE_GENERAL_PROCESSING_ERROR,
  ERROR_IPSEC_IKE_TIMED_OUT,
  ERROR_IPSEC_IKE_NO_CERT,
  ERROR_IPSEC_IKE_SA_DELETED,
  ERROR_IPSEC_IKE_DROP_NO_RESPONSE,
  ERROR_IPSEC_IKE_DH_FAIL,
  ERROR_IPSEC_IKE_INVALID_HEADER,
  ERROR_IPSEC_IKE_NO_POLICY,
  ERROR_IPSEC_IKE_INVALID_SIGNATURE,
  ERROR_IPSEC_IKE_INVALID_PAYLOAD,
  ERROR_IPSEC_IKE_NO_PEER_CERT,
  ERROR_IPSEC_IKE_DECRYPT,
  ERROR_IPSEC_IKE_POLICY_MATCH,
  ERROR_IPSEC_IKE_UNSUPPORTED_ID,
  ERROR_IPSEC_IKE_QM_EXPIRED,
  ERROR_IPSEC_IKE_RATELIMIT_DROP,
  ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE,
} = IPSEC_IKE_ERRORS;

/**
 * Library-level error codes (not Windows codes). Each names one situation:
 * - `ERR_WSASEC_ASYNC_IMPERSONATION`: an impersonation callback returned a promise or thenable.
 * - `ERR_WSASEC_UNSUPPORTED_PLATFORM`: the backend's system libraries are not on this platform.
 * - `ERR_WSASEC_BACKEND_NOT_FOUND`: `loadBackend()` could not import the backend package.
 * - `ERR_WSASEC_INVALID_ARGUMENT`: a value of the wrong JavaScript type where no Windows code fits.
 * - `ERR_WSASEC_NEGOTIATION_FAILED`: IPsec negotiation failed (see `negotiationError`).
 * - `ERR_WSASEC_PEER_NAME_MISMATCH`: the authenticated peer is not the target name.
 * - `ERR_WSASEC_INTEGRITY`: a protected frame failed its integrity check (tamper, replay, reorder).
 * - `ERR_WSASEC_SOCKET_CLOSED`: the socket was closed or destroyed.
 * - `ERR_WSASEC_ACCESS_DENIED`: an access check refused the requested rights.
 * - `ERR_WSASEC_TOKEN_CLOSED`: a peer token was used after `close()`.
 * - `ERR_WSASEC_ABORTED`: the operation was aborted through an AbortSignal.
 * - `ERR_WSASEC_LIMIT`: a configured resource bound was exceeded.
 * - `ERR_WSASEC_POLICY_STORE`: the policy store (on Windows the Base Filtering Engine that holds WFP
 *   provider contexts) refused or lost an operation for a reason other than a bad argument: its
 *   session was closed or aborted, the transaction was aborted, another transaction holds the
 *   store, the object is in use, or the BFE service cannot be reached. `errno` carries the
 *   `FWP_E_*` / Win32 value.
 * - `ERR_WSASEC_INTERNAL`: a broken internal invariant (a bug: please report it).
 */
export const LIBRARY_ERRORS = [
  'ERR_WSASEC_ASYNC_IMPERSONATION',
  'ERR_WSASEC_UNSUPPORTED_PLATFORM',
  'ERR_WSASEC_BACKEND_NOT_FOUND',
  'ERR_WSASEC_INVALID_ARGUMENT',
  'ERR_WSASEC_NEGOTIATION_FAILED',
  'ERR_WSASEC_PEER_NAME_MISMATCH',
  'ERR_WSASEC_INTEGRITY',
  'ERR_WSASEC_SOCKET_CLOSED',
  'ERR_WSASEC_ACCESS_DENIED',
  'ERR_WSASEC_TOKEN_CLOSED',
  'ERR_WSASEC_ABORTED',
  'ERR_WSASEC_LIMIT',
  'ERR_WSASEC_POLICY_STORE',
  'ERR_WSASEC_INTERNAL',
] as const;

/** A library-level error code. */
export type LibraryErrorCode = (typeof LIBRARY_ERRORS)[number];

/**
 * Node's argument-error codes, carried by the `net.Socket` / `net.Server` call forms wsasec mirrors
 * (`connect(port, host)`, `setTimeout(ms)`, `listen(port)`, …) where Node throws them, so code written
 * against net matches the same `code` and `name` (`TypeError` / `RangeError`). The Winsock-shaped
 * calls (`setSecurity`, `setPeerTargetName`, the options forms of `connect`) keep their `WSAE*` codes.
 * - `ERR_INVALID_ARG_TYPE` (`TypeError`): an argument of the wrong JavaScript type.
 * - `ERR_INVALID_ARG_VALUE` (`TypeError`): an argument of the right type and a refused value.
 * - `ERR_OUT_OF_RANGE` (`RangeError`): a number outside the accepted range.
 * - `ERR_SOCKET_BAD_PORT` (`RangeError`): a port (or a connect's `localPort`) that is not an
 *   integer from 0 to 65535.
 * - `ERR_MISSING_ARGS` (`TypeError`): a required argument left out (`connect()` or `connect({})`
 *   without a port).
 * - `ERR_INVALID_IP_ADDRESS` (`TypeError`): what a connect's `options.lookup` called back with is
 *   not an IP literal (emitted as the connect's `'error'`, as net does), or a connect's
 *   `options.localAddress` is not one (thrown, as net does).
 */
export const NODE_ARGUMENT_ERRORS = [
  'ERR_INVALID_ARG_TYPE',
  'ERR_MISSING_ARGS',
  'ERR_INVALID_ARG_VALUE',
  'ERR_OUT_OF_RANGE',
  'ERR_SOCKET_BAD_PORT',
  'ERR_INVALID_IP_ADDRESS',
] as const;

/** One of Node's argument-error codes. */
export type NodeArgumentErrorCode = (typeof NODE_ARGUMENT_ERRORS)[number];

/**
 * net's own socket and server error codes, carried where a `net.Socket`-shaped socket or a
 * `net.Server`-shaped server fails as net's does, so code written against net matches the same
 * `code` and `name` (`'Error'`).
 * - `EPIPE` (`Error`): a write after the peer ended the connection, on a socket without
 *   `allowHalfOpen` whose own side has ended too (net's "This socket has been ended by the other
 *   party"); the socket is destroyed with it.
 * - `ERR_SOCKET_CLOSED_BEFORE_CONNECTION` (`Error`): the callback of a write queued while the
 *   socket was connecting, when the socket is destroyed before it connected ("Socket closed before
 *   the connection was established").
 * - `ERR_SOCKET_CLOSED` (`Error`): `resetAndDestroy()` on a socket that is not connected or
 *   connecting (net's "Socket is closed"); the socket is destroyed with it.
 * - `ERR_SERVER_ALREADY_LISTEN` (`Error`): `server.listen()` on a server that is listening (thrown,
 *   as net throws it; after `close()` it may listen again at once).
 * - `ERR_SERVER_NOT_RUNNING` (`Error`): given to the `server.close(cb)` callback when the server was
 *   not listening.
 */
export const NODE_SOCKET_ERRORS = [
  'EPIPE',
  'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  'ERR_SOCKET_CLOSED',
  'ERR_SERVER_ALREADY_LISTEN',
  'ERR_SERVER_NOT_RUNNING',
] as const;

/** One of net's stream-socket error codes. */
export type NodeSocketErrorCode = (typeof NODE_SOCKET_ERRORS)[number];

/** Every `code` a `SecureSocketError` can carry. */
export type SecureSocketErrorCode =
  | WsaErrorCode
  | LibraryErrorCode
  | NodeArgumentErrorCode
  | NodeSocketErrorCode;

/** The C functions (and library operations) named in `SecureSocketError.syscall`. */
export type SecureSocketSyscall =
  | 'WSASetSocketSecurity'
  | 'WSASetSocketPeerTargetName'
  | 'WSADeleteSocketPeerTargetName'
  | 'WSAQuerySocketSecurity'
  | 'WSAImpersonateSocketPeer'
  | 'WSARevertImpersonation'
  | 'WSASocketW'
  | 'WSAConnect'
  | 'connect'
  | 'bind'
  | 'listen'
  | 'accept'
  | 'send'
  | 'recv'
  | 'closesocket'
  | 'AccessCheck'
  | 'GetTokenInformation'
  | 'CloseHandle'
  | (string & {});
