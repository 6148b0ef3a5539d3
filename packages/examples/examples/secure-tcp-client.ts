/**
 * secure-tcp-client — the flow of Microsoft's `stcpclient` sample (Windows-classic-samples,
 * netds/winsock/securesocket), on wsasec: the SecureTcpConnect function of "Using Secure Socket
 * Extensions", one call per C function.
 *
 * Shows: WSASocketW, WSASetSocketSecurity (basic settings — default protocol, guaranteed
 * encryption — or, with --adv, IPsec settings naming a custom quick-mode policy key, which
 * --create-policy adds first as the advanced sample does: see sample-policy.ts),
 * WSASetSocketPeerTargetName with the SPN host/<server fqdn> (DsMakeSpn(L"host", fqdn)), WSAConnect,
 * WSAQuerySocketSecurity with the IPSEC2 fields, MatchIPsecSAsForConnectedSocket (the main-mode
 * and quick-mode SAs of those ids: socket.querySecurityAssociations()), then send "12345678" and
 * receive the reply.
 *
 * The backend comes from the environment (`loadBackend()`): native-win on Windows, or the sim with
 *   WSASEC_BACKEND=sim WSASEC_SIM_REALM=contoso.json WSASEC_SIM_MACHINE=client.contoso.com
 * Run: node dist/examples/secure-tcp-client.js [--adv [--qm-policy GUID] [--mm-policy GUID] [--create-policy]] [--v6] [--port 27015] [--address IP] <server fqdn>
 * (--address connects to that IP instead of resolving the name; the name is still what the server
 * must prove to be.)
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { loadBackend, SecureSocketError, TOKEN_QUERY } from '@wsasec/core';
import {
  ADVANCED_OPTIONS,
  addSamplePolicies,
  printSecurityAssociations,
  sampleSettings,
} from './sample-policy.js';

const REQUEST = '12345678';

const { values, positionals } = parseArgs({
  options: {
    ...ADVANCED_OPTIONS,
    v6: { type: 'boolean', default: false },
    port: { type: 'string', default: '27015' },
    address: { type: 'string' },
  },
  allowPositionals: true,
});
const fqdn = positionals[0];

// The sample's basic or (--adv) advanced settings: see sample-policy.ts.
const security = sampleSettings(values);

async function main() {
  if (!fqdn) {
    console.error(
      'usage: secure-tcp-client [--adv [--create-policy]] [--v6] [--port 27015] [--address IP] <server fqdn>',
    );
    process.exitCode = 2;
    return;
  }
  // The importer resolves the backend package from this program: @wsasec/core does not depend on
  // the backends, so under pnpm's strict layout its own import() could not find them.
  const backend = await loadBackend({ importer: (specifier) => import(specifier) });
  try {
    addSamplePolicies(backend, values); // FwpmProviderContextAdd0, with --adv --create-policy
    const socket = backend.createSocket({ family: values.v6 ? 'ipv6' : 'ipv4' }); // WSASocketW
    socket.setSecurity(security); // WSASetSocketSecurity
    socket.setPeerTargetName(`host/${fqdn}`); // WSASetSocketPeerTargetName
    // WSAConnect, in net's form: the socket at once, 'connect' once IPsec negotiated (or 'error').
    await once(
      socket.connect({
        host: values.address ?? fqdn,
        port: Number(values.port),
        signal: AbortSignal.timeout(10_000),
      }),
      'connect',
    );
    console.log(
      `connected to ${fqdn} (${socket.remoteAddress} port ${socket.remotePort}) with the ${backend.name} backend`,
    );

    {
      using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY, ipsec2: {} }); // WSAQuerySocketSecurity
      console.log(`  secured ${info.secured}, encrypted ${info.encrypted}, protocol ${info.protocol}`);
      console.log(`  main mode SA ${info.mmSaId}, quick mode SA ${info.qmSaId}`);
      console.log(`  server proved to be ${info.peerMachineToken?.user.name ?? '(unknown)'}`);
    }
    // MatchIPsecSAsForConnectedSocket: the main-mode SA, then the quick-mode SA, of this connection.
    printSecurityAssociations(socket);

    // Like recv(…, MSG_WAITALL): wait for as many bytes as were sent.
    const reply = new Promise<Buffer>((resolve, reject) => {
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length >= REQUEST.length) resolve(received.subarray(0, REQUEST.length));
      });
      socket.once('end', () => reject(new Error(`the server closed after ${received.length} bytes`)));
      socket.once('error', reject);
    });
    socket.write(REQUEST);
    const answer = await reply;
    console.log(`  sent "${REQUEST}", received "${answer.toString('latin1')}"`);
    socket.destroy();
    if (answer.toString('latin1') !== REQUEST) process.exitCode = 1;
  } finally {
    await backend.close();
  }
}

main().catch((error: unknown) => {
  if (!SecureSocketError.isInstance(error)) throw error;
  const ike = error.negotiationError !== undefined ? ` (negotiationError ${error.negotiationError})` : '';
  console.error(`error: ${error.code}: ${error.message}${ike}`);
  process.exitCode = 1;
});
