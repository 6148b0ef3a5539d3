// Port of node/test/parallel/test-http-client-agent.js: createSecureServer for http.Server, a SecureAgent for http.globalAgent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-agent', async () => {
    const t = current();
    const globalAgent = t.agent();
    let name = '';
    const max = 3;
    let count = 0;
    const server = t.createServer((req, res) => {
      if (req.url === '/0') {
        setTimeout(() => {
          res.writeHead(200);
          res.end('Hello, World!');
        }, 100);
      } else {
        res.writeHead(200);
        res.end('Hello, World!');
      }
    });
    server.listen(0, HOST, () => {
      name = globalAgent.getName({ host: HOST, port: portOf(server) });
      for (let i = 0; i < max; ++i) request(i);
    });
    function request(i: number) {
      const req = http.get({ host: HOST, port: portOf(server), path: `/${i}`, agent: globalAgent }, (res) => {
        const socket = req.socket!;
        socket.on(
          'close',
          t.guard(() => {
            ++count;
            if (count < max) {
              assert.equal(globalAgent.sockets[name]!.indexOf(socket), -1);
            } else {
              assert(!Object.hasOwn(globalAgent.sockets, name));
              assert(!Object.hasOwn(globalAgent.requests, name));
              server.close(() => t.done());
            }
          }),
        );
        res.resume();
      });
    }
    await t.end();
    // process.on('exit')
    assert.equal(count, max);
  }, 5000);
}
