// Port of node/test/parallel/test-net-connect-handle-econnrefused.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection, on 127.0.0.1. common.PORT ("hopefully nothing is running" there) is the port of a server that listened on 127.0.0.1 and was closed.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: the refused connect's 'error' has code 'WSAECONNREFUSED' (wsasec's Winsock code, by design; nodeCode is 'ECONNREFUSED') where net's is 'ECONNREFUSED': core errors/node-errors.ts toSecureSocketError maps the sim TCP connect's error (sim socket/connect.ts tcpConnect)
  it.fails('test-net-connect-handle-econnrefused', async () => {
    const t = current();
    const net = t.net;
    const closed: any = net.createServer();
    closed.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = closed.address().port;
        closed.close(
          t.mustCall(() => {
            const c: any = net.createConnection(port, HOST);

            c.on(
              'connect',
              t.guard(() => {
                assert.ok(false);
              }),
            );

            c.on(
              'error',
              t.mustCall((e: any) => {
                assert.equal('ECONNREFUSED', e.code);
                t.done();
              }),
            );
          }),
        );
      }),
    );
    await t.end();
  }, 3000);
}
