// Port of node/test/parallel/test-http-keep-alive-pipeline-max-requests.js: createSecureServer for http.createServer, a backend socket (t.netSocket()) for new net.Socket(), connected to 127.0.0.1.
import assert from 'node:assert';
import type * as net from 'node:net';
import { it } from 'vitest';
import { HOST, type http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive-pipeline-max-requests', async () => {
    const t = current();
    const bodySent = 'This is my request';

    function assertResponse(headers: string, body: string, expectClosed?: boolean) {
      if (expectClosed) {
        assert.match(headers, /Connection: close\r\n/m);
        assert.strictEqual(headers.search(/Keep-Alive: timeout=65, max=3\r\n/m), -1);
        assert.match(body, /Hello World!/m);
      } else {
        assert.match(headers, /Connection: keep-alive\r\n/m);
        assert.match(headers, /Keep-Alive: timeout=65, max=3\r\n/m);
        assert.match(body, /Hello World!/m);
      }
    }

    function writeRequest(socket: net.Socket) {
      socket.write('POST / HTTP/1.1\r\n');
      socket.write('Host: localhost\r\n');
      socket.write('Connection: keep-alive\r\n');
      socket.write('Content-Type: text/plain\r\n');
      socket.write(`Content-Length: ${bodySent.length}\r\n\r\n`);
      socket.write(`${bodySent}\r\n`);
      socket.write('\r\n\r\n');
    }

    const server = t.createServer(
      t.mustCallAtLeast((req: http.IncomingMessage, res: http.ServerResponse) => {
        let body = '';
        req.on('data', (data) => {
          body += data;
        });

        req.on(
          'end',
          t.mustCall(() => {
            if (req.method === 'POST') {
              assert.strictEqual(bodySent, body);
            }

            res.writeHead(200, { 'Content-Type': 'text/plain' });
            res.write('Hello World!');
            res.end();
          }),
        );
      }),
    );

    server.keepAliveTimeout = 65 * 1000; // 65 seconds
    server.maxRequestsPerSocket = 3;

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket = t.netSocket();

        socket.on(
          'end',
          t.mustCall(() => {
            server.close();
            t.done();
          }),
        );

        socket.on(
          'ready',
          t.mustCall(() => {
            writeRequest(socket);
            writeRequest(socket);
            writeRequest(socket);
            writeRequest(socket);
          }),
        );

        let buffer = '';

        socket.on(
          'data',
          t.mustCallAtLeast((data: Buffer) => {
            buffer += data;

            const responseParts = buffer.trim().split('\r\n\r\n');

            if (responseParts.length === 8) {
              assertResponse(responseParts[0]!, responseParts[1]!);
              assertResponse(responseParts[2]!, responseParts[3]!);
              assertResponse(responseParts[4]!, responseParts[5]!, true);

              assert.match(responseParts[6]!, /HTTP\/1\.1 503 Service Unavailable/m);
              assert.match(responseParts[6]!, /Connection: close\r\n/m);
              assert.strictEqual(responseParts[6]!.search(/Keep-Alive: timeout=65\r\n/m), -1);
              assert.strictEqual(responseParts[7]!.search(/Hello World!/m), -1);

              socket.end();
            }
          }),
        );

        socket.connect({ port: portOf(server), host: HOST });
      }),
    );
    await t.end();
  }, 3000);
}
