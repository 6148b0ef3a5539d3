// Port of node/test/parallel/test-net-connect-after-destroy.js: the backend's connect (t.net) for net.createConnection; 127.0.0.1 port 80 for google.com:80 (hermetic: no DNS, and the connect is destroyed before it goes anywhere).
import { it } from 'vitest';
import { delay, HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-connect-after-destroy', async () => {
    const t = current();
    const net = t.net;
    // Connect to something that we need to DNS resolve
    const c = net.createConnection(80, HOST);
    c.destroy();
    // Node's test passes when the process exits without an uncaught error.
    await delay(100);
    t.done();
    await t.end();
  }, 3000);
}
