import { once } from 'node:events';
import type { SecureServer, SecureSocket, SecureSocketBackend, ServerOptions } from '@wsasec/core';
import { closeServer, listenServer } from '@wsasec/core';
import { createSimBackend, createSimRealm, type SimBackendOptions, type SimRealm } from '../../src/index.js';

export const QM_INTEGRITY = '11111111-1111-4111-8111-111111111111';
export const QM_ENCRYPTION = '22222222-2222-4222-8222-222222222222';
export const MM_USER = '33333333-3333-4333-8333-333333333333';
export const QM_REKEY = '44444444-4444-4444-8444-444444444444';
export const MM_MACHINE = '55555555-5555-4555-8555-555555555555';

/** A realm with a server, a client, a rogue (valid) machine, alice (Payroll) and bob. */
export function contosoRealm(): SimRealm {
  const realm = createSimRealm({ domain: 'CONTOSO', dnsDomain: 'contoso.com', passwordCost: 10 });
  realm.addGroup('Payroll');
  realm.addUser('alice', { password: 'correct horse', groups: ['Payroll'] });
  realm.addUser('bob', { password: 'battery staple' });
  realm.addMachine('server.contoso.com');
  realm.addMachine('client.contoso.com');
  realm.addMachine('rogue.contoso.com');
  realm.addPolicy({ key: QM_INTEGRITY, mode: 'quick', protection: 'integrity' });
  realm.addPolicy({ key: QM_ENCRYPTION, mode: 'quick', protection: 'encryption' });
  realm.addPolicy({ key: MM_USER, mode: 'main', authentication: ['machine', 'user'] });
  realm.addPolicy({ key: MM_MACHINE, mode: 'main', authentication: ['machine'] });
  return realm;
}

/** Tracks everything a test opens, to close it in afterEach. */
export class Harness {
  backends: SecureSocketBackend[] = [];
  servers: SecureServer[] = [];
  sockets: SecureSocket[] = [];

  backend(opts: SimBackendOptions): SecureSocketBackend {
    const b = createSimBackend(opts);
    this.backends.push(b);
    return b;
  }

  async server(
    backend: SecureSocketBackend,
    opts: ServerOptions = {},
    onConnection?: (s: SecureSocket) => void,
  ): Promise<{ server: SecureServer; port: number }> {
    const server = backend.createServer(opts, onConnection);
    this.servers.push(server);
    const { port } = await listenServer(server, { host: '127.0.0.1' });
    return { server, port };
  }

  keep<T extends SecureSocket>(s: T): T {
    this.sockets.push(s);
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(this.servers.map((s) => closeServer(s)));
    await Promise.all(this.backends.map((b) => b.close()));
    this.backends = [];
    this.servers = [];
    this.sockets = [];
  }
}

/** Echo every byte back, ending when the peer ends. */
export function echo(socket: SecureSocket): void {
  socket.on('error', () => {});
  socket.pipe(socket);
}

/** Reads a socket to its end. */
export async function readAll(socket: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of socket) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The next 'connection' of a server. */
export async function nextConnection(server: SecureServer): Promise<SecureSocket> {
  const [socket] = await once(server, 'connection');
  return socket as SecureSocket;
}
