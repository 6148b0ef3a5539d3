// Port of node/test/parallel/test-net-server-listen-options-signal.js: the backend's createServer (t.net) for net.createServer; the servers listen on 127.0.0.1 (Node's on any address).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-listen-options-signal', async () => {
    const t = current();
    const net = t.net;
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) t.done();
    };

    {
      // Test bad signal.
      const server: any = net.createServer();
      assert.throws(() => server.listen({ port: 0, host: HOST, signal: 'INVALID_SIGNAL' }), {
        code: 'ERR_INVALID_ARG_TYPE',
        name: 'TypeError',
      });
    }

    {
      // Test close.
      const server: any = net.createServer();
      const controller = new AbortController();
      server.on('close', t.mustCall(onClose));
      server.listen({ port: 0, host: HOST, signal: controller.signal });
      controller.abort();
    }

    {
      // Test close with pre-aborted signal.
      const server: any = net.createServer();
      const signal = AbortSignal.abort();
      server.on('close', t.mustCall(onClose));
      server.listen({ port: 0, host: HOST, signal });
    }
    await t.end();
  }, 3000);
}
