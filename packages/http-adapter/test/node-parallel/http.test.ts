// Node's own test/parallel http tests (ported in @wsasec/conformance/node-parallel, assertions
// unchanged) with this package's createSecureServer and SecureAgent over the sim standing in for
// Node's http: server.contoso.com serves, client.contoso.com (no user) is the agent's backend, with
// the target name host/server.contoso.com. Which ports fail and why:
// packages/conformance/src/node-parallel/http/KNOWN-FAILURES.md.
// NODE_PARALLEL_CONTROL=1 runs the same ports on Node's own http and net (they must all pass there).
import { describeHttpPorts } from '@wsasec/conformance/node-parallel';
import { createSecureServer, SecureAgent } from '../../src/index.js';
import { createSimFixture, SERVER } from '../support/sim-fixture.js';

describeHttpPorts('Node test/parallel http ports on the sim', {
  create() {
    const fixture = createSimFixture();
    // The fixture's other backends (alice, bob, rogue) close with it.
    return { server: fixture.server, client: fixture.machine, close: () => fixture.close() };
  },
  serverTargetName: SERVER,
  adapter: { createSecureServer, SecureAgent },
});
