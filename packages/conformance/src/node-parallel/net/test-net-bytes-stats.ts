// Port of node/test/parallel/test-net-bytes-stats.js: the backend's createServer/connect (t.net) for net.Server/net.createConnection.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: reconnecting a socket after 'close': secured sockets are single-use (the settings belong to the socket handle; every socket ends closed), WSAENOTSOCK
  it.fails('test-net-bytes-stats', async () => {
    const t = current();
    const net = t.net;
    let bytesRead = 0;
    let bytesWritten = 0;
    let count = 0;
    const tcp = net.Server((s: any) => {
      // trigger old mode.
      s.resume();
      s.on('end', () => {
        bytesRead += s.bytesRead;
      });
    });
    tcp.listen(0, HOST, function doTest(this: any) {
      const socket = net.createConnection(this.address().port, HOST);
      socket.on('connect', () => {
        count++;
        socket.write('foo', () => {
          socket.end('bar');
        });
      });
      socket.on('finish', () => {
        bytesWritten += socket.bytesWritten;
      });
      socket.on('close', () => {
        if (count < 2) {
          socket.connect((tcp.address() as any).port, HOST);
        } else {
          tcp.close();
          t.done();
        }
      });
      socket.on('error', () => {});
    });
    await t.end(100);
    // process.on('exit')
    assert.equal(bytesRead, 12);
    assert.equal(bytesWritten, 12);
  }, 5000);
}
