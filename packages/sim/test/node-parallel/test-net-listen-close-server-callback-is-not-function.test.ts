// Port of node/test/parallel/test-net-listen-close-server-callback-is-not-function.js: the sim backend's createServer (t.net) for net.createServer; common.fail as t.mustNotCall().
import { it } from 'vitest';
import { useNodeTest } from './support.js';

const current = useNodeTest();

// known: server.close('bad argument') throws on the sim: core's close(cb) rejects a callback that is not a
// function (SecureSocketError ERR_WSASEC_INVALID_ARGUMENT 'close: the callback must be a function'); net's
// close() ignores it (it only registers cb when typeof cb === 'function') and closes, emitting 'close'.
it.fails('test-net-listen-close-server-callback-is-not-function', async () => {
  const t = current();
  const net = t.net;
  const server: any = net.createServer(t.mustNotCall());

  server.on(
    'close',
    t.mustCall(() => {
      t.done();
    }),
  );

  server.listen(0, t.mustNotCall());

  server.close('bad argument');
  await t.end();
}, 3000);
