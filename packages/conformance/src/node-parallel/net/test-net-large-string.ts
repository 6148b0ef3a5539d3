// Port of node/test/parallel/test-net-large-string.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection; port 0 on 127.0.0.1 for common.PORT (as Node's current copy does).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-large-string', async () => {
    const t = current();
    const net = t.net;
    const kPoolSize = 40 * 1024;
    const data = 'あ'.repeat(kPoolSize); // 3bytes
    let receivedSize = 0;
    const encoding = 'UTF-8';

    const server: any = net.createServer((socket: any) => {
      socket.setEncoding(encoding);
      socket.on('data', (data: string) => {
        receivedSize += data.length;
      });
      socket.on('end', () => {
        socket.end();
      });
    });

    server.listen(0, HOST, () => {
      const client: any = net.createConnection(server.address().port, HOST);
      client.on('end', () => {
        server.close(() => t.done());
      });
      client.write(data, encoding);
      client.end();
    });
    await t.end();
    // process.on('exit')
    assert.strictEqual(receivedSize, kPoolSize);
  }, 5000);
}
