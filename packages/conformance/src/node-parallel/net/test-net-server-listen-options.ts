// Port of node/test/parallel/test-net-server-listen-options.js: the backend's createServer (t.net) for net.createServer. The argument forms without a host are the test's point, so those servers listen on net's default address (closed at once; nothing connects); common.PIPE is never reached (the bad port throws first).
import assert from 'node:assert';
import { it } from 'vitest';
import { delay, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: core backend/define.ts parseListenArgs: { port: -1, path } throws WSAEOPNOTSUPP (path checked before the port) where net throws ERR_SOCKET_BAD_PORT; listen(true/false) throws ERR_SOCKET_BAD_PORT where net throws ERR_INVALID_ARG_VALUE "The argument 'options' is invalid"; { path: -1 } WSAEOPNOTSUPP; { fd } and the options without port or path give core's own messages, not net's "must have the property \"port\" or \"path\""
  it('test-net-server-listen-options', async () => {
    const t = current();
    const net = t.net;
    const PIPE = '/tmp/wsasec-node-parallel-never-used.sock';
    let listening = 0;
    function close(this: any) {
      listening++;
      this.close();
    }
    // Test listen()
    (net.createServer() as any).listen().on('listening', t.mustCall(close));
    // Test listen(cb)
    (net.createServer() as any).listen(t.mustCall(close));
    // Test listen(port)
    (net.createServer() as any).listen(0).on('listening', t.mustCall(close));
    // Test listen({port})
    (net.createServer() as any).listen({ port: 0 }).on('listening', t.mustCall(close));

    // Test listen(port, cb) and listen({ port }, cb) combinations
    const listenOnPort = [
      (port: unknown, cb: () => void) => (net.createServer() as any).listen({ port }, cb),
      (port: unknown, cb: () => void) => (net.createServer() as any).listen(port, cb),
    ];

    {
      const assertPort = () => {
        return {
          code: 'ERR_SOCKET_BAD_PORT',
          name: 'RangeError',
        };
      };

      for (const listen of listenOnPort) {
        // Arbitrary unused ports
        listen('0', t.mustCall(close));
        listen(0, t.mustCall(close));
        listen(undefined, t.mustCall(close));
        listen(null, t.mustCall(close));
        // Test invalid ports
        assert.throws(() => listen(-1, t.mustNotCall()), assertPort());
        assert.throws(() => listen(Number.NaN, t.mustNotCall()), assertPort());
        assert.throws(() => listen(123.456, t.mustNotCall()), assertPort());
        assert.throws(() => listen(65536, t.mustNotCall()), assertPort());
        assert.throws(() => listen(1 / 0, t.mustNotCall()), assertPort());
        assert.throws(() => listen(-1 / 0, t.mustNotCall()), assertPort());
      }
      // In listen(options, cb), port takes precedence over path
      assert.throws(() => {
        (net.createServer() as any).listen({ port: -1, path: PIPE }, t.mustNotCall());
      }, assertPort());
    }

    {
      function shouldFailToListen(options: unknown, _?: unknown) {
        const fn = () => {
          (net.createServer() as any).listen(options, t.mustNotCall());
        };

        if (
          typeof options === 'object' &&
          !('port' in (options as object) || 'path' in (options as object))
        ) {
          assert.throws(fn, {
            code: 'ERR_INVALID_ARG_VALUE',
            name: 'TypeError',
            message: /^The argument 'options' must have the property "port" or "path"\. Received .+$/,
          });
        } else {
          assert.throws(fn, {
            code: 'ERR_INVALID_ARG_VALUE',
            name: 'TypeError',
            message: /^The argument 'options' is invalid\. Received .+$/,
          });
        }
      }

      shouldFailToListen(false, { port: false });
      shouldFailToListen({ port: false });
      shouldFailToListen(true);
      shouldFailToListen({ port: true });
      // Invalid fd as listen(handle)
      shouldFailToListen({ fd: -1 });
      // Invalid path in listen(options)
      shouldFailToListen({ path: -1 });

      // Neither port or path are specified in options
      shouldFailToListen({});
      shouldFailToListen({ host: 'localhost' });
      shouldFailToListen({ host: { port: 3000 } });
      shouldFailToListen({ exclusive: true });
    }
    for (let i = 0; i < 40 && listening < 12; i++) await delay(50);
    t.done();
    await t.end();
  }, 5000);
}
