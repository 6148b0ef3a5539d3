// Port of node/test/parallel/test-http-client-abort-no-agent.js: createSecureServer for http.createServer, and in
// `createConnection` a secured socket connected to the server (t.netConnect, for net.createConnection(options, oncreate)).
import { it } from 'vitest';
import { http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-client-abort-no-agent', async () => {
    const t = current();
    const server = t.createServer(t.mustNotCall());

    server.listen(
      0,
      '127.0.0.1',
      t.mustCall(() => {
        const req = http.get({
          createConnection(options: any, oncreate: any) {
            const socket = t.netConnect(options.port, oncreate);
            socket.once('close', () => server.close(() => t.done()));
            return socket;
          },
          port: portOf(server),
        } as http.RequestOptions);

        req.abort();
      }),
    );
    await t.end();
  }, 3000);
}
