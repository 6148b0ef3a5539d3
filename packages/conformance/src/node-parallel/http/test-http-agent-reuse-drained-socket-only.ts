// Port of node/test/parallel/test-http-agent-reuse-drained-socket-only.js: the backend's createServer for net.createServer, SecureAgent for http.Agent.
import assert from 'node:assert';
import type { Socket } from 'node:net';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-reuse-drained-socket-only', async () => {
    const t = current();
    const agent = t.agent({ keepAlive: true, maxFreeSockets: 1024 });
    const server = t.netServer({ pauseOnConnect: true }, (sock) => {
      // Do not read anything from `sock`
      sock.pause();
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: Keep-Alive\r\n\r\n');
    });
    const noop = () => {};

    function sendFstReq(serverPort: number) {
      const req = http.request({ agent, host: HOST, port: serverPort }, (res) => {
        res.on('data', noop);
        res.on(
          'end',
          t.mustCall(() => {
            setTimeout(sendSecReq, 10, serverPort, req.socket!.localPort as number);
          }),
        );
      });
      // Overwhelm the flow control window
      assert.strictEqual(req.write('a'.repeat(6_000_000)), false);
      req.end();
    }

    function sendSecReq(serverPort: number, fstReqCliPort: number) {
      // The second request goes on a new socket: the first is not drained and cannot be reused
      const req = http.request({ agent, host: HOST, port: serverPort }, (res) => {
        res.on('data', noop);
        res.on(
          'end',
          t.mustCall(() => {
            setTimeout(sendThrReq, 10, serverPort, req.socket!.localPort as number);
          }),
        );
      });
      req.on(
        'socket',
        t.mustCall((sock: Socket) => {
          assert.notStrictEqual(sock.localPort, fstReqCliPort);
        }),
      );
      req.end();
    }

    function sendThrReq(serverPort: number, secReqCliPort: number) {
      // The agent reuses the second socket
      const req = http.request({ agent, host: HOST, port: serverPort }, noop);
      req.on('error', noop);
      req.on(
        'socket',
        t.mustCall((sock: Socket) => {
          assert.strictEqual(sock.localPort, secReqCliPort);
          t.done(); // Node: process.exit(0)
        }),
      );
    }

    server.listen(
      0,
      t.mustCall(() => {
        sendFstReq((server.address() as { port: number }).port);
      }),
    );
    await t.end();
  }, 8000);
}
