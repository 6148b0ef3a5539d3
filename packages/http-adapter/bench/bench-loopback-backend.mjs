// A bench-only backend: plain TCP through core's defineBackend, no security at all. It measures what
// the adapter itself costs (createSecureServer + SecureAgent over core's guard) apart from any
// backend's cryptography. Never use it outside this benchmark.
import * as net from 'node:net';
import { createSecurityInfo, defineBackend, SOCKET_INFO_CONNECTION_SECURED } from '@wsasec/core';

function driverFor(stream) {
  return {
    stream,
    setSecurity() {},
    setPeerTargetName() {},
    deletePeerTargetName() {},
    connect(address, target) {
      return new Promise((resolve, reject) => {
        stream.once('error', reject);
        net.Socket.prototype.connect.call(stream, { host: address.address, port: target.port }, () => {
          stream.off('error', reject);
          resolve();
        });
      });
    },
    querySecurity: () => createSecurityInfo({ protocol: 0, flags: SOCKET_INFO_CONNECTION_SECURED }),
    impersonatePeer: (fn) => fn(),
  };
}

export function createBenchLoopbackBackend() {
  const servers = new Set();
  return defineBackend({
    name: 'bench-loopback',
    createSocket: () => driverFor(new net.Socket()),
    createServer(_opts, events) {
      const server = net.createServer((socket) => events.connection(driverFor(socket)));
      servers.add(server);
      return {
        listen: (host, port) =>
          new Promise((resolve) =>
            server.listen(port, host, () => {
              const a = server.address();
              resolve({ address: a.address, port: a.port, family: a.family === 'IPv6' ? 'ipv6' : 'ipv4' });
            }),
          ),
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
