// Port of node/test/parallel/test-net-connect-options-port.js: the backend's createServer/connect/createSocket (t.net) for net.createServer/net.connect/net.createConnection/new net.Socket; '127.0.0.1' for 'localhost'. The 'hints' block is left out (our connect does no DNS of its own).
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NetLike, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  function doConnect(net: NetLike, args: unknown[], getCb: () => () => void) {
    return [
      function createConnectionWithCb() {
        return net.createConnection(...args, getCb()).resume();
      },
      function createConnectionWithoutCb() {
        return net
          .createConnection(...args)
          .on('connect', getCb())
          .resume();
      },
      function connectWithCb() {
        return net.connect(...args, getCb()).resume();
      },
      function connectWithoutCb() {
        return net
          .connect(...args)
          .on('connect', getCb())
          .resume();
      },
      function socketConnectWithCb() {
        const socket = new net.Socket();
        return (socket.connect as any)(...args, getCb()).resume();
      },
      function socketConnectWithoutCb() {
        const socket = new net.Socket();
        return (socket.connect as any)(...args)
          .on('connect', getCb())
          .resume();
      },
    ];
  }

  function syncFailToConnect(t: NodeNetTest, port: unknown, assertErr: object, optOnly?: boolean) {
    const net = t.net;
    const dont = () => t.mustNotCall();
    if (!optOnly) {
      for (const fn of doConnect(net, [port], dont))
        assert.throws(fn, assertErr, `${fn.name}(${String(port)})`);
      for (const fn of doConnect(net, [port, HOST], dont))
        assert.throws(fn, assertErr, `${fn.name}(${String(port)}, host)`);
    }
    for (const fn of doConnect(net, [{ port }], dont))
      assert.throws(fn, assertErr, `${fn.name}({port: ${String(port)}})`);
    for (const fn of doConnect(net, [{ port, host: HOST }], dont)) {
      assert.throws(fn, assertErr, `${fn.name}({port: ${String(port)}, host})`);
    }
  }

  it('wrong type of ports', () => {
    const t = current();
    const portTypeError = { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' };
    syncFailToConnect(t, true, portTypeError);
    syncFailToConnect(t, false, portTypeError);
    syncFailToConnect(t, [], portTypeError, true);
    syncFailToConnect(t, {}, portTypeError, true);
    syncFailToConnect(t, null, portTypeError);
  });

  it('out of range ports', () => {
    const t = current();
    const portRangeError = { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' };
    syncFailToConnect(t, '', portRangeError);
    syncFailToConnect(t, ' ', portRangeError);
    syncFailToConnect(t, '0x', portRangeError, true);
    syncFailToConnect(t, '-0x1', portRangeError, true);
    syncFailToConnect(t, Number.NaN, portRangeError);
    syncFailToConnect(t, Number.POSITIVE_INFINITY, portRangeError);
    syncFailToConnect(t, -1, portRangeError);
    syncFailToConnect(t, 65536, portRangeError);
  });

  // known: a connect to port 0 now fails as net's (the socket, then 'error' WSAEADDRNOTAVAIL and 'close'), but String(err) is 'SecureSocketError: …' (wsasec's error name), not net's 'Error: connect E…'
  it.fails('valid combinations of connect(port) and connect(port, host), then failures to connect', async () => {
    const t = current();
    const net = t.net;
    // 72 connections from (port, host) forms; the port-only forms are left out: without a host Node
    // connects to 'localhost', and every port here uses 127.0.0.1 only. So 3 * 2 * 6 = 36.
    const expectedConnections = 36;
    let serverConnected = 0;
    const server = net.createServer(
      t.mustCall((socket: any) => {
        socket.end('ok');
        if (++serverConnected === expectedConnections) server.close();
      }, expectedConnections),
    );
    const canConnect = (port: unknown) => {
      const noop = () => t.mustCall();
      for (const fn of doConnect(net, [port, HOST], noop)) fn();
      for (const fn of doConnect(net, [{ port, host: HOST }], noop)) fn();
    };
    server.listen(
      0,
      HOST,
      t.mustCall(() => {
        const port = (server.address() as { port: number }).port;
        canConnect(port);
        canConnect(String(port));
        canConnect(`0x${port.toString(16)}`);
      }),
    );
    // Try connecting to port 0 once the server is closed
    server.on('close', () => {
      let errors = 0;
      const onError = () =>
        t.mustCall((err: Error) => {
          assert.match(String(err), /^Error: connect E\w+.+$/);
          if (++errors === 12) t.done();
        });
      const dont = () => t.mustNotCall();
      for (const fn of doConnect(net, [{ port: 0, host: HOST }], dont)) fn().on('error', onError());
      for (const fn of doConnect(net, [0, HOST], dont)) fn().on('error', onError());
    });
    await t.end();
  }, 8000);
}
