// Port of node/test/parallel/test-net-remote-address-port.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection; port 0 on 127.0.0.1 for common.PORT and 'localhost' (also for the port-only createConnection, which connects to 'localhost'); common.hasIPv6 as Node's common computes it.
import assert from 'node:assert';
import * as os from 'node:os';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // test/common's hasIPv6: some interface has an IPv6 address.
  const hasIPv6 = Object.values(os.networkInterfaces()).some((addresses) =>
    (addresses ?? []).some((a) => a.family === 'IPv6'),
  );

  it('test-net-remote-address-port', async () => {
    const t = current();
    const net = t.net;
    let conns = 0;
    let conns_closed = 0;
    let closes = 0;

    const remoteAddrCandidates = ['127.0.0.1'];
    if (hasIPv6) remoteAddrCandidates.push('::ffff:127.0.0.1');

    const remoteFamilyCandidates = ['IPv4'];
    if (hasIPv6) remoteFamilyCandidates.push('IPv6');

    // The test ends when the server and both clients have closed (Node: the process exits).
    const closed = () => {
      if (++closes === 3) t.done();
    };

    const server: any = net.createServer(
      t.guard((socket: any) => {
        conns++;
        assert.notEqual(-1, remoteAddrCandidates.indexOf(socket.remoteAddress));
        assert.notEqual(-1, remoteFamilyCandidates.indexOf(socket.remoteFamily));
        assert.ok(socket.remotePort);
        assert.notEqual(socket.remotePort, server.address().port);
        socket.on('end', () => {
          if (++conns_closed === 2) server.close(closed);
        });
        socket.on(
          'close',
          t.guard(() => {
            assert.notEqual(-1, remoteAddrCandidates.indexOf(socket.remoteAddress));
            assert.notEqual(-1, remoteFamilyCandidates.indexOf(socket.remoteFamily));
          }),
        );
        socket.resume();
      }),
    );

    server.listen(0, HOST, () => {
      const port = server.address().port;
      const client: any = net.createConnection(port, HOST);
      const client2: any = net.createConnection(port, HOST);
      client.on(
        'connect',
        t.guard(() => {
          assert.notEqual(-1, remoteAddrCandidates.indexOf(client.remoteAddress));
          assert.notEqual(-1, remoteFamilyCandidates.indexOf(client.remoteFamily));
          assert.equal(port, client.remotePort);
          client.end();
        }),
      );
      client.on(
        'close',
        t.guard(() => {
          assert.notEqual(-1, remoteAddrCandidates.indexOf(client.remoteAddress));
          assert.notEqual(-1, remoteFamilyCandidates.indexOf(client.remoteFamily));
          closed();
        }),
      );
      client2.on(
        'connect',
        t.guard(() => {
          assert.notEqual(-1, remoteAddrCandidates.indexOf(client2.remoteAddress));
          assert.notEqual(-1, remoteFamilyCandidates.indexOf(client2.remoteFamily));
          assert.equal(port, client2.remotePort);
          client2.end();
        }),
      );
      client2.on(
        'close',
        t.guard(() => {
          assert.notEqual(-1, remoteAddrCandidates.indexOf(client2.remoteAddress));
          assert.notEqual(-1, remoteFamilyCandidates.indexOf(client2.remoteFamily));
          closed();
        }),
      );
    });
    await t.end();
    // process.on('exit')
    assert.equal(2, conns);
  }, 5000);
}
