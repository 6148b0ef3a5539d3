// Port of node/test/parallel/test-http-server-close-idle-wait-response.js: createSecureServer for http.createServer, a SecureAgent for the global agent.
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, platformTimeout, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-server-close-idle-wait-response', async () => {
    const t = current();
    const agent = t.agent({ keepAlive: true });
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        req.resume();
        setTimeout(
          t.mustCall(() => {
            res.writeHead(204, { Connection: 'keep-alive', 'Keep-Alive': 'timeout=1' });
            res.end();
          }),
          platformTimeout(1000),
        );
      }),
    );
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = portOf(server);
        http
          .get(
            `http://${HOST}:${port}`,
            { agent },
            t.mustCall(() => {
              server.close(() => t.done());
            }),
          )
          .on(
            'finish',
            t.mustCall(() => {
              setTimeout(
                t.mustCall(() => {
                  server.closeIdleConnections();
                }),
                platformTimeout(500),
              );
            }),
          );
      }),
    );
    await t.end();
  }, 5000);
}
