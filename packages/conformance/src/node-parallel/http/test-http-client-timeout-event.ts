// Port of node/test/parallel/test-http-client-timeout-event.js: createSecureServer for http.createServer, SecureAgent (t.agent()) for the default agent.
import { it } from 'vitest';
import { http, type NodeHttpTest } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-timeout-event', async () => {
    const t = current();
    const agent = t.agent();
    const options: http.RequestOptions = {
      method: 'GET',
      port: undefined,
      host: '127.0.0.1',
      path: '/',
      agent,
    };

    const server = t.createServer();

    server.listen(
      0,
      options.host as string,
      t.mustCall(() => {
        options.port = (server.address() as { port: number }).port;
        const req = http.request(options);
        req.on('error', t.mustCall());
        req.on(
          'close',
          t.mustCall(() => server.close(() => t.done())),
        );

        req.setTimeout(1);
        req.on(
          'timeout',
          t.mustCall(() => {
            req.end(() => {
              setTimeout(() => {
                req.destroy();
              }, 100);
            });
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
