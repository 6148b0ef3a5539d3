// Port of node/test/parallel/test-http-keep-alive-drop-requests.js: createSecureServer for http.createServer, backend sockets (t.netConnect) for net.connect.
import assert from 'node:assert';
import * as net from 'node:net';
import { it } from 'vitest';
import { http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive-drop-requests', async () => {
    const t = current();
    function request(socket: net.Socket) {
      socket.write('GET / HTTP/1.1\r\n');
      socket.write('Connection: keep-alive\r\n');
      socket.write('Host: localhost\r\n');
      socket.write('\r\n\r\n');
    }

    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.end('ok');
      }),
    );

    server.on(
      'dropRequest',
      t.mustCall((request: unknown, socket: unknown) => {
        assert.strictEqual(request instanceof http.IncomingMessage, true);
        assert.strictEqual(socket instanceof net.Socket, true);
        server.close();
      }),
    );

    server.listen(
      0,
      t.mustCall(() => {
        const socket = t.netConnect(portOf(server));
        let response = '';
        socket.on(
          'connect',
          t.mustCall(() => {
            request(socket);
            request(socket);
          }),
        );
        socket.on(
          'data',
          t.mustCallAtLeast((chunk: Buffer) => {
            response += chunk;
            if (response.includes('HTTP/1.1 503 Service Unavailable')) socket.end();
          }),
        );
        socket.on(
          'close',
          t.mustCall(() => {
            assert.match(response, /HTTP\/1\.1 200 OK/);
            assert.match(response, /HTTP\/1\.1 503 Service Unavailable/);
            t.done();
          }),
        );
      }),
    );

    server.maxRequestsPerSocket = 1;
    await t.end();
  }, 3000);
}
