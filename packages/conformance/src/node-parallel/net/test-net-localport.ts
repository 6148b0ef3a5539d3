// Port of node/test/parallel/test-net-localport.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, on 127.0.0.1. common.PORT (the client's local port) is the port of a server that listened on 127.0.0.1 and was closed.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-localport', async () => {
    const t = current();
    const net = t.net;
    const free: any = net.createServer();
    free.listen(0, HOST, () => {
      const PORT = free.address().port;
      free.close(() => {
        const server: any = net
          .createServer(
            t.mustCall((socket: any) => {
              assert.strictEqual(socket.remotePort, PORT);
              socket.end();
              socket.on('close', () => {
                server.close(() => t.done());
              });
            }),
          )
          .listen(0, HOST)
          .on('listening', function (this: any) {
            const client: any = net
              .connect({
                host: '127.0.0.1',
                port: this.address().port,
                localPort: PORT,
              })
              .on(
                'connect',
                t.mustCall(() => {
                  assert.strictEqual(client.localPort, PORT);
                }),
              );
          });
      });
    });
    await t.end();
  }, 3000);
}
