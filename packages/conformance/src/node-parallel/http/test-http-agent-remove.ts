// Port of node/test/parallel/test-http-agent-remove.js: createSecureServer for http.createServer, a SecureAgent for the global agent.
import { strictEqual } from 'node:assert';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-remove', async () => {
    const t = current();
    const agent = t.agent();
    const server = t.createServer(
      t.mustCall((req: http.IncomingMessage, res: http.ServerResponse) => {
        res.flushHeaders();
      }),
    );
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const req = http.get(
          { host: HOST, port: portOf(server), agent },
          t.mustCall((res: http.IncomingMessage) => {
            res.on('error', t.mustCall());
            const { socket } = req;
            socket!.emit('agentRemove');
            strictEqual((socket as unknown as { _httpMessage: unknown })._httpMessage, req);
            socket!.destroy();
            server.close();
            t.done();
          }),
        );
      }),
    );
    await t.end();
  }, 5000);
}
