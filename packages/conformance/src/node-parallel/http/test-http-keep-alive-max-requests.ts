// Port of node/test/parallel/test-http-keep-alive-max-requests.js: createSecureServer for http.createServer, the backend's createSocket (client.contoso.com, target host/server.contoso.com) for new net.Socket().
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  const bodySent = 'This is my request';

  function assertResponse(headers: string, body: string, expectClosed?: boolean) {
    if (expectClosed) {
      assert.match(headers, /Connection: close\r\n/m);
      assert.strictEqual(headers.search(/Keep-Alive: timeout=65\r\n/m), -1);
      assert.match(body, /Hello World!/m);
    } else {
      assert.match(headers, /Connection: keep-alive\r\n/m);
      assert.match(headers, /Keep-Alive: timeout=65, max=3\r\n/m);
      assert.match(body, /Hello World!/m);
    }
  }

  function writeRequest(socket: NodeJS.WritableStream, withBody?: boolean) {
    if (withBody) {
      socket.write('POST / HTTP/1.1\r\n');
      socket.write('Connection: keep-alive\r\n');
      socket.write('Content-Type: text/plain\r\n');
      socket.write('Host: localhost\r\n');
      socket.write(`Content-Length: ${bodySent.length}\r\n\r\n`);
      socket.write(`${bodySent}\r\n`);
      socket.write('\r\n\r\n');
    } else {
      socket.write('GET / HTTP/1.1\r\n');
      socket.write('Connection: keep-alive\r\n');
      socket.write('Host: localhost\r\n');
      socket.write('\r\n\r\n');
    }
  }

  it('test-http-keep-alive-max-requests', async () => {
    const t = current();
    const server = t.createServer(
      t.mustCallAtLeast((req: http.IncomingMessage, res: http.ServerResponse) => {
        let body = '';
        req.on('data', (data) => {
          body += data;
        });
        req.on(
          'end',
          t.mustCall(() => {
            if (req.method === 'POST') assert.strictEqual(bodySent, body);
            res.writeHead(200, { 'Content-Type': 'text/plain' });
            res.write('Hello World!');
            res.end();
          }),
        );
      }),
    );
    server.keepAliveTimeout = 65 * 1000;
    server.maxRequestsPerSocket = 3;

    function initialRequests(socket: NodeJS.ReadWriteStream, numberOfRequests: number, cb: () => void) {
      let buffer = '';
      writeRequest(socket);
      socket.on(
        'data',
        t.guard((data: Buffer) => {
          buffer += data;
          if (buffer.endsWith('\r\n\r\n')) {
            if (--numberOfRequests === 0) {
              socket.removeAllListeners('data');
              cb();
            } else {
              const [headers, body] = buffer.trim().split('\r\n\r\n');
              assertResponse(headers!, body!);
              buffer = '';
              writeRequest(socket, true);
            }
          }
        }),
      );
    }

    const newSocket = () => t.netSocket();

    server.maxRequestsPerSocket = 3;
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const socket = newSocket();
        const anotherSocket = newSocket();
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
            // Do 2 of 3 allowed requests and ensure they still alive
            initialRequests(
              socket,
              2,
              t.mustCall(() => {
                anotherSocket.connect({ host: HOST, port: portOf(server) });
              }),
            );
          }),
        );
        anotherSocket.on(
          'ready',
          t.mustCall(() => {
            // Another 2 requests on another socket do not affect the first socket
            initialRequests(
              anotherSocket,
              2,
              t.mustCall(() => {
                let buffer = '';
                // Send the rest of the calls to the first socket and see the connection is closed
                socket.on(
                  'data',
                  t.mustCall((data: Buffer) => {
                    buffer += data;
                    if (buffer.endsWith('\r\n\r\n')) {
                      const [headers, body] = buffer.trim().split('\r\n\r\n');
                      assertResponse(headers!, body!, true);
                      anotherSocket.end();
                      socket.end();
                    }
                  }),
                );
                writeRequest(socket, true);
              }),
            );
          }),
        );
        socket.connect({ host: HOST, port: portOf(server) });
      }),
    );
    await t.end();
  }, 3000);
}
