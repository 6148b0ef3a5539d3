// Port of node/test/parallel/test-http-client-agent-abort-close-event.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-agent-abort-close-event', async () => {
    const t = current();
    const server = t.createServer(t.mustNotCall());
    const keepAliveAgent = t.agent({ keepAlive: true });
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const req = http.get({ host: HOST, port: portOf(server), agent: keepAliveAgent });
        req
          .on('socket', t.mustNotCall())
          .on('response', t.mustNotCall())
          .on(
            'close',
            t.mustCall(() => {
              server.close();
              keepAliveAgent.destroy();
              t.done();
            }),
          )
          .abort();
      }),
    );
    await t.end(200);
  }, 5000);
}
