// Port of node/test/parallel/test-net-server-call-listen-multiple-times.js: the backend's createServer (t.net) for net.Server; every listen() as Node's calls it (without a host: net listens on any address, the backend on 127.0.0.1; nothing connects), since net's listen with a host looks it up first and would not throw at once. The test ends once the three blocks' servers have all closed.
import assert from 'node:assert';
import { it } from 'vitest';
import type { NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-call-listen-multiple-times', async () => {
    const t = current();
    const net = t.net;
    let closed = 0;
    const onClose = () => {
      if (++closed === 4) t.done();
    };

    // First test. Check that after error event you can listen right away.
    {
      const dummyServer: any = net.Server();
      const server: any = net.Server();
      dummyServer.on('close', onClose);
      server.on('close', onClose);

      // Run some server in order to simulate EADDRINUSE error.
      dummyServer.listen(
        t.mustCall(() => {
          // Try to listen used port.
          server.listen(dummyServer.address().port);
        }),
      );

      server.on(
        'error',
        t.mustCall((e: unknown) => {
          server.listen(
            t.mustCall(() => {
              dummyServer.close();
              server.close();
            }),
          );
        }),
      );
    }

    // Second test. Check that second listen call throws an error.
    {
      const server: any = net.Server();
      server.on('close', onClose);

      server.listen(t.mustCall(() => server.close()));

      assert.throws(() => server.listen(), {
        code: 'ERR_SERVER_ALREADY_LISTEN',
        name: 'Error',
      });
    }

    // Third test.
    // Check that after the close call you can run listen method just fine.
    {
      const server: any = net.Server();

      server.listen(
        t.mustCall(() => {
          server.close();
          server.listen(
            t.mustCall(() => {
              server.once('close', onClose);
              server.close();
            }),
          );
        }),
      );
    }
    await t.end();
  }, 3000);
}
