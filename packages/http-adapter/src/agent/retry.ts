import type { ClientRequest } from 'node:http';

const RESET_CODES = new Set(['ECONNRESET', 'WSAECONNRESET', 'WSAECONNABORTED', 'ERR_WSASEC_SOCKET_CLOSED']);

/**
 * True when a request failed because the kept-alive socket it reused had been closed by the
 * server — the one failure Node documents as safe to retry (`request.reusedSocket`). Node's own
 * agent does not retry by itself and neither does `SecureAgent`; this recognises the secured
 * sockets' reset codes (`WSAECONNRESET`, …) as well as Node's `ECONNRESET`, so the documented
 * pattern works: `req.on('error', (e) => { if (isReusedSocketReset(req, e)) retry(); })`.
 * Retry only requests that are safe to repeat (GET, HEAD, PUT, DELETE, OPTIONS).
 */
export function isReusedSocketReset(req: ClientRequest, error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return req.reusedSocket === true && typeof code === 'string' && RESET_CODES.has(code);
}
