// Port of node/test/parallel/test-net-socket-destroy-twice.js: the backend's connect (t.net) for net.createConnection; a port that was just closed stands in for common.PORT with nothing listening.
import assert from 'node:assert';
import * as realNet from 'node:net';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  async function closedPort(): Promise<number> {
    const s = realNet.createServer();
    await new Promise<void>((resolve) => s.listen(0, HOST, resolve));
    const { port } = s.address() as realNet.AddressInfo;
    await new Promise((resolve) => s.close(resolve));
    return port;
  }

  it('test-net-socket-destroy-twice', async () => {
    const t = current();
    let nerrors = 0;
    let ncloses = 0;
    const conn = t.net.createConnection(await closedPort(), HOST);
    conn.on('error', () => {
      nerrors++;
      conn.destroy();
    });
    conn.on('close', () => {
      ncloses++;
      setTimeout(() => t.done(), 100);
    });
    await t.end();
    // process.on('exit')
    assert.equal(nerrors, 1);
    assert.equal(ncloses, 1);
  }, 3000);
}
