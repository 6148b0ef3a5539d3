// HTTP/2 (h2c) over secured sockets on the sim: Node's http2 client with a createConnection that
// returns a connecting secured socket, and Node's http2 server fed the backend's accepted sockets.
// A wrong target name must reach the caller as an 'error' (on the session and the pending stream),
// never a bare 'close' that leaves a request waiting.

import { once } from 'node:events';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { SecureServer, SecureSocket } from '@wsasec/core';
import { closeServer, listenServer } from '@wsasec/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimFixture, SERVER, type SimFixture } from './support/sim-fixture.js';

let sim: SimFixture;
let listener: SecureServer;
let h2: http2.Http2Server;
let port: number;
const peers: { user: string | undefined; machine: string | undefined }[] = [];
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  sim = createSimFixture();
  h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end(`h2 ${headers[':path']}`);
  });
  listener = sim.server.createServer({}, (socket: SecureSocket) => {
    const info = socket.querySecurity({ tokenAccess: 0x0008 });
    peers.push({ user: info.peerApplicationToken?.user.name, machine: info.peerMachineToken?.user.name });
    info.close();
    h2.emit('connection', socket);
  });
  await listenServer(listener, { host: '127.0.0.1', port: 0 });
  port = (listener.address() as AddressInfo).port;
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
afterAll(async () => {
  listener.closeAllConnections?.();
  await closeServer(listener);
  await sim.close();
});

function connect(targetName: string): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`, {
    createConnection: () => {
      const socket = sim.alice.createSocket();
      socket.setSecurity();
      socket.setPeerTargetName(targetName);
      return socket.connect(port, '127.0.0.1') as never;
    },
  });
  cleanups.push(() => session.destroy());
  return session;
}

describe('HTTP/2 over a secured socket', () => {
  it('carries streams, and the server sees the peer machine of the session', async () => {
    const session = connect(SERVER);
    const bodies = await Promise.all(
      ['/a', '/b', '/c'].map(
        (path) =>
          new Promise<string>((resolve, reject) => {
            const req = session.request({ ':path': path });
            let body = '';
            req.setEncoding('utf8');
            req.on('data', (chunk: string) => {
              body += chunk;
            });
            req.on('end', () => resolve(body));
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    expect(bodies).toEqual(['h2 /a', 'h2 /b', 'h2 /c']);
    // Three streams, one session, one secured connection.
    expect(peers.at(-1)).toEqual({ user: undefined, machine: 'CLIENT$' });
  });

  it("a wrong target name reaches the session and the pending stream as 'error', and the server gets nothing", async () => {
    const before = peers.length;
    const session = connect('host/rogue.contoso.com');
    const sessionError = once(session, 'error');
    const req = session.request({ ':path': '/never' });
    const events: string[] = [];
    req.on('response', () => events.push('response'));
    const streamError = new Promise<Error>((resolve) => req.on('error', resolve));
    req.end();
    const [error] = (await sessionError) as [Error & { code?: string }];
    expect(error.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    const failed = (await streamError) as Error & { code?: string };
    expect(failed.code).toBe('ERR_WSASEC_PEER_NAME_MISMATCH');
    expect(events).toEqual([]);
    expect(peers.length).toBe(before);
  });
});
