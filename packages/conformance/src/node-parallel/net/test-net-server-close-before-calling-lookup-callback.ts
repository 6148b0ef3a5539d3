// Port of node/test/parallel/test-net-server-close-before-calling-lookup-callback.js: the backend's createServer (t.net) for net.createServer; 127.0.0.1 for 'localhost' (net looks an IP literal up too, so the listen is asynchronous all the same). Node's test ends when the process exits; here after a settle.
import { it } from 'vitest';
import { delay, HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-close-before-calling-lookup-callback', async () => {
    const t = current();
    const net = t.net;
    // Process should exit because it does not create a real TCP server.
    // Paas localhost to ensure create TCP handle asynchronously because It causes DNS resolution.
    (net.createServer() as any).listen(0, HOST, t.mustNotCall()).close();
    await delay(100);
    t.done();
    await t.end();
  }, 3000);
}
