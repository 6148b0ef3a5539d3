// Port of node/test/parallel/test-net-socket-end-before-connect.js: the sim backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1.
import { it } from 'vitest';
import { HOST, useNodeTest } from './support.js';

const current = useNodeTest();

// known: end() before the connect completes: the client emits 'finish' before 'connect', then
// 'connect' and 'close' without 'end'; the server's connection closes without 'end', and
// server.close()'s callback never runs (the server still counts that connection). Node: the FIN
// is sent once connected, the server's side ends it, both close. Hang bounded at 3 s.
it.fails('test-net-socket-end-before-connect', async () => {
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
