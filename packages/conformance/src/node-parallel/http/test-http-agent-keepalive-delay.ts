// Port of node/test/parallel/test-http-agent-keepalive-delay.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-keepalive-delay', async () => {
    const t = current();
    const agent = t.agent({ keepAlive: true, keepAliveMsecs: 1000 });
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.end('ok');
      }),
    );
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const createConnection = agent.createConnection;
        agent.createConnection = t.mustCall((options: any, ...args: any[]) => {
          assert.strictEqual(options.keepAlive, true);
          assert.strictEqual(options.keepAliveInitialDelay, (agent as any).keepAliveMsecs);
          return (createConnection as any).call(agent, options, ...args);
        });
        http.get(
          { host: HOST, port: portOf(server), agent, path: '/' },
          t.mustCall((res: http.IncomingMessage) => {
            // for emit end event
            res.on('data', () => {});
            res.on('end', () => {
              server.close();
              t.done();
            });
          }),
        );
      }),
    );
    await t.end();
  }, 5000);
}
