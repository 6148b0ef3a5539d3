// Port of node/test/parallel/test-http-agent-getname.js: SecureAgent for http.Agent (the assertions are Node's literal pool names).
import assert from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import { it } from 'vitest';
import type { NodeHttpTest } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-getname', () => {
    const t = current();
    const agent = t.agent();
    // Default to localhost
    assert.strictEqual(agent.getName({ port: 80, localAddress: '192.168.1.1' }), 'localhost:80:192.168.1.1');
    // empty argument
    assert.strictEqual(agent.getName(), 'localhost::');
    // empty options
    assert.strictEqual(agent.getName({}), 'localhost::');
    // pass all arguments
    assert.strictEqual(
      agent.getName({ host: '0.0.0.0', port: 80, localAddress: '192.168.1.1' }),
      '0.0.0.0:80:192.168.1.1',
    );
    // unix socket
    const socketPath = path.join(os.tmpdir(), 'foo', 'bar');
    assert.strictEqual(agent.getName({ socketPath }), `localhost:::${socketPath}`);
    for (const family of [0, null, undefined, 'bogus']) {
      assert.strictEqual(agent.getName({ family } as any), 'localhost::');
    }
    for (const family of [4, 6]) assert.strictEqual(agent.getName({ family }), `localhost:::${family}`);
  });
}
