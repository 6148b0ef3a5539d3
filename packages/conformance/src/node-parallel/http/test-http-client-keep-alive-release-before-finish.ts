// Port of node/test/parallel/test-http-client-keep-alive-release-before-finish.js: createSecureServer for http.createServer,
// SecureAgent (t.agent({ maxSockets: 1, keepAlive: true })) for new http.Agent(…), port 0 and 127.0.0.1 for common.PORT.
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-keep-alive-release-before-finish', async () => {
    const t = current();
    const server = t.createServer((_req, res) => {
      res.end();
    });
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const agent = t.agent({
          maxSockets: 1,
          keepAlive: true,
        });

        const post = http.request(
          {
            agent: agent,
            method: 'POST',
            host: HOST,
            port: portOf(server),
          },
          t.mustCall((res) => {
            res.resume();
          }),
        );

        /* What happens here is that the server `end`s the response before we send
         * `something`, and the client thought that this is a green light for sending
         * next GET request
         */
        post.write(Buffer.alloc(16 * 1024, 'X'));
        setTimeout(() => {
          post.end('something');
        }, 100);

        http
          .request(
            {
              agent: agent,
              method: 'GET',
              host: HOST,
              port: portOf(server),
            },
            t.mustCall((res) => {
              server.close(() => t.done());
              res.connection!.end();
            }),
          )
          .end();
      }),
    );
    await t.end();
  }, 3000);
}
