/**
 * udp-peer-names — per-peer target names on a datagram (UDP) socket.
 *
 * Shows: one client datagram socket talking to two peers, each with its own target name
 * (`WSASetSocketPeerTargetName` with `PeerAddress`, once per peer, before the first `WSASendTo` to
 * it); the first send to a peer negotiates that peer's SA; a peer that cannot prove its name is
 * refused before a byte of the datagram leaves; `WSAQuerySocketSecurity` and
 * `WSAImpersonateSocketPeer` take the peer's address; `WSADeleteSocketPeerTargetName` when done.
 *
 * Runs anywhere: every end uses the sim, in this process, in the CONTOSO realm.
 * Run: node dist/examples/udp-peer-names.js
 */
import type { DatagramRemoteInfo, SecureDatagramSocket } from '@wsasec/core';
import { SecureSocketError, TOKEN_QUERY } from '@wsasec/core';
import { createSimBackend } from '@wsasec/sim';
import { createContosoRealm } from './contoso-realm.js';

const { realm, serverSecurity } = createContosoRealm(); // encryption + user authentication
const clientBackend = createSimBackend({ realm, machine: 'client.contoso.com', user: 'alice' });
const serverBackend = createSimBackend({ realm, machine: 'server.contoso.com' });
// A valid member of the realm, answering at an address the client believes is the server's.
const rogueBackend = createSimBackend({ realm, machine: 'rogue.contoso.com' });

const server = serverBackend.createSocket({ type: 'dgram' });
server.setSecurity(serverSecurity);
const serverAddress = await server.bind({ address: '127.0.0.1' });
server.on('message', (msg: Buffer, rinfo: DatagramRemoteInfo) => {
  const sender = { address: rinfo.address, port: rinfo.port };
  using info = server.querySecurity({ peerAddress: sender });
  const actedAs = server.impersonatePeer(() => serverBackend.currentIdentity().name, sender);
  console.log(`server ← "${msg}" from ${actedAs} (encrypted: ${info.encrypted})`);
  server
    .send(`pong to ${actedAs}`, sender)
    .catch((error: unknown) => console.error('server reply failed:', error));
});

const rogue = rogueBackend.createSocket({ type: 'dgram' });
rogue.setSecurity(serverSecurity);
const rogueAddress = await rogue.bind({ address: '127.0.0.1' });
let rogueReceived = 0;
rogue.on('message', () => rogueReceived++);

const client: SecureDatagramSocket = clientBackend.createSocket({ type: 'dgram' });
client.setSecurity(serverSecurity);
const toServer = { address: '127.0.0.1', port: serverAddress.port };
const toRogue = { address: '127.0.0.1', port: rogueAddress.port };
// One name per peer address: both addresses should be the payroll server.
client.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: toServer });
client.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: toRogue });
await client.bind({ address: '127.0.0.1' });

try {
  const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
  await client.send('ping', toServer); // negotiates the server's SA, then sends protected
  const answer = await reply;
  using info = client.querySecurity({ peerAddress: toServer, tokenAccess: TOKEN_QUERY });
  console.log(`client ← "${answer}" from ${info.peerMachineToken?.user.name} (encrypted: ${info.encrypted})`);

  try {
    await client.send('ping', toRogue);
    console.log('rogue: answered (this must not happen)');
    process.exitCode = 1;
  } catch (error) {
    if (!SecureSocketError.isInstance(error)) throw error;
    console.log(`rogue: refused before anything was sent: ${error.code}`);
  }
  console.log(`rogue received ${rogueReceived} datagrams`);

  // Done with the server: later negotiations with that address will not use the old name.
  client.deletePeerTargetName(toServer);
  const stats = client.stats();
  console.log(`client: ${stats.sent} datagrams sent, ${stats.delivered} delivered, ${stats.negotiations} SA`);
} finally {
  for (const socket of [client, server, rogue]) socket.close();
  await Promise.all([clientBackend.close(), serverBackend.close(), rogueBackend.close()]);
}
