// Loopback servers and small waits for the backend tests; everything started here is stopped by
// the caller's afterEach through `track`.
import { once } from 'node:events';
import * as net from 'node:net';

export interface Tracked {
  servers: Set<net.Server>;
  sockets: Set<{ destroy(): void }>;
}

export function tracker(): Tracked {
  return { servers: new Set(), sockets: new Set() };
}

export async function stopAll(t: Tracked): Promise<void> {
  for (const s of t.sockets) s.destroy();
  t.sockets.clear();
  await Promise.all(
    [...t.servers].map(
      (server) =>
        new Promise<void>((resolve) => {
          (server as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => resolve());
        }),
    ),
  );
  t.servers.clear();
}

/** A plain Node echo server on 127.0.0.1 (the "Linux-side" peer of a secured client). */
export async function echoServer(
  t: Tracked,
  host = '127.0.0.1',
): Promise<{ server: net.Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = net.createServer((socket) => {
    t.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received.push(chunk);
      socket.write(chunk);
    });
    socket.on('end', () => socket.end());
  });
  t.servers.add(server);
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port, received };
}

/** Writes `data` and collects `expected` bytes back. */
export async function roundTrip(socket: NodeJS.ReadWriteStream, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= data.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  socket.write(data);
  return done;
}

/** Resolves when `emitter` emits `event`, or rejects after `ms` (a bound, not a timing assertion). */
export function within<T>(promise: Promise<T>, ms = 5000, what = 'event'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
