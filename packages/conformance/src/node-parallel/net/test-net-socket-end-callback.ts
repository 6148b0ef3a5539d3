// Port of node/test/parallel/test-net-socket-end-callback.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1. Node's test ends when its event loop drains (the server is unref'd): here once the third end callback ran.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-socket-end-callback', async () => {
    const t = current();
    const net = t.net;
    const server: any = net
      .createServer((socket: any) => {
        socket.resume();
      })
      .unref();

    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const connect = (...args: any[]) => {
          const socket: any = net.createConnection(server.address().port, HOST, () => {
            socket.end(...args);
          });
        };

        let ended = 0;
        const cb = t.mustCall(() => {
          if (++ended === 3) t.done();
        }, 3);

        connect(cb);
        connect('foo', cb);
        connect('foo', 'utf8', cb);
      }),
    );
    await t.end();
  }, 3000);
}
