// Port of node/test/parallel/test-http-keep-alive-close-on-header.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import type { Socket } from 'node:net';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive-close-on-header', async () => {
    const t = current();
    const body = 'hello world\n';
    const headers = { connection: 'keep-alive' };
    const server = t.createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': body.length, Connection: 'close' });
      res.write(body);
      res.end();
    });
    let connectCount = 0;
    const onSocket = (s: Socket) => {
      s.on('connect', () => {
        connectCount++;
      });
    };
    server.listen(0, HOST, () => {
      const port = portOf(server);
      const agent = t.agent({ maxSockets: 1 });
      const name = agent.getName({ host: HOST, port });
      let request = http.request(
        { host: HOST, method: 'GET', path: '/', headers, port, agent },
        t.mustCall((res: http.IncomingMessage) => {
          assert.equal(1, agent.sockets[name]!.length);
          res.resume();
        }),
      );
      request.on('socket', onSocket);
      request.end();
      request = http.request(
        { host: HOST, method: 'GET', path: '/', headers, port, agent },
        t.mustCall((res: http.IncomingMessage) => {
          assert.equal(1, agent.sockets[name]!.length);
          res.resume();
        }),
      );
      request.on('socket', onSocket);
      request.end();
      request = http.request(
        { host: HOST, method: 'GET', path: '/', headers, port, agent },
        t.mustCall((response: http.IncomingMessage) => {
          response.on(
            'end',
            t.mustCall(() => {
              assert.equal(1, agent.sockets[name]!.length);
              server.close(() => t.done());
            }),
          );
          response.resume();
        }),
      );
      request.on('socket', onSocket);
      request.end();
    });
    await t.end();
    // process.on('exit')
    assert.equal(3, connectCount);
  }, 5000);
}
