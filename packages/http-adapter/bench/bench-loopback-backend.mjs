// A bench-only backend: plain TCP through core's defineBackend, no security at all. It measures what
// the adapter itself costs (createSecureServer + SecureAgent over core's guard) apart from any
// backend's cryptography. Never use it outside this benchmark.
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import {
  createSecurityInfo,
  defineBackend,
  SOCKET_INFO_CONNECTION_SECURED,
  toSecureSocketError,
} from '@wsasec/core';

/** A pass-through Duplex with the net.Socket surface http uses: what any stream-based backend pays. */
class PassThroughSocket extends Duplex {
  constructor(tcp) {
    super({ allowHalfOpen: false });
    this.tcp = tcp;
    tcp.on('data', (chunk) => {
      if (!this.push(chunk)) tcp.pause();
    });
    tcp.on('end', () => this.push(null));
    // As every backend's socket: a TCP failure destroys it with a SecureSocketError.
    tcp.on('error', (error) =>
      this.destroy(toSecureSocketError(error, tcp.remotePort === undefined ? 'WSAConnect' : 'recv')),
    );
    tcp.on('close', () => this.destroy());
  }
  _read() {
    this.tcp.resume();
  }
  _write(chunk, encoding, cb) {
    this.tcp.write(chunk, encoding, cb);
  }
  _writev(chunks, cb) {
    this.tcp.cork();
    for (const { chunk } of chunks) this.tcp.write(chunk);
    this.tcp.uncork();
    cb();
  }
  _final(cb) {
    this.tcp.end(cb);
  }
  _destroy(error, cb) {
    this.tcp.destroy();
    cb(error);
  }
  setTimeout(ms, cb) {
    this.tcp.setTimeout(ms, cb);
    return this;
  }
  setNoDelay(v) {
    this.tcp.setNoDelay(v);
    return this;
  }
  setKeepAlive(v, d) {
    this.tcp.setKeepAlive(v, d);
    return this;
  }
  ref() {
    this.tcp.ref();
    return this;
  }
  unref() {
    this.tcp.unref();
    return this;
  }
  address() {
    return this.tcp.address();
  }
  destroySoon() {
    this.end();
  }
  get remoteAddress() {
    return this.tcp.remoteAddress;
  }
  get remotePort() {
    return this.tcp.remotePort;
  }
  get localAddress() {
    return this.tcp.localAddress;
  }
  get localPort() {
    return this.tcp.localPort;
  }
  get bytesRead() {
    return this.tcp.bytesRead;
  }
  get bytesWritten() {
    return this.tcp.bytesWritten;
  }
}

function driverFor(tcp, duplex) {
  const stream = duplex ? new PassThroughSocket(tcp) : tcp;
  return {
    stream,
    setSecurity() {},
    setPeerTargetName() {},
    deletePeerTargetName() {},
    connect(address, target) {
      return new Promise((resolve, reject) => {
        // As every backend: while connecting, net's own 'connect'/'ready' belong to core, which
        // emits them once the driver's connect resolved (a listener of net's would run first and
        // find the socket still connecting); a TCP failure is the connect's rejection, and the
        // socket's one 'error'.
        const emit = tcp.emit;
        const restore = () => {
          if (tcp.emit === quiet) tcp.emit = emit;
        };
        const quiet = function quietEmit(event, ...args) {
          if (event === 'connect') {
            resolve();
            return true;
          }
          if (event === 'ready') {
            restore();
            return true;
          }
          if (event === 'error') {
            // net destroys the socket with its error, so core will not report it again: let it
            // through as the SecureSocketError every backend's connect fails with.
            restore();
            const error = toSecureSocketError(args[0], 'WSAConnect');
            reject(error);
            return emit.call(this, 'error', error);
          }
          return emit.call(this, event, ...args);
        };
        if (stream === tcp) tcp.emit = quiet;
        else {
          // The pass-through socket reports the error itself.
          tcp.once('connect', () => resolve());
          tcp.once('error', (error) => reject(toSecureSocketError(error, 'WSAConnect')));
        }
        net.Socket.prototype.connect.call(tcp, { host: address.address, port: target.port });
      });
    },
    querySecurity: () => createSecurityInfo({ protocol: 0, flags: SOCKET_INFO_CONNECTION_SECURED }),
    impersonatePeer: (fn) => fn(),
  };
}

/** `duplex: true` hands out a pass-through Duplex instead of the net.Socket itself. */
export function createBenchLoopbackBackend({ duplex = false } = {}) {
  const servers = new Set();
  return defineBackend({
    name: 'bench-loopback',
    createSocket: () => driverFor(new net.Socket(), duplex),
    createServer(_opts, events) {
      const server = net.createServer((socket) => events.connection(driverFor(socket, duplex)));
      servers.add(server);
      return {
        listen: (host, port) =>
          new Promise((resolve, reject) => {
            // A failed bind rejects the listen (core reports it as the server's 'error').
            server.once('error', reject);
            server.listen(port, host, () => {
              server.off('error', reject);
              server.on('error', events.error);
              const a = server.address();
              resolve({ address: a.address, port: a.port, family: a.family === 'IPv6' ? 'ipv6' : 'ipv4' });
            });
          }),
        // Stops accepting; the connections accepted stay open (core waits for them).
        close: async () => {
          server.close();
          servers.delete(server);
        },
      };
    },
    currentIdentity: () => ({ sid: 'S-1-5-18' }),
    revertImpersonation() {},
    accessCheck: () => ({ granted: false, grantedAccess: 0 }),
    async close() {
      for (const server of servers) server.close();
    },
  });
}
