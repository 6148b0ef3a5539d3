// The conformance suite inside Windows Node under Wine, against the real koffi library with the
// fwpuclnt.dll double answering (scripted flags SECURED | ENCRYPTED, tokens that are duplicates of
// the process token). Every skipped case is listed with its reason.
import { register } from 'node:module';
import { createNativeBackend } from '../dist/index.js';

register('./vitest-hooks.mjs', import.meta.url);
const { CONFORMANCE_CASE_NEEDS, describeBackend } = await import('@wsasec/conformance');

const capabilities = {
  network: true,
  encryption: false,
  tokens: true,
  peerNameVerification: false,
  impersonation: true,
  accessCheck: true,
  ipsec2: true,
  allowInsecure: false,
  // The double answers IkeextSaGetById0 and IPsecSaContextEnum0 for the connections it saw queried.
  securityAssociations: true,
};

const REASONS = {
  encryption:
    'whether a connection ends up encrypted is decided by IKE negotiation, which the Wine double does not perform (it answers scripted flags)',
  peerNameVerification:
    "a wrong target name must make connect fail during IKE; the double cannot make Wine's connect fail on a name",
  allowInsecure:
    'the double answers scripted flags for every connection; it cannot tell that a peer applied no security (the Linux run checks these cases)',
};
// Cases that need only the network but whose outcome depends on telling a peer without security.
const PEER_WITHOUT_SECURITY = [
  'without allowInsecure, a peer without security gets no connection and no data',
  'guaranteeEncryption never falls back to clear text, even with allowInsecure',
  'a server without allowInsecure delivers nothing from a peer without security',
];

// Cases whose assertions tell the peer's account from one's own: Wine has one user.
const ONE_USER = [
  'the server gets the client machine token (and user token when the client has a user)',
  'the user token is checked by its own SID',
  'inside impersonatePeer the server acts as the client (user, else machine)',
  'nested impersonation restores the outer scope, then self',
  'a throw inside impersonatePeer reverts and rethrows the same error',
  'revertImpersonation inside the scope returns to self; outside it does nothing',
];

const skip = {};
for (const [title, needs] of Object.entries(CONFORMANCE_CASE_NEEDS)) {
  const missing = needs.find((need) => !capabilities[need]);
  if (missing) skip[title] = REASONS[missing];
}
for (const title of PEER_WITHOUT_SECURITY) skip[title] = REASONS.allowInsecure;
for (const title of ONE_USER) {
  skip[title] =
    'Wine runs everything as one user, so the peer tokens (duplicates of the process token) carry the same SID as the backend itself: acting as the peer cannot be told apart from acting as self (the Wine suite checks that a thread token is set and removed)';
}

describeBackend({
  name: 'native-win in Windows Node under Wine (fwpuclnt.dll double)',
  create() {
    const client = createNativeBackend();
    const server = createNativeBackend();
    const self = client.currentIdentity().name;
    return {
      client,
      server,
      serverTargetName: 'host/server.contoso.com',
      expected: { clientUser: self, clientMachine: self, serverMachine: self },
      close: async () => {
        await Promise.all([client.close(), server.close()]);
      },
    };
  },
  capabilities,
  skip,
});
