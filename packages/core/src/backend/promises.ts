import type { EventEmitter } from 'node:events';

/**
 * What {@link listenServer} and {@link closeServer} use of a server: the `net.Server` surface, which
 * a backend's `SecureServer`, the http-adapter's servers and Node's own `net`/`http` servers all have.
 */
export interface ListenableServer extends EventEmitter {
  listen(options: { host?: string; port?: number | null; backlog?: number }, callback?: () => void): unknown;
  close(callback?: (error?: Error) => void): unknown;
  address(): unknown;
}

/** The bound address of a server, as its `address()` gives it once listening. */
export type BoundAddress<S extends ListenableServer> = Exclude<ReturnType<S['address']>, null | string>;

/**
 * The promise form of `server.listen(options)`: listens (`port` defaults to 0, any free port) and
 * resolves with `server.address()` on `'listening'`, or rejects with the listen's error — thrown
 * (bad arguments) or emitted (a failed bind).
 */
export function listenServer<S extends ListenableServer>(
  server: S,
  options: { host?: string; port?: number | null; backlog?: number } = {},
): Promise<BoundAddress<S>> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.removeListener('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve(server.address() as BoundAddress<S>);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      server.listen({ port: 0, ...options });
    } catch (error) {
      server.removeListener('error', onError);
      server.removeListener('listening', onListening);
      reject(error);
    }
  });
}

/**
 * The promise form of `server.close(cb)`: stops accepting and resolves on the server's `'close'` —
 * once every accepted connection has closed, or at once when it was not listening (never rejects:
 * closing a closed server is not an error here).
 */
export function closeServer(server: ListenableServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}
