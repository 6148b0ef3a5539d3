// Port of node/test/parallel/test-http-agent-maxtotalsockets.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { Countdown, HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-maxtotalsockets', async () => {
    const t = current();
    assert.throws(() => t.agent({ maxTotalSockets: 'test' as unknown as number }), {
      code: 'ERR_INVALID_ARG_TYPE',
      name: 'TypeError',
      message: 'The "maxTotalSockets" argument must be of type number. ' + "Received type string ('test')",
    });
    // The stored copy is older than Node 20, whose http.Agent says ">= 1" for NaN, -1 and 0 and accepts
    // Infinity; the assertions are Node 20's (the control run checks them against http.Agent).
    for (const item of [Number.NaN, -1, 0]) {
      assert.throws(() => t.agent({ maxTotalSockets: item }), {
        code: 'ERR_OUT_OF_RANGE',
        name: 'RangeError',
        message: `The value of "maxTotalSockets" is out of range. It must be >= 1. Received ${item}`,
      });
    }

    const maxTotalSockets = 2;
    const maxSockets = 3;
    const agent = t.agent({
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxTotalSockets,
      maxSockets,
      maxFreeSockets: 3,
    });
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.end('hello world');
      }, 6),
    );
    const server2 = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.end('hello world');
      }, 6),
    );
    server.keepAliveTimeout = 0;
    server2.keepAliveTimeout = 0;

    function getTotalSocketsCount() {
      let num = 0;
      for (const key of Object.keys(agent.sockets)) num += agent.sockets[key]!.length;
      return num;
    }
    function getRequestCount() {
      let num = 0;
      for (const key of Object.keys(agent.requests)) num += agent.requests[key]!.length;
      return num;
    }
    const countdown = new Countdown(12, () => {
      assert.strictEqual(getRequestCount(), 0);
      agent.destroy();
      server.close();
      server2.close();
      t.done();
    });
    function handler(s: http.Server) {
      for (let i = 0; i < 6; i++) {
        http.get(
          { host: HOST, port: portOf(s), agent, path: `/${i}` },
          t.mustCall((res: http.IncomingMessage) => {
            assert.strictEqual(res.statusCode, 200);
            res.resume();
            res.on(
              'end',
              t.mustCall(() => {
                for (const key of Object.keys(agent.sockets))
                  assert(agent.sockets[key]!.length <= maxSockets);
                const totalSocketsCount = getTotalSocketsCount();
                assert(totalSocketsCount <= maxTotalSockets);
                countdown.dec();
              }),
            );
          }),
        );
      }
    }
    server.listen(
      0,
      HOST,
      t.mustCall(() => handler(server)),
    );
    server2.listen(
      0,
      HOST,
      t.mustCall(() => handler(server2)),
    );
    await t.end();
  }, 8000);
}
