// Port of node/test/parallel/test-net-error-twice.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1. Node's test ends when the server, unref'd at the connection's 'close', lets the process exit; here that 'close' ends it, and the process 'exit' check runs then.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-error-twice', async () => {
    const t = current();
    const net = t.net;
    const buf = Buffer.alloc(10 * 1024 * 1024, 0x62);

    const errs: unknown[] = [];
    let clientSocket: any;
    let serverSocket: any;

    function ready() {
      if (clientSocket && serverSocket) {
        clientSocket.destroy();
        serverSocket.write(buf);
      }
    }

    const srv: any = net
      .createServer(
        t.guard(function onConnection(conn: any) {
          conn.on(
            'error',
            t.guard((err: unknown) => {
              errs.push(err);
              if (errs.length > 1 && errs[0] === errs[1])
                assert(false, 'We should not be emitting the same error twice');
            }),
          );
          conn.on('close', () => {
            srv.unref();
            t.done();
          });
          serverSocket = conn;
          ready();
        }),
      )
      .listen(0, HOST, function (this: any) {
        const client: any = net.connect({ port: this.address().port, host: HOST });

        client.on('connect', () => {
          clientSocket = client;
          ready();
        });
      });
    await t.end();
    assert.equal(errs.length, 1);
  }, 5000);
}
