// Port of node/test/parallel/test-http-client-agent-end-close-event.js: createSecureServer for http.createServer, SecureAgent for http.Agent.
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-agent-end-close-event', async () => {
    const t = current();
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.end('hello');
      }),
    );
    const keepAliveAgent = t.agent({ keepAlive: true });
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const req = http.get({ host: HOST, port: portOf(server), agent: keepAliveAgent });
        req
          .on(
            'response',
            t.mustCall((res: http.IncomingMessage) => {
              res
                .on(
                  'close',
                  t.mustCall(() => {
                    server.close();
                    keepAliveAgent.destroy();
                    t.done();
                  }),
                )
                .on('data', t.mustCall());
            }),
          )
          .end();
      }),
    );
    await t.end();
  }, 5000);
}
