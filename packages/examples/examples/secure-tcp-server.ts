/**
 * secure-tcp-server — the flow of Microsoft's `stcpserver` sample (Windows-classic-samples,
 * netds/winsock/securesocket), on wsasec.
 *
 * Shows: WSASetSocketSecurity on the listening socket (basic settings — default protocol,
 * guaranteed encryption — or, with --adv, IPsec settings naming a custom quick-mode policy key, which
 * --create-policy adds first as the advanced sample does: see sample-policy.ts),
 * then for each client: WSAQuerySocketSecurity with the IPSEC2 fields and the peer tokens, the
 * sample's MatchIPsecSAsForConnectedSocket (the main-mode and quick-mode SAs of those ids:
 * socket.querySecurityAssociations()), receive "12345678",
 * WSAImpersonateSocketPeer … WSARevertImpersonation around the work done as the client, and the reply.
 *
 * The backend comes from the environment (`loadBackend()`): native-win on Windows, or the sim with
 *   WSASEC_BACKEND=sim WSASEC_SIM_REALM=contoso.json WSASEC_SIM_MACHINE=server.contoso.com
 * Run: node dist/examples/secure-tcp-server.js [--adv [--qm-policy GUID] [--mm-policy GUID] [--create-policy]] [--v6] [--port 27015] [--once]
 */

import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  closeServer,
  listenServer,
  loadBackend,
  type SecureSocket,
  SecureSocketError,
  TOKEN_QUERY,
} from '@wsasec/core';
import {
  ADVANCED_OPTIONS,
  addSamplePolicies,
  printSecurityAssociations,
  sampleSettings,
} from './sample-policy.js';

const REQUEST_LENGTH = 8; // the sample sends "12345678"

const { values } = parseArgs({
  options: {
    ...ADVANCED_OPTIONS,
    v6: { type: 'boolean', default: false },
    port: { type: 'string', default: '27015' },
    once: { type: 'boolean', default: false },
  },
});

// The sample's basic or (--adv) advanced settings: see sample-policy.ts.
const security = sampleSettings(values);

/** Like recv(…, MSG_WAITALL): resolves with exactly `length` bytes, or rejects if the peer leaves first. */
function receive(socket: Duplex, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < length) return;
      cleanup();
      if (buffered.length > length) socket.unshift(buffered.subarray(length));
      resolve(buffered.subarray(0, length));
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`the client closed after ${buffered.length} of ${length} bytes`));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
  });
}

async function serveClient(socket: SecureSocket, backend: Awaited<ReturnType<typeof loadBackend>>) {
  // The IPSEC2 query: the SA ids and the peer tokens.
  {
    using info = socket.querySecurity({ tokenAccess: TOKEN_QUERY, ipsec2: {} });
    console.log(`client ${socket.remoteAddress} port ${socket.remotePort}`);
    console.log(`  secured ${info.secured}, encrypted ${info.encrypted}, protocol ${info.protocol}`);
    console.log(`  main mode SA ${info.mmSaId}, quick mode SA ${info.qmSaId}`);
    console.log(
      `  peer machine ${info.peerMachineToken?.user.name ?? '(none)'} (${info.peerMachineToken?.user.sid})`,
    );
    console.log(`  peer user ${info.peerApplicationToken?.user.name ?? '(machine only)'}`);
  } // `using` closed both peer tokens here (CloseHandle).
  printSecurityAssociations(socket); // the main-mode SA, then the quick-mode SA

  const data = await receive(socket, REQUEST_LENGTH);

  // WSAImpersonateSocketPeer … WSARevertImpersonation: the work here runs as the client. It must be
  // synchronous; the revert always happens, even if it throws.
  const actingAs = socket.impersonatePeer(() => backend.currentIdentity());
  console.log(
    `  received "${data.toString('latin1')}"; while impersonating, acted as ${actingAs.name ?? actingAs.sid}`,
  );

  socket.end(data); // the reply: the same bytes back
}

async function main() {
  // The importer resolves the backend package from this program: @wsasec/core does not depend on
  // the backends, so under pnpm's strict layout its own import() could not find them.
  const backend = await loadBackend({ importer: (specifier) => import(specifier) });
  try {
    addSamplePolicies(backend, values); // FwpmProviderContextAdd0, with --adv --create-policy
  } catch (error) {
    await backend.close();
    throw error;
  }
  const server = backend.createServer({ security, family: values.v6 ? 'ipv6' : 'ipv4' });
  server.on('negotiationError', (error: SecureSocketError) => {
    console.log(`refused a client: ${error.code} (negotiationError ${error.negotiationError ?? '-'})`);
  });
  server.on('connection', (socket: SecureSocket) => {
    serveClient(socket, backend)
      .catch((error: Error) => {
        console.log(`client failed: ${(error as { code?: string }).code ?? ''} ${error.message}`);
        socket.destroy();
      })
      .finally(() => {
        if (values.once) closeServer(server).then(() => backend.close());
      });
  });
  const bound = await listenServer(server, {
    host: values.v6 ? '::1' : '127.0.0.1',
    port: Number(values.port),
  });
  console.log(
    `listening on ${bound.address} port ${bound.port} with the ${backend.name} backend (${values.adv ? 'advanced' : 'basic'} settings)`,
  );
}

main().catch((error: unknown) => {
  if (!SecureSocketError.isInstance(error)) throw error;
  console.error(`error: ${error.code}: ${error.message}`);
  process.exitCode = 1;
});
