// Port of node/test/parallel/test-http-server-close-idle.js: createSecureServer for http.createServer, backend sockets (t.netConnect) for net.connect.
import assert from 'node:assert';
import { it } from 'vitest';
import { type http, type NodeHttpTest, platformTimeout, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-server-close-idle', async () => {
    const t = current();
    let connections = 0;
    const server = t.createServer(
      { headersTimeout: 0, keepAliveTimeout: 0, requestTimeout: platformTimeout(60000) },
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200, { Connection: 'keep-alive' });
        res.end();
      }),
    );
    server.on('connection', () => {
      connections++;
    });
    server.listen(0, () => {
      const port = portOf(server);
      let client1Closed = false;
      let client2Closed = false;
      // Create a first request but never finish it
      const client1 = t.netConnect(port);
      client1.on(
        'connect',
        t.mustCall(() => {
          // A second request finishes but leaves the connection open with HTTP keep-alive
          const client2 = t.netConnect(port);
          let response = '';
          client2.setEncoding('utf8');
          client2.on(
            'data',
            t.mustCall((chunk: string) => {
              response += chunk;
              if (response.endsWith('0\r\n\r\n')) {
                assert(response.startsWith('HTTP/1.1 200 OK\r\nConnection: keep-alive'));
                assert.strictEqual(connections, 2);
                server.close(t.mustCall());
                // Check that only the idle connection got closed
                setTimeout(
                  t.mustCall(() => {
                    assert(!client1Closed);
                    assert(client2Closed);
                    server.closeAllConnections();
                    server.close(t.mustCall(() => t.done()));
                  }),
                  platformTimeout(500),
                ).unref();
              }
            }),
          );
          client2.on(
            'close',
            t.mustCall(() => {
              client2Closed = true;
            }),
          );
          client2.write('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
        }),
      );
      client1.on(
        'close',
        t.mustCall(() => {
          client1Closed = true;
        }),
      );
      client1.on('error', () => {});
      client1.write('GET / HTTP/1.1');
    });
    await t.end();
  }, 3000);
}
