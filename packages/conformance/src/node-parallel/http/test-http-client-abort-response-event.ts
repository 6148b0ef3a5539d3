// Port of node/test/parallel/test-http-client-abort-response-event.js: createSecureServer for http.createServer, SecureAgent (t.agent()) for the default agent, a backend socket (t.netSocket()) for new net.Socket().
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-abort-response-event', async () => {
    const t = current();
    const agent = t.agent();
    const server = t.createServer((req, res) => {
      res.end();
    });

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const req = http.request({ host: HOST, port: portOf(server), agent }, t.mustCall());

        req.on(
          'abort',
          t.mustCall(() => {
            server.close(() => t.done());
          }),
        );

        req.end();
        req.abort();

        req.emit('response', new http.IncomingMessage(t.netSocket()));
      }),
    );
    await t.end();
  }, 3000);
}
