/**
 * net's `onread` socket option (`new net.Socket({ onread: { buffer, callback } })`): what the socket
 * receives is copied into the caller's buffer and handed to `callback(nread, buffer)` (called on the
 * socket) instead of `'data'` events; a callback returning `false`, or a paused socket, holds the rest
 * until `resume()`. Applied to any
 * backend's stream by taking over its `push`, so no byte reaches the stream's own buffer.
 * @module
 */
import type { Duplex } from 'node:stream';
import { invalidArgType } from '../errors/node-args.js';

/** The validated `onread` option. */
export interface OnRead {
  buffer: Uint8Array | (() => Uint8Array);
  callback: (this: Duplex, nread: number, buffer: Uint8Array) => unknown;
}

/**
 * Checks `onread` as net does: an object whose `buffer` is a Uint8Array (a Buffer included) or a
 * function returning one, and whose `callback` is a function.
 * @throws SecureSocketError `ERR_INVALID_ARG_TYPE` otherwise.
 */
export function checkOnRead(value: unknown, syscall: string): OnRead | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw invalidArgType('options.onread', 'object', value, syscall);
  const { buffer, callback } = value as { buffer?: unknown; callback?: unknown };
  if (!(buffer instanceof Uint8Array) && typeof buffer !== 'function')
    throw invalidArgType('options.onread.buffer', 'Uint8Array or function', buffer, syscall);
  if (typeof callback !== 'function')
    throw invalidArgType('options.onread.callback', 'function', callback, syscall);
  return { buffer: buffer as OnRead['buffer'], callback: callback as OnRead['callback'] };
}

/**
 * Routes what `stream` receives to `onread`. Each chunk the backend pushes is copied into the
 * buffer (the function's answer, asked for each piece, where `buffer` is one) in as many pieces as it
 * takes; the end (`push(null)`) and errors pass through. After a callback returned `false` the stream
 * is paused, the rest of that chunk is held, and `push` answers `false` so the backend stops reading
 * until the stream is resumed.
 */
const EMPTY = Buffer.alloc(0);

export function applyOnRead(stream: Duplex, onread: OnRead): void {
  const push = stream.push.bind(stream);
  let held: Buffer | undefined;
  let stopped = false;
  let ended = false;
  const deliver = (chunk: Buffer): Buffer | undefined => {
    let offset = 0;
    while (offset < chunk.length) {
      const target = typeof onread.buffer === 'function' ? onread.buffer() : onread.buffer;
      const nread = Math.min(target.byteLength, chunk.length - offset);
      if (nread === 0) return chunk.subarray(offset);
      target.set(chunk.subarray(offset, offset + nread), 0);
      offset += nread;
      // As net: the callback is called on the socket (`this`).
      const answer = onread.callback.call(stream, nread, target);
      if (answer === false) stream.pause();
      // Paused by the answer or by the callback itself (`this.pause()`): the rest waits for resume().
      if (stream.isPaused()) {
        stopped = true;
        return offset < chunk.length ? chunk.subarray(offset) : undefined;
      }
    }
    return undefined;
  };
  // As net: the read that meets the end asks for a buffer too (libuv allocates before each read).
  const end = () => {
    if (typeof onread.buffer === 'function') onread.buffer();
    return push(null);
  };
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null || chunk === undefined) {
      // The end waits for the bytes still held for a paused callback.
      if (held) {
        ended = true;
        return false;
      }
      return end();
    }
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, encoding)
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              (chunk as Uint8Array).buffer,
              (chunk as Uint8Array).byteOffset,
              (chunk as Uint8Array).byteLength,
            );
    if (stream.isPaused()) stopped = true;
    if (held) held = Buffer.concat([held, bytes]);
    else if (stopped) held = bytes;
    else held = deliver(bytes);
    if (stopped) return false;
    // The bytes never enter the stream's buffer: an empty push ends this read as a delivered chunk
    // would (the stream is no longer "reading"), so it asks the backend for more.
    return push(EMPTY);
  };
  stream.on('resume', () => {
    if (!stopped) return;
    stopped = false;
    const rest = held;
    held = undefined;
    if (rest) held = deliver(rest);
    if (stopped) return;
    if (ended) {
      ended = false;
      end();
    } else push(EMPTY); // the read that answered false is over: let the backend read again
  });
}
