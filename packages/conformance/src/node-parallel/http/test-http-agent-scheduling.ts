// Port of node/test/parallel/test-http-agent-scheduling.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { describe, it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  function createServer(t: NodeHttpTest, count: number) {
    return t.createServer(
      t.mustCallAtLeast((req: http.IncomingMessage, res: http.ServerResponse) => {
        // Return the remote port number used for this connection.
        res.end(req.socket.remotePort!.toString(10));
      }, count),
    );
  }

  function makeRequest(url: string, agent: http.Agent, callback: (data: string) => void) {
    http
      .request(url, { agent }, (res) => {
        let data = '';
        res.setEncoding('ascii');
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => {
          process.nextTick(callback, data);
        });
      })
      .end();
  }

  function bulkRequest(url: string, agent: http.Agent, done: (ports: string[]) => void) {
    const ports: string[] = [];
    let count = agent.maxSockets;
    for (let i = 0; i < agent.maxSockets; i++) makeRequest(url, agent, callback);
    function callback(port: string) {
      count -= 1;
      ports.push(port);
      if (count === 0) done(ports);
    }
  }

  function run(
    t: NodeHttpTest,
    scheduling: 'fifo' | 'lifo' | undefined,
    expected: (ports: string[], i: number) => string,
  ) {
    const server = createServer(t, 8);
    server.listen(0, HOST, () => {
      const url = `http://${HOST}:${portOf(server)}`;
      const agent = t.agent({ keepAlive: true, maxSockets: 5, ...(scheduling ? { scheduling } : {}) });
      bulkRequest(
        url,
        agent,
        t.mustCall((ports: string[]) => {
          makeRequest(
            url,
            agent,
            t.mustCall((port: string) => {
              assert.strictEqual(expected(ports, 0), port);
              makeRequest(
                url,
                agent,
                t.mustCall((port: string) => {
                  assert.strictEqual(expected(ports, 1), port);
                  makeRequest(
                    url,
                    agent,
                    t.mustCall((port: string) => {
                      assert.strictEqual(expected(ports, 2), port);
                      server.close();
                      agent.destroy();
                      t.done();
                    }),
                  );
                }),
              );
            }),
          );
        }),
      );
    });
  }

  describe('test-http-agent-scheduling', () => {
    it('defaultTest', async () => {
      const t = current();
      run(t, undefined, (ports) => ports[ports.length - 1]!);
      await t.end();
    }, 5000);

    it('fifoTest', async () => {
      const t = current();
      run(t, 'fifo', (ports, i) => ports[i]!);
      await t.end();
    }, 5000);

    it('lifoTest', async () => {
      const t = current();
      run(t, 'lifo', (ports) => ports[ports.length - 1]!);
      await t.end();
    }, 5000);

    it('badSchedulingOptionTest', () => {
      const t = current();
      try {
        t.agent({ keepAlive: true, maxSockets: 5, scheduling: 'filo' as 'fifo' });
      } catch (err) {
        assert.strictEqual((err as { code?: string }).code, 'ERR_INVALID_ARG_VALUE');
        assert.strictEqual(
          (err as Error).message,
          "The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received 'filo'",
        );
      }
    });
  });
}
