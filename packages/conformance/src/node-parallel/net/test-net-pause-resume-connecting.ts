// Port of node/test/parallel/test-net-pause-resume-connecting.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection; 127.0.0.1 for 'localhost'. The test ends on the server's 'close' (Node's, when its event loop drains).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-pause-resume-connecting', async () => {
    const t = current();
    const net = t.net;
    let connections = 0;
    let dataEvents = 0;
    let conn: any;

    // Server
    const server: any = net.createServer((conn: any) => {
      connections++;
      conn.end('This was the year he fell to pieces.');

      if (connections === 5) server.close();
    });
    server.on('close', () => t.done());

    server.listen(0, HOST, function (this: any) {
      // Client 1
      conn = net.createConnection(this.address().port, HOST);
      conn.resume();
      conn.on('data', onDataOk);

      // Client 2
      conn = net.createConnection(this.address().port, HOST);
      conn.pause();
      conn.resume();
      conn.on('data', onDataOk);

      // Client 3
      conn = net.createConnection(this.address().port, HOST);
      conn.pause();
      conn.on('data', t.mustNotCall());
      scheduleTearDown(conn);

      // Client 4
      conn = net.createConnection(this.address().port, HOST);
      conn.resume();
      conn.pause();
      conn.resume();
      conn.on('data', onDataOk);

      // Client 5
      conn = net.createConnection(this.address().port, HOST);
      conn.resume();
      conn.resume();
      conn.pause();
      conn.on('data', t.mustNotCall());
      scheduleTearDown(conn);

      function onDataOk() {
        dataEvents++;
      }

      function scheduleTearDown(conn: any) {
        setTimeout(
          t.guard(() => {
            conn.removeAllListeners('data');
            conn.resume();
          }),
          100,
        );
      }
    });
    await t.end();
    // Exit sanity checks (process.on('exit'))
    assert.strictEqual(connections, 5);
    assert.strictEqual(dataEvents, 3);
  }, 3000);
}
