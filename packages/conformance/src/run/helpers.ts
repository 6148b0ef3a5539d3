/**
 * Assertion and stream helpers of the conformance suite. Every wait is bounded so that a backend
 * that hangs fails with a message naming what never happened.
 * @module
 */
import { isDocumentedErrorCode, SecureSocketError, WSA_ERRORS, type WsaErrorCode } from '@wsasec/core';
import { expect } from 'vitest';

/** How long any single awaited step of a case may take. */
export const STEP_TIMEOUT_MS = 8_000;

/** Resolves like `promise`, or rejects naming `what` once `ms` have passed. */
export async function within<T>(promise: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks that `error` is a documented `SecureSocketError` with one of `codes` (any documented
 * code when `codes` is empty), a message, and the Windows errno of a WSA code.
 */
export function expectSecureError(error: unknown, codes: string | readonly string[] = []): SecureSocketError {
  const accepted = typeof codes === 'string' ? [codes] : codes;
  if (!SecureSocketError.isInstance(error)) {
    throw new Error(
      `expected a SecureSocketError${accepted.length ? ` (${accepted.join(' or ')})` : ''}, got ${String(error)}`,
    );
  }
  expect(isDocumentedErrorCode(error.code), `${error.code} is a documented code`).toBe(true);
  if (accepted.length > 0) expect(accepted, error.message).toContain(error.code);
  expect(error.message.length).toBeGreaterThan(0);
  if (error.code in WSA_ERRORS) expect(error.errno).toBe(WSA_ERRORS[error.code as WsaErrorCode]);
  return error;
}

/** Runs `fn`, which must throw a documented SecureSocketError with one of `codes`. */
export function expectThrows(fn: () => unknown, codes: string | readonly string[] = []): SecureSocketError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    return expectSecureError(error, codes);
  }
  throw new Error(
    `expected a SecureSocketError (${[codes].flat().join(' or ')}), but the call returned ${String(result)}`,
  );
}

/** Awaits `promise`, which must reject with a documented SecureSocketError with one of `codes`. */
export async function expectRejects(
  promise: Promise<unknown>,
  codes: string | readonly string[] = [],
  what = 'the rejection',
): Promise<SecureSocketError> {
  let result: unknown;
  try {
    result = await within(promise, what);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('timed out after')) throw error;
    return expectSecureError(error, codes);
  }
  throw new Error(
    `expected a SecureSocketError (${[codes].flat().join(' or ')}), but it resolved with ${String(result)}`,
  );
}

/** Waits for `event` on `emitter` (bounded). */
export function once(
  emitter: NodeJS.EventEmitter,
  event: string,
  what = `the '${event}' event`,
): Promise<unknown[]> {
  return within(
    new Promise<unknown[]>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args))),
    what,
  );
}

/** Resolves once `stream` has emitted 'close' (at once if it already has). */
export function closed(stream: NodeJS.EventEmitter & { closed?: boolean }, what = "the socket's 'close'") {
  // A net.Socket marks itself closed before it emits 'close' (its handle closes later): callers that
  // need the event itself listen before they close.
  if (stream.closed) return Promise.resolve();
  return within(new Promise<void>((resolve) => stream.once('close', () => resolve())), what);
}

/** Reads `stream` until it has given `length` bytes. */
export function readBytes(
  stream: NodeJS.ReadableStream,
  length: number,
  what = `${length} bytes`,
): Promise<Buffer> {
  return within(
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        total += chunk.length;
        if (total >= length) {
          stream.off('data', onData);
          stream.off('error', reject);
          stream.pause();
          const all = Buffer.concat(chunks);
          if (all.length > length) stream.unshift(all.subarray(length));
          resolve(all.subarray(0, length));
        }
      };
      stream.on('data', onData);
      stream.once('error', reject);
      stream.resume();
    }),
    what,
  );
}

/** Reads `stream` to its end. */
export function readToEnd(stream: NodeJS.ReadableStream, what = 'the end of the data'): Promise<Buffer> {
  return within(
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', () => resolve(Buffer.concat(chunks)));
      stream.once('error', reject);
      stream.resume();
    }),
    what,
  );
}

/** A turn of the event loop, so that anything already queued has run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * `socket.connect(target)` in net's form, awaited: resolves on `'connect'`, rejects with the
 * `'error'` (or what connect threw synchronously). Listeners are removed either way.
 */
export function connectSocket(
  socket: import('@wsasec/core').SecureSocket,
  target: { host: string; port: number; signal?: AbortSignal; localAddress?: string; localPort?: number },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: unknown) => {
      socket.off('connect', onConnect);
      reject(error);
    };
    const onConnect = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
    try {
      socket.connect(target);
    } catch (error) {
      onError(error);
    }
  });
}
