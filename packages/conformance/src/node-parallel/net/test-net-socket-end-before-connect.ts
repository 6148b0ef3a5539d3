// Port of node/test/parallel/test-net-socket-end-before-connect.js: the sim backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import { it } from 'vitest';
import { HOST, useNodeTest } from './support.js';

const current = useNodeTest();

it('test-net-socket-end-before-connect', async () => {
  const t = current();
  const net = t.net;
  const server: any = net.createServer();

  server.listen(
    0,
    HOST,
    t.mustCall(() => {
      const socket: any = net.createConnection(server.address().port, HOST);
      socket.on(
        'close',
        t.mustCall(() => server.close(() => t.done())),
      );
      socket.end();
    }),
  );
  await t.end();
}, 3000);
