// Node's own test/parallel net tests (ported in @wsasec/conformance/node-parallel, assertions
// unchanged) inside Windows Node under Wine, with native-win standing in for Node's net: both ends
// are this process's native backends, every socket a Node net.Socket on a secured Winsock SOCKET
// (the fwpuclnt.dll double answers the security calls). The same ports run on the sim on Linux.
import { register } from 'node:module';
import { createNativeBackend } from '../dist/index.js';

register('./vitest-hooks.mjs', import.meta.url);
const { describeNetPorts } = await import('@wsasec/conformance/node-parallel');

describeNetPorts(
  'Node test/parallel net ports on native-win (Wine)',
  {
    create: () => ({ server: createNativeBackend(), client: createNativeBackend() }),
    serverTargetName: 'host/server.contoso.com',
  },
  {
    // Known failures of the sim (packages/conformance/src/node-parallel/net/KNOWN-FAILURES.md)
    // that native-win, whose sockets are Node's own net.Socket, passes.
    passes: {
      'test-net-socket-byteswritten':
        "net counts a write held while connecting in bytesWritten (its _pendingData); the sim's held write is left out",
      'test-net-socket-reset-send': "the server's 'error' is net's own ECONNRESET here",
      'test-net-connect-buffer':
        "native-win's held write is net's _pendingData (counted in bytesWritten); the sim leaves its held write out",
      'test-net-connect-buffer2':
        "native-win's held write is net's _pendingData (counted in bytesWritten); the sim leaves its held write out",
      'test-net-server-pause-on-connect':
        "an accepted socket of a pauseOnConnect server is made with net's pauseOnCreate and reads nothing until resumed; the sim reads its TCP socket at once",
      'test-net-stream':
        "a peer's destroy fails the unsent writes with net's error here; the sim's protected ABORT ends the socket without one",
    },
  },
);
