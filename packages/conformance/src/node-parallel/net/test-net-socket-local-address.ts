// Port of node/test/parallel/test-net-socket-local-address.js: the backend's createServer/Socket (t.net) for net.createServer/new net.Socket(), on 127.0.0.1 (common.localhostIPv4).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: the test connects one client socket twice (again after its 'close'); secured sockets are
  // single-use (the Winsock model: the settings belong to the SOCKET, closesocket frees it), so the
  // second connect is refused with WSAENOTSOCK — the same difference as test-net-bytes-stats.
  it.fails('test-net-socket-local-address', async () => {
    const t = current();
    const net = t.net;
    let conns = 0;
    const clientLocalPorts: number[] = [];
    const serverRemotePorts: number[] = [];
    const client: any = new net.Socket();
    client.on('error', (e: unknown) => t.fail(e));
    const server: any = net.createServer((socket: any) => {
      serverRemotePorts.push(socket.remotePort);
      socket.end();
    });

    server.on(
      'close',
      t.mustCall(() => {
        assert.deepStrictEqual(
          clientLocalPorts,
          serverRemotePorts,
          'client and server should agree on the ports used',
        );
        assert.strictEqual(2, conns);
        t.done();
      }),
    );

    server.listen(0, HOST, connect);

    function connect() {
      if (conns === 2) {
        server.close();
        return;
      }

      conns++;
      client.once('close', connect);
      client.connect(server.address().port, HOST, () => {
        clientLocalPorts.push(client.localPort);
      });
    }
    await t.end();
  }, 3000);
}
