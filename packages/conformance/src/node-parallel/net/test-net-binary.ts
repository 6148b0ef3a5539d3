// Port of node/test/parallel/test-net-binary.js: the backend's createServer/connect (t.net) for net.Server/net.createConnection, on 127.0.0.1. The octal escapes are evaluated in sloppy mode, as in Node's (non-strict) test: an indirect eval, since a module is strict.
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-binary', async () => {
    const t = current();
    const net = t.net;
    // biome-ignore lint/security/noGlobalEval: Node's test evaluates octal escapes, allowed in sloppy mode only.
    const sloppyEval = globalThis.eval;
    let binaryString = '';
    for (let i = 255; i >= 0; i--) {
      const s = `'\\${i.toString(8)}'`;
      const S = sloppyEval(s);
      assert.strictEqual(S.charCodeAt(0), i);
      assert.strictEqual(S, String.fromCharCode(i));
      binaryString += S;
    }

    // safe constructor
    const echoServer: any = net.Server((connection: any) => {
      connection.setEncoding('latin1');
      connection.on('data', (chunk: string) => {
        connection.write(chunk, 'latin1');
      });
      connection.on('end', () => {
        connection.end();
      });
    });
    echoServer.listen(0, HOST);

    let recv = '';

    echoServer.on('listening', function (this: any) {
      let j = 0;
      const c: any = net.createConnection({
        port: this.address().port,
        host: HOST,
      });

      c.setEncoding('latin1');
      c.on('data', (chunk: string) => {
        const n = j + chunk.length;
        while (j < n && j < 256) {
          c.write(String.fromCharCode(j), 'latin1');
          j++;
        }
        if (j === 256) {
          c.end();
        }
        recv += chunk;
      });

      c.on('connect', () => {
        c.write(binaryString, 'binary');
      });

      c.on('close', () => {
        echoServer.close(() => t.done());
      });
    });
    await t.end();
    // process.on('exit')
    assert.strictEqual(recv.length, 2 * 256);

    const a = recv.split('');

    const first = a.slice(0, 256).reverse().join('');

    const second = a.slice(256, 2 * 256).join('');

    assert.strictEqual(first, second);
  }, 3000);
}
