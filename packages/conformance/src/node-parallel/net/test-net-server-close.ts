// Port of node/test/parallel/test-net-server-close.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-close', async () => {
    const t = current();
    const net = t.net;
    const events: string[] = [];
    const sockets: any[] = [];
    const server = net.createServer((c: any) => {
      c.on('close', () => {
        events.push('client');
        if (events.length === 3) t.done();
      });
      sockets.push(c);
      if (sockets.length === 2) {
        server.close();
        for (const s of sockets) s.destroy();
      }
    });
    server.on('close', () => {
      events.push('server');
      if (events.length === 3) t.done();
    });
    server.listen(0, HOST, function (this: any) {
      net.createConnection(this.address().port, HOST).on('error', () => {});
      net.createConnection(this.address().port, HOST).on('error', () => {});
    });
    await t.end();
    // process.on('exit')
    assert.equal((server as any).connections ?? 0, 0);
    assert.equal(events.length, 3);
    // One server event and two client events, in an undefined order (same tick).
    assert.equal(events.join(' ').match(/server/g)!.length, 1);
    assert.equal(events.join(' ').match(/client/g)!.length, 2);
  }, 5000);
}
