import type { Duplex } from 'node:stream';

type Callback = (error?: Error | null) => void;

const prepared = new WeakSet<Duplex>();

/**
 * Makes a secured socket safe to hand to http2.
 *
 * http2 runs on a libuv stream handle; a socket without one (ours) is wrapped in Node's
 * `JSStreamSocket`, which asserts — `ERR_INTERNAL_ASSERTION`, an uncaught exception — when http2
 * writes while a shutdown it asked for is still finishing. A session does exactly that when the
 * peer's FIN arrives first (the peer closed after GOAWAY: the wrapper shuts down its side, then the
 * session sends its own GOAWAY as it is destroyed). A TCP handle answers that write with `EPIPE`.
 * This gives the socket the same behaviour: `end(callback)` reports the shutdown as done once the
 * FIN is queued (the socket still sends it after the data already written), and a write after
 * `end()` fails its callback with `EPIPE` instead of destroying the socket with an `'error'`.
 */
export function prepareForHttp2(socket: Duplex): void {
  if (prepared.has(socket)) return;
  prepared.add(socket);
  const { end, write } = socket;
  Object.defineProperties(socket, {
    end: {
      value: function endQueued(this: Duplex, ...args: unknown[]) {
        const callback = typeof args.at(-1) === 'function' ? (args.pop() as Callback) : undefined;
        end.apply(this, args as never);
        if (callback) process.nextTick(callback);
        return this;
      },
      configurable: true,
      writable: true,
    },
    write: {
      value: function writeUnlessEnded(this: Duplex, ...args: unknown[]) {
        if (!this.writableEnded) return (write as (...a: unknown[]) => boolean).apply(this, args);
        const callback = typeof args.at(-1) === 'function' ? (args.at(-1) as Callback) : undefined;
        const error = Object.assign(new Error('write after the socket was ended'), { code: 'EPIPE' });
        if (callback) process.nextTick(callback, error);
        return false;
      },
      configurable: true,
      writable: true,
    },
  });
}
