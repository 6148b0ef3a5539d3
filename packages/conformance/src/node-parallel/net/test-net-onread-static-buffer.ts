// Port of node/test/parallel/test-net-onread-static-buffer.js: the backend's createServer/connect (t.net) for net.createServer/net.connect, the connect options (onread) given to the socket factory as net.connect gives them to net.Socket; on 127.0.0.1. The six cases run at once, as in Node's test; it ends when every client has seen its 'end'. Every onread callback is mustCallAtLeast, as in Node's current test (the stored copy's mustCall fails on Node 20 and 24 themselves: 11 bytes through an 8- or 2-byte buffer take several reads).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-onread-static-buffer', async () => {
    const t = current();
    const net = t.net;
    const message = Buffer.from('hello world');
    let ended = 0;
    const onEnd = (check: () => void) =>
      t.mustCall(() => {
        check();
        if (++ended === 6) t.done();
      });

    // Test typical usage
    net
      .createServer(
        t.mustCall(function (this: any, socket: any) {
          this.close();
          socket.end(message);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          let received = 0;
          const buffers: Buffer[] = [];
          const sockBuf = Buffer.alloc(8);
          net
            .connect({
              port: this.address().port,
              host: HOST,
              onread: {
                buffer: sockBuf,
                callback: t.mustCallAtLeast((nread: number, buf: Buffer) => {
                  assert.strictEqual(buf, sockBuf);
                  received += nread;
                  buffers.push(Buffer.from(buf.slice(0, nread)));
                }),
              },
            })
            .on('data', t.mustNotCall())
            .on(
              'end',
              onEnd(() => {
                assert.strictEqual(received, message.length);
                assert.deepStrictEqual(Buffer.concat(buffers), message);
              }),
            );
        }),
      );

    // Test Uint8Array support
    net
      .createServer(
        t.mustCall(function (this: any, socket: any) {
          this.close();
          socket.end(message);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          let received = 0;
          let incoming = new Uint8Array(0);
          const sockBuf = new Uint8Array(8);
          net
            .connect({
              port: this.address().port,
              host: HOST,
              onread: {
                buffer: sockBuf,
                callback: t.mustCallAtLeast((nread: number, buf: Uint8Array) => {
                  assert.strictEqual(buf, sockBuf);
                  received += nread;
                  const newIncoming = new Uint8Array(incoming.length + nread);
                  newIncoming.set(incoming);
                  newIncoming.set(buf.slice(0, nread), incoming.length);
                  incoming = newIncoming;
                }),
              },
            })
            .on('data', t.mustNotCall())
            .on(
              'end',
              onEnd(() => {
                assert.strictEqual(received, message.length);
                assert.deepStrictEqual(incoming, new Uint8Array(message));
              }),
            );
        }),
      );

    // Test Buffer callback usage
    net
      .createServer(
        t.mustCall(function (this: any, socket: any) {
          this.close();
          socket.end(message);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          let received = 0;
          const incoming: Buffer[] = [];
          const bufPool = [Buffer.alloc(2), Buffer.alloc(2), Buffer.alloc(2)];
          let bufPoolIdx = -1;
          let bufPoolUsage = 0;
          net
            .connect({
              port: this.address().port,
              host: HOST,
              onread: {
                buffer: () => {
                  ++bufPoolUsage;
                  bufPoolIdx = (bufPoolIdx + 1) % bufPool.length;
                  return bufPool[bufPoolIdx];
                },
                callback: t.mustCallAtLeast((nread: number, buf: Buffer) => {
                  assert.strictEqual(buf, bufPool[bufPoolIdx]);
                  received += nread;
                  incoming.push(Buffer.from(buf.slice(0, nread)));
                }),
              },
            })
            .on('data', t.mustNotCall())
            .on(
              'end',
              onEnd(() => {
                assert.strictEqual(received, message.length);
                assert.deepStrictEqual(Buffer.concat(incoming), message);
                assert.strictEqual(bufPoolUsage, 7);
              }),
            );
        }),
      );

    // Test Uint8Array callback support
    net
      .createServer(
        t.mustCall(function (this: any, socket: any) {
          this.close();
          socket.end(message);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          let received = 0;
          let incoming = new Uint8Array(0);
          const bufPool = [new Uint8Array(2), new Uint8Array(2), new Uint8Array(2)];
          let bufPoolIdx = -1;
          let bufPoolUsage = 0;
          net
            .connect({
              port: this.address().port,
              host: HOST,
              onread: {
                buffer: () => {
                  ++bufPoolUsage;
                  bufPoolIdx = (bufPoolIdx + 1) % bufPool.length;
                  return bufPool[bufPoolIdx];
                },
                callback: t.mustCallAtLeast((nread: number, buf: Uint8Array) => {
                  assert.strictEqual(buf, bufPool[bufPoolIdx]);
                  received += nread;
                  const newIncoming = new Uint8Array(incoming.length + nread);
                  newIncoming.set(incoming);
                  newIncoming.set(buf.slice(0, nread), incoming.length);
                  incoming = newIncoming;
                }),
              },
            })
            .on('data', t.mustNotCall())
            .on(
              'end',
              onEnd(() => {
                assert.strictEqual(received, message.length);
                assert.deepStrictEqual(incoming, new Uint8Array(message));
                assert.strictEqual(bufPoolUsage, 7);
              }),
            );
        }),
      );

    // Test explicit socket pause
    net
      .createServer(
        t.mustCall(function (this: any, socket: any) {
          this.close();
          socket.end(message);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          let received = 0;
          const buffers: Buffer[] = [];
          const sockBuf = Buffer.alloc(8);
          let paused = false;
          net
            .connect({
              port: this.address().port,
              host: HOST,
              onread: {
                buffer: sockBuf,
                callback: t.mustCallAtLeast(function (this: any, nread: number, buf: Buffer) {
                  assert.strictEqual(paused, false);
                  assert.strictEqual(buf, sockBuf);
                  received += nread;
                  buffers.push(Buffer.from(buf.slice(0, nread)));
                  paused = true;
                  this.pause();
                  setTimeout(() => {
                    paused = false;
                    this.resume();
                  }, 100);
                }),
              },
            })
            .on('data', t.mustNotCall())
            .on(
              'end',
              onEnd(() => {
                assert.strictEqual(received, message.length);
                assert.deepStrictEqual(Buffer.concat(buffers), message);
              }),
            );
        }),
      );

    // Test implicit socket pause
    net
      .createServer(
        t.mustCall(function (this: any, socket: any) {
          this.close();
          socket.end(message);
        }),
      )
      .listen(
        0,
        HOST,
        t.mustCall(function (this: any) {
          let received = 0;
          const buffers: Buffer[] = [];
          const sockBuf = Buffer.alloc(8);
          let paused = false;
          net
            .connect({
              port: this.address().port,
              host: HOST,
              onread: {
                buffer: sockBuf,
                callback: t.mustCallAtLeast(function (this: any, nread: number, buf: Buffer) {
                  assert.strictEqual(paused, false);
                  assert.strictEqual(buf, sockBuf);
                  received += nread;
                  buffers.push(Buffer.from(buf.slice(0, nread)));
                  paused = true;
                  setTimeout(() => {
                    paused = false;
                    this.resume();
                  }, 100);
                  return false;
                }),
              },
            })
            .on('data', t.mustNotCall())
            .on(
              'end',
              onEnd(() => {
                assert.strictEqual(received, message.length);
                assert.deepStrictEqual(Buffer.concat(buffers), message);
              }),
            );
        }),
      );
    await t.end();
  }, 3000);
}
