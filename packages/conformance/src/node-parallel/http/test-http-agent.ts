// Port of node/test/parallel/test-http-agent.js: createSecureServer for http.Server, one SecureAgent
// (keepAlive false, as Node's global agent) for the global agent that http.get uses; the second
// half replaces the agent's createConnection, as Node's replaces http.Agent.prototype's (there on
// the prototype of the global agent, here on the agent's own).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent', async () => {
    const t = current();
    const N = 4;
    const M = 4;
    const agent = t.agent();
    const server = t.createServer(
      t.mustCall((_req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200);
        res.end('hello world\n');
      }, N * M), // N * M = good requests (the errors will not be counted)
    );

    function makeRequests(outCount: number, inCount: number, shouldFail?: boolean) {
      let responseCount = outCount * inCount;
      let onRequest: (res: http.IncomingMessage) => void = t.mustNotCall(); // Temporary
      const p = new Promise<void>((resolve) => {
        onRequest = t.mustCall((res: http.IncomingMessage) => {
          if (--responseCount === 0) {
            server.close();
            resolve();
          }
          if (!shouldFail) res.resume();
        }, outCount * inCount);
      });

      server.listen(0, HOST, () => {
        const port = portOf(server);
        for (let i = 0; i < outCount; i++) {
          setTimeout(() => {
            for (let j = 0; j < inCount; j++) {
              const req = http.get({ host: HOST, port: port, path: '/', agent }, onRequest);
              if (shouldFail) req.on('error', t.mustCall(onRequest));
              else req.on('error', (e) => assert.fail(e));
            }
          }, i);
        }
      });
      return p;
    }

    const test1 = makeRequests(N, M);

    const test2 = () => {
      // Should not explode if can not create sockets.
      // Ref: https://github.com/nodejs/node/issues/13045
      // Ref: https://github.com/nodejs/node/issues/13831
      (agent as unknown as { createConnection: unknown }).createConnection = function createConnection(
        _: unknown,
        cb: (error: Error) => void,
      ) {
        process.nextTick(cb, new Error('nothing'));
      };
      return makeRequests(N, M, true);
    };

    test1.then(test2).then(
      () => t.done(),
      (e) => t.fail(e),
    );
    await t.end();
  }, 10_000);
}
