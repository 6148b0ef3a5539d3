// Port of node/test/parallel/test-net-can-reset-timeout.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-can-reset-timeout', async () => {
    const t = current();
    const net = t.net;
    // Ref: https://github.com/nodejs/node-v0.x-archive/issues/481

    const server: any = net.createServer(
      t.mustCall((stream: any) => {
        stream.setTimeout(100);

        stream.resume();

        stream.once(
          'timeout',
          t.mustCall(() => {
            // Try to reset the timeout.
            stream.write('WHAT.');
          }),
        );

        stream.on(
          'end',
          t.mustCall(() => {
            stream.end();
          }),
        );
      }),
    );

    server.listen(
      0,
      HOST,
      t.mustCall(function (this: any) {
        const c: any = net.createConnection(this.address().port, HOST);

        c.on('data', () => {
          c.end();
        });

        c.on('end', () => {
          server.close(() => t.done());
        });
      }),
    );
    await t.end();
  }, 3000);
}
