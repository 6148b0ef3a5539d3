// The argument errors of server.listen and backend.createServer, compared with what net itself
// throws for the same arguments: same code, name and message.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRecordingBackend } from '../src/testing/index.js';

function thrown(call: () => unknown) {
  try {
    call();
  } catch (error) {
    const e = error as Error & { code?: string };
    return { code: e.code, name: e.name, message: e.message };
  }
  return undefined;
}

describe("server.listen's argument errors are net's", () => {
  it.each([
    ['a negative port', [-1]],
    ['a port too large', [65536]],
    ['a fractional port', [80.5]],
    ['a boolean port', [true]],
    ['an object port', [{ port: {} }]],
    ['a boolean port option', [{ port: true }]],
    ['a negative port option', [{ port: -1 }]],
    ['a port option that is not a number', [{ port: 'x' }]],
    ['a blank port option', [{ port: ' ' }]],
    ['options without a port', [{ host: '127.0.0.1' }]],
    ['empty options', [{}]],
    ['a bad port beside a path (the port is checked first)', [{ port: -1, path: '/tmp/x' }]],
    ['an fd of -1 (no handle) and no port', [{ fd: -1 }]],
    ['a path that is no pipe name, and no port', [{ path: -1 }]],
    ['only other options', [{ exclusive: true }]],
  ])('%s', (_name, args) => {
    const expected = thrown(() => net.createServer().listen(...(args as [never])));
    expect(expected?.code).toMatch(/^ERR_/);
    const server = createRecordingBackend().backend.createServer();
    expect(thrown(() => server.listen(...(args as [never])))).toEqual(expected);
    expect(server.listening).toBe(false);
  });

  it('a pipe path, which net would listen on, is refused with WSAEOPNOTSUPP (IPsec secures TCP)', () => {
    const server = createRecordingBackend().backend.createServer();
    for (const args of [['/tmp/wsasec.sock'], ['-1'], [{ path: '/tmp/wsasec.sock' }]])
      expect(thrown(() => server.listen(...(args as [never])))).toMatchObject({ code: 'WSAEOPNOTSUPP' });
    expect(server.listening).toBe(false);
  });

  it("the port strings net takes are taken ('0x0', ' 0 ')", async () => {
    for (const port of ['0x0', ' 0 ', '0']) {
      const server = createRecordingBackend().backend.createServer();
      expect(server.listen(port)).toBe(server);
      server.close();
    }
  });
});

describe("backend.createServer in net.createServer's forms", () => {
  it.each([
    ['a string', 'path'],
    ['a number', 0],
    ['a boolean', true],
  ])('options that are %s throw what net throws', (_name, options) => {
    const expected = thrown(() => net.createServer(options as never));
    expect(expected?.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => createRecordingBackend().backend.createServer(options as never))).toEqual(expected);
  });

  it('(listener) and (null, listener) take the listener', () => {
    const rec = createRecordingBackend();
    const listener = () => {};
    for (const server of [rec.backend.createServer(listener), rec.backend.createServer(null, listener)])
      expect(server.listeners('connection')).toEqual([listener]);
  });
});

describe("server._connectionKey, as net.Server's", () => {
  it("is 'family:address:port' of the listen as asked for (port 0 stays 0)", async () => {
    const plain = net.createServer();
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const expected = (plain as unknown as { _connectionKey: string })._connectionKey;
    await new Promise<void>((resolve) => plain.close(() => resolve()));
    const server = createRecordingBackend().backend.createServer();
    expect((server as unknown as { _connectionKey?: string })._connectionKey).toBeUndefined();
    server.listen(0, '127.0.0.1');
    expect([(server as unknown as { _connectionKey: string })._connectionKey, expected]).toEqual([
      '4:127.0.0.1:0',
      '4:127.0.0.1:0',
    ]);
    server.close();
  });
});
