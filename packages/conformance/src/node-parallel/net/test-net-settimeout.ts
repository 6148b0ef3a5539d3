// Port of node/test/parallel/test-net-settimeout.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection; port 0 on 127.0.0.1 for common.PORT and 'localhost'.
import assert from 'node:assert';
import * as realNet from 'node:net';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-settimeout', async () => {
    const t = current();
    const net = t.net;
    const T = 100;

    const server: any = net.createServer((c: any) => {
      c.write('hello');
    });
    server.listen(0, HOST, () => {
      const socket: any = net.createConnection(server.address().port, HOST);

      const s = socket.setTimeout(T, t.mustNotCall('Socket timeout event is not expected to fire'));
      assert.ok(s instanceof realNet.Socket);

      socket.setTimeout(0);

      setTimeout(() => {
        socket.destroy();
        server.close(() => t.done());
      }, T * 2);
    });
    await t.end();
  }, 3000);
}
