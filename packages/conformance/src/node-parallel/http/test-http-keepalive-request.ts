// Port of node/test/parallel/test-http-keepalive-request.js (test-http-keepalive-client.js is the same test): createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import type { Socket } from 'node:net';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keepalive-request', async () => {
    const t = current();
    let serverSocket: Socket | null = null;
    const server = t.createServer(
      t.guard((req: http.IncomingMessage, res: http.ServerResponse) => {
        // They should all come in on the same server socket.
        if (serverSocket) assert.equal(req.socket, serverSocket);
        else serverSocket = req.socket;
        res.end(req.url);
      }),
    );
    server.listen(0, HOST, () => {
      makeRequest(expectRequests);
    });
    const agent = t.agent({ keepAlive: true });
    let clientSocket: Socket | null = null;
    const expectRequests = 10;
    let actualRequests = 0;

    function makeRequest(n: number) {
      if (n === 0) {
        server.close();
        agent.destroy();
        t.done();
        return;
      }
      const req = http.request({ host: HOST, port: portOf(server), path: `/${n}`, agent });
      req.end();
      req.on(
        'socket',
        t.guard((sock: Socket) => {
          if (clientSocket) assert.equal(sock, clientSocket);
          else clientSocket = sock;
        }),
      );
      req.on('response', (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          data += c;
        });
        res.on(
          'end',
          t.guard(() => {
            assert.equal(data, `/${n}`);
            setTimeout(() => {
              actualRequests++;
              makeRequest(n - 1);
            }, 1);
          }),
        );
      });
    }
    await t.end();
    // process.on('exit')
    assert.equal(actualRequests, expectRequests);
  }, 5000);
}
