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
      'test-net-socket-reset-send': "the server's 'error' is net's own ECONNRESET here",
      'test-net-connect-reset-after-destroy': "the server socket's 'error' is net's own ECONNRESET here",
      'test-net-connect-reset-until-connected': "the server socket's 'error' is net's own ECONNRESET here",
    },
    skip: {
      // A native-win socket holds its (unopened) TCP handle from createSocket on: the WSASocketW
      // SOCKET is made then, and handed to that handle at connect (KNOWN-FAILURES.md).
      'test-net-timeout-no-handle': "an unconnected native-win socket's _handle is its TCP handle, not null",
    },
  },
);
