// createSocket's onread and object-mode options, as net.Socket's: checked at creation, object modes
// refused with net's own error; what the socket receives goes to the callback, never to 'data'.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRecordingBackend } from '../src/testing/index.js';

describe('createSocket({ onread }) and the object modes', () => {
  it.each([['objectMode'], ['readableObjectMode'], ['writableObjectMode']])(
    '%s is refused with what net throws',
    (key) => {
      let expected: object | undefined;
      try {
        new net.Socket({ [key]: true } as never);
      } catch (error) {
        const e = error as Error & { code?: string };
        expected = { code: e.code, name: e.name, message: e.message };
      }
      expect(expected).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect(() => createRecordingBackend().backend.createSocket({ [key]: true } as never)).toThrow(
        expect.objectContaining(expected),
      );
    },
  );

  it.each([
    ['not an object', 5],
    ['a buffer that is neither a Uint8Array nor a function', { buffer: 5, callback() {} }],
    ['no callback', { buffer: Buffer.alloc(4) }],
  ])(
    'an onread that is %s throws ERR_INVALID_ARG_TYPE (a TypeError) before a socket exists',
    (_n, onread) => {
      const rec = createRecordingBackend();
      expect(() => rec.backend.createSocket({ onread } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }),
      );
      expect(rec.calls).not.toContain('createSocket');
    },
  );

  it('a datagram socket refuses onread with WSAEINVAL', () => {
    const rec = createRecordingBackend();
    expect(() =>
      rec.backend.createSocket({ type: 'dgram', onread: { buffer: Buffer.alloc(4), callback() {} } }),
    ).toThrow(expect.objectContaining({ code: 'WSAEINVAL' }));
  });

  it("what the backend pushes is copied into the buffer in pieces, on the socket, never as 'data'; false holds the rest until resume()", async () => {
    const buffer = Buffer.alloc(4);
    const seen: string[] = [];
    let self: unknown;
    let stopAfter = 2;
    const socket = createRecordingBackend().backend.createSocket({
      onread: {
        buffer,
        callback(this: unknown, nread, buf) {
          self = this;
          expect(buf).toBe(buffer);
          seen.push(Buffer.from(buf.subarray(0, nread)).toString());
          return --stopAfter !== 0;
        },
      },
    });
    socket.on('data', () => seen.push('data!'));
    expect(socket.push(Buffer.from('hello world'))).toBe(false);
    expect(seen).toEqual(['hell', 'o wo']);
    expect(self).toBe(socket);
    socket.push(null);
    const ended = new Promise((resolve) => socket.once('end', resolve));
    socket.resume();
    await ended;
    expect(seen).toEqual(['hell', 'o wo', 'rld']);
    socket.destroy();
  });
});
