// Port of node/test/parallel/test-http-keep-alive.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-keep-alive', async () => {
    const t = current();
    const body = 'hello world\n';
    const server = t.createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': body.length });
      res.write(body);
      res.end();
    });
    const agent = t.agent({ maxSockets: 1 });
    const headers = { connection: 'keep-alive' };
    let name = '';
    server.listen(0, HOST, () => {
      const port = portOf(server);
      name = agent.getName({ host: HOST, port });
      http.get(
        { host: HOST, path: '/', headers, port, agent },
        t.mustCall((response: http.IncomingMessage) => {
          assert.equal(agent.sockets[name]!.length, 1);
          assert.equal(agent.requests[name]!.length, 2);
          response.resume();
        }),
      );
      http.get(
        { host: HOST, path: '/', headers, port, agent },
        t.mustCall((response: http.IncomingMessage) => {
          assert.equal(agent.sockets[name]!.length, 1);
          assert.equal(agent.requests[name]!.length, 1);
          response.resume();
        }),
      );
      http.get(
        { host: HOST, path: '/', headers, port, agent },
        t.mustCall((response: http.IncomingMessage) => {
          response.on(
            'end',
            t.mustCall(() => {
              assert.equal(agent.sockets[name]!.length, 1);
              assert(!Object.hasOwn(agent.requests, name));
              server.close(() => t.done());
            }),
          );
          response.resume();
        }),
      );
    });
    await t.end();
    // process.on('exit')
    assert(!Object.hasOwn(agent.sockets, name));
    assert(!Object.hasOwn(agent.requests, name));
  }, 5000);
}
