// Node's own test/parallel net tests (ported in @wsasec/conformance/node-parallel, assertions
// unchanged) with the sim standing in for Node's net: server.contoso.com's backend serves,
// client.contoso.com's connects with the target name host/server.contoso.com. Which ports fail
// and why: packages/conformance/src/node-parallel/net/KNOWN-FAILURES.md.
// NODE_PARALLEL_CONTROL=1 runs the same ports on Node's own net (they must all pass there).
import { describeNetPorts } from '@wsasec/conformance/node-parallel';
import { createSimBackend } from '../../src/index.js';
import { contosoRealm } from '../support/fixture.js';

describeNetPorts('Node test/parallel net ports on the sim', {
  create() {
    const realm = contosoRealm();
    return {
      server: createSimBackend({ realm, machine: 'server.contoso.com' }),
      client: createSimBackend({ realm, machine: 'client.contoso.com' }),
    };
  },
  serverTargetName: 'host/server.contoso.com',
});
