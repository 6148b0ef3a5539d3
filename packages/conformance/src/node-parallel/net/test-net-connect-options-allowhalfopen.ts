// Port of node/test/parallel/test-net-connect-options-allowhalfopen.js: the backend's createServer/connect/Socket (t.net) for net.createServer/net.connect/net.createConnection/new net.Socket(), on 127.0.0.1 (as Node's test). Node's progress lines (printed on the console) are left out.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-connect-options-allowhalfopen', async () => {
    const t = current();
    const net = t.net;
    // Test allowHalfOpen
    // biome-ignore lint/correctness/noUnusedVariables: Node's test keeps this counter (written, never read)
    let clientReceivedFIN = 0;
    // biome-ignore lint/correctness/noUnusedVariables: Node's test keeps this counter (written, never read)
    let serverConnections = 0;
    let clientSentFIN = 0;
    let serverReceivedFIN = 0;
    const host = '127.0.0.1';

    function serverOnConnection(socket: any) {
      ++serverConnections;
      socket.resume();
      socket.on(
        'data',
        t.mustCall(function socketOnData(this: any, data: Buffer) {
          this.clientId = data.toString();
        }),
      );
      // 'end' on each socket must not be emitted twice
      socket.on(
        'end',
        t.mustCall(function socketOnEnd() {
          if (++serverReceivedFIN < CLIENT_VARIANTS) return;
          setTimeout(() => {
            server.close();
          }, 50);
        }, 1),
      );
      socket.end();
    }

    // These two levels of functions (and not arrows) are necessary in order to
    // bind the `index`, and the calling socket (`this`)
    function clientOnConnect(index: number) {
      return t.mustCall(function clientOnConnectInner(this: any) {
        const client = this;
        client.resume();
        client.on(
          'end',
          t.mustCall(function clientOnEnd() {
            setTimeout(
              t.guard(function closeServer() {
                // when allowHalfOpen is true, client must still be writable
                // after the server closes the connections, but not readable
                assert(!client.readable);
                assert(client.writable);
                assert(client.write(String(index)));
                client.end();
                clientSentFIN++;
              }),
              50,
            );
          }),
        );
        client.on(
          'close',
          t.mustCall(function clientOnClose() {
            clientReceivedFIN++;
          }),
        );
      });
    }

    function serverOnClose() {
      t.done();
    }

    function serverOnListen() {
      const port = server.address().port;
      const opts = { allowHalfOpen: true, host, port };
      // 6 variations === CLIENT_VARIANTS
      net.connect(opts, clientOnConnect(1));
      net.connect(opts).on('connect', clientOnConnect(2));
      net.createConnection(opts, clientOnConnect(3));
      net.createConnection(opts).on('connect', clientOnConnect(4));
      new net.Socket(opts).connect(opts, clientOnConnect(5));
      new net.Socket(opts).connect(opts).on('connect', clientOnConnect(6));
    }

    const CLIENT_VARIANTS = 6;

    // The trigger
    const server: any = net
      .createServer({ allowHalfOpen: true })
      .on('connection', t.mustCall(serverOnConnection, CLIENT_VARIANTS))
      .on('close', t.mustCall(serverOnClose))
      .listen(0, host, t.mustCall(serverOnListen));
    await t.end(200);
    void clientSentFIN;
  }, 5000);
}
