// Port of node/test/parallel/test-net-listen-close-server.js: the backend's createServer (t.net) for net.createServer.
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-listen-close-server', async () => {
    const t = current();
    const server = t.net.createServer(() => {});
    server.listen(0, HOST, t.mustNotCall('listening after close()'));
    server.on('error', t.mustNotCall('error'));
    server.close();
    setTimeout(() => t.done(), 200);
    await t.end();
  }, 5000);
}
