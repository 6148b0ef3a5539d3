// Node's own test/parallel http tests (ported in @wsasec/conformance/node-parallel, assertions
// unchanged) inside Windows Node under Wine: the http-adapter's createSecureServer and SecureAgent
// over native-win stand in for Node's http (both ends are this process's native backends, every
// socket a Node net.Socket on a secured Winsock SOCKET; the fwpuclnt.dll double answers the
// security calls). The same ports run on the sim on Linux.
import { register } from 'node:module';
import { createSecureServer, SecureAgent } from '@wsasec/http-adapter';
import { createNativeBackend } from '../dist/index.js';

register('./vitest-hooks.mjs', import.meta.url);
const { describeHttpPorts } = await import('@wsasec/conformance/node-parallel');

describeHttpPorts('Node test/parallel http ports on native-win (Wine)', {
  create: () => ({ server: createNativeBackend(), client: createNativeBackend() }),
  serverTargetName: 'host/server.contoso.com',
  adapter: { createSecureServer, SecureAgent },
});
