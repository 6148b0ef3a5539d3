// Port of node/test/parallel/test-net-server-max-connections-close-makes-more-available.js: the backend's createServer/connect (t.net) for net.createServer/net.createConnection; port 0 on 127.0.0.1 (the server's listen(0) and the port-only createConnection, which connects to 'localhost').
import assert from 'node:assert';
import { it } from 'vitest';
import { HOST, type NodeNetTest } from './support.js';

export default function register(current: () => NodeNetTest): void {
  it('test-net-server-max-connections-close-makes-more-available', async () => {
    const t = current();
    const net = t.net;
    // Sets the server's maxConnections property to 1.
    // Open 2 connections (connection 0 and connection 1).
    // Connection 0  should be accepted.
    // Connection 1 should be rejected.
    // Closes connection 0.
    // Open 2 more connections (connection 2 and 3).
    // Connection 2 should be accepted.
    // Connection 3 should be rejected.

    const connections: any[] = [];
    const received: string[] = [];
    const sent: string[] = [];

    const createConnection = (index: number) =>
      new Promise<void>((resolve) => {
        const connection: any = net.createConnection(
          server.address().port,
          HOST,
          t.guard(function (this: any) {
            const msg = `${index}`;
            this.write(msg);
            sent.push(msg);
          }),
        );

        connection.on(
          'error',
          t.guard((err: any) => {
            assert.equal(err.code, 'ECONNRESET');
            resolve();
          }),
        );

        connection.on('data', () => {
          resolve();
        });

        connection.on('end', () => {
          resolve();
        });

        connections[index] = connection;
      });

    const closeConnection = (index: number) =>
      new Promise<void>((resolve) => {
        connections[index].on('end', () => {
          resolve();
        });
        connections[index].end();
      });

    const server: any = net.createServer((socket: any) => {
      socket.on('data', (data: Buffer) => {
        received.push(`${data}`);
        socket.write('acknowledged');
      });
    });

    server.maxConnections = 1;

    server.listen(0, HOST, () => {
      createConnection(0)
        .then(createConnection.bind(null, 1))
        .then(closeConnection.bind(null, 0))
        .then(createConnection.bind(null, 2))
        .then(createConnection.bind(null, 3))
        .then(server.close.bind(server))
        .then(closeConnection.bind(null, 2))
        .then(
          () => t.done(),
          // process.on('unhandledRejection'): common.fail('A promise in the chain rejected')
          () => t.fail(new Error('A promise in the chain rejected')),
        );
    });
    await t.end();
    // process.on('exit')
    // Confirm that all connections tried to send data...
    assert.deepStrictEqual(sent, ['0', '1', '2', '3']);
    // ...but that only connections 0 and 2 were successful.
    assert.deepStrictEqual(received, ['0', '2']);
  }, 3000);
}
