// Port of node/test/parallel/test-net-connect-abort-controller.js: the backend's createServer/connect/createSocket (t.net) for net.createServer/net.connect/new net.Socket, with the socket options (signal) given to the factory as net.connect gives them to net.Socket; 127.0.0.1 for 'localhost', and the server on 127.0.0.1.
import assert from 'node:assert';
import { listenerCount, once } from 'node:events';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  // known: postAbort passes (one 'abort' listener, as net); preAbort fails: a socket created with an
  // aborted signal is destroyed at once, so the secured socket's setSecurity / connect on it throw
  // WSAENOTSOCK (single-use, core guards/socket.ts live()), where net's connect() revives a destroyed
  // socket (_undestroy) and connects after the AbortError
  it.fails('test-net-connect-abort-controller', async () => {
    const t = current();
    const net = t.net;
    const server: any = net.createServer();
    const liveConnections = new Set<any>();

    server.listen(
      0,
      HOST,
      t.mustCall(async () => {
        const port = server.address().port;
        const host = HOST;
        const socketOptions = (signal: AbortSignal) => ({ port, host, signal });
        server.on('connection', (connection: any) => {
          liveConnections.add(connection);
          connection.on('close', () => {
            liveConnections.delete(connection);
          });
        });

        const assertAbort = t.mustCallAtLeast(async (socket: any, testName: string) => {
          try {
            await once(socket, 'close');
            assert.fail(`close ${testName} should have thrown`);
          } catch (err: any) {
            assert.strictEqual(err.name, 'AbortError');
          }
        });

        // `as never`: @types/node types listenerCount for an EventEmitter only; Node's takes an EventTarget too.
        async function postAbort() {
          const ac = new AbortController();
          const { signal } = ac;
          const socket = net.connect(socketOptions(signal));
          assert.strictEqual(listenerCount(signal as never, 'abort'), 1);
          ac.abort();
          await assertAbort(socket, 'postAbort');
        }

        async function preAbort() {
          const ac = new AbortController();
          const { signal } = ac;
          ac.abort();
          const socket = net.connect(socketOptions(signal));
          assert.strictEqual(listenerCount(signal as never, 'abort'), 0);
          await assertAbort(socket, 'preAbort');
        }

        async function tickAbort() {
          const ac = new AbortController();
          const { signal } = ac;
          setImmediate(() => ac.abort());
          const socket = net.connect(socketOptions(signal));
          assert.strictEqual(listenerCount(signal as never, 'abort'), 1);
          await assertAbort(socket, 'tickAbort');
        }

        async function testConstructor() {
          const ac = new AbortController();
          const { signal } = ac;
          ac.abort();
          const socket = new net.Socket(socketOptions(signal));
          assert.strictEqual(listenerCount(signal as never, 'abort'), 0);
          await assertAbort(socket, 'testConstructor');
        }

        async function testConstructorPost() {
          const ac = new AbortController();
          const { signal } = ac;
          const socket = new net.Socket(socketOptions(signal));
          assert.strictEqual(listenerCount(signal as never, 'abort'), 1);
          ac.abort();
          await assertAbort(socket, 'testConstructorPost');
        }

        async function testConstructorPostTick() {
          const ac = new AbortController();
          const { signal } = ac;
          const socket = new net.Socket(socketOptions(signal));
          assert.strictEqual(listenerCount(signal as never, 'abort'), 1);
          setImmediate(() => ac.abort());
          await assertAbort(socket, 'testConstructorPostTick');
        }

        await postAbort();
        await preAbort();
        await tickAbort();
        await testConstructor();
        await testConstructorPost();
        await testConstructorPostTick();

        // Killing the net.socket without connecting hangs the server.
        for (const connection of liveConnections) {
          connection.destroy();
        }
        server.close(t.mustCall(() => t.done()));
      }),
    );
    await t.end();
  }, 3000);
}
