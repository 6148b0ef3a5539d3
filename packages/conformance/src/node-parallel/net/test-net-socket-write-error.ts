// Port of node/test/parallel/test-net-socket-write-error.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1; common.expectsError({ code, type: Error }) as assert.throws' { code } with an instanceof Error check.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-write-error', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer().listen(0, HOST, connectToServer);

    function connectToServer(this: any) {
      const client: any = net
        .createConnection(
          this.address().port,
          HOST,
          t.mustCall(() => {
            assert.throws(
              () => {
                client.write(1337);
              },
              (err: any) => err instanceof Error && (err as any).code === 'ERR_INVALID_ARG_TYPE',
            );

            client.end();
          }),
        )
        .on('end', () => server.close(() => t.done()));
    }
    await t.end();
  }, 3000);
}
