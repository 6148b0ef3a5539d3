import {
  type PeerToken,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID,
  SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
  TOKEN_QUERY,
  TOKEN_READ,
} from '@wsasec/core';
import { expect } from 'vitest';
import { expectSecured, group } from './shared.js';

const SID_RE = /^S-1-\d+(-\d+)+$/;
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A well-formed open token of `kind`, whose account is `name` when the fixture names it. */
function expectToken(
  token: PeerToken | undefined,
  kind: 'application' | 'machine',
  access: number,
  name?: string,
) {
  expect(token, `a peer ${kind} token`).toBeDefined();
  const t = token as PeerToken;
  expect(t.kind).toBe(kind);
  expect(t.closed).toBe(false);
  expect(t.access).toBe(access);
  expect(t.user.sid).toMatch(SID_RE);
  expect(Array.isArray(t.groups)).toBe(true);
  for (const g of t.groups) expect(g.sid).toMatch(SID_RE);
  if (name !== undefined) expect(t.user.name?.toLowerCase()).toBe(name.toLowerCase());
  return t;
}

const { list, add } = group('query and tokens');

add('querySecurity reports the same state on every call', ['network'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  const first = expectSecured(client);
  for (let i = 0; i < 3; i++) expect(expectSecured(client)).toEqual(first);
  expect(expectSecured(accepted)).toEqual(first);
});

add('no tokens without tokenAccess', ['network', 'tokens'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  for (const socket of [client, accepted]) {
    for (const query of [undefined, {}, { tokenAccess: 0 }]) {
      using info = socket.querySecurity(query);
      expect(info.peerApplicationToken).toBeUndefined();
      expect(info.peerMachineToken).toBeUndefined();
    }
  }
});

add(
  'the server gets the client machine token (and user token when the client has a user)',
  ['network', 'tokens'],
  async (ctx) => {
    const { accepted } = await ctx.pair();
    using info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    const expected = ctx.fixture.expected ?? {};
    expectToken(info.peerMachineToken, 'machine', TOKEN_QUERY, expected.clientMachine);
    if (expected.clientUser !== undefined) {
      expectToken(info.peerApplicationToken, 'application', TOKEN_QUERY, expected.clientUser);
      expect(info.peerApplicationToken?.user.sid).not.toBe(info.peerMachineToken?.user.sid);
    }
  },
);

add('the client gets the server machine token', ['network', 'tokens'], async (ctx) => {
  const { client } = await ctx.pair();
  using info = client.querySecurity({ tokenAccess: TOKEN_READ });
  expectToken(info.peerMachineToken, 'machine', TOKEN_READ, ctx.fixture.expected?.serverMachine);
  if (info.peerApplicationToken) expectToken(info.peerApplicationToken, 'application', TOKEN_READ);
});

add('each query returns new tokens that close independently', ['network', 'tokens'], async (ctx) => {
  const { accepted } = await ctx.pair();
  const a = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
  const b = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
  expect(a.peerMachineToken).not.toBe(b.peerMachineToken);
  a.close();
  expect(a.peerMachineToken?.closed).toBe(true);
  expect(b.peerMachineToken?.closed).toBe(false);
  expect(b.peerMachineToken?.user.sid).toBe(a.peerMachineToken?.user.sid);
  b.close();
});

add('token close is idempotent and works with using', ['network', 'tokens'], async (ctx) => {
  const { accepted } = await ctx.pair();
  const info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
  const token = info.peerMachineToken as PeerToken;
  token.close();
  token.close();
  expect(token.closed).toBe(true);
  info.close();
  const second = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
  second.peerApplicationToken?.close();
  let scoped: PeerToken | undefined;
  {
    using inner = second.peerMachineToken as PeerToken;
    scoped = inner;
    expect(scoped.closed).toBe(false);
  }
  expect(scoped.closed).toBe(true);
});

add(
  'SecurityInfo.close (or using) closes both tokens and is idempotent',
  ['network', 'tokens'],
  async (ctx) => {
    const { accepted } = await ctx.pair();
    const info = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
    const tokens = [info.peerApplicationToken, info.peerMachineToken].filter((t) => t !== undefined);
    expect(tokens.length).toBeGreaterThan(0);
    info.close();
    info.close();
    for (const t of tokens) expect(t.closed).toBe(true);
    let held: PeerToken[] = [];
    {
      using scoped = accepted.querySecurity({ tokenAccess: TOKEN_QUERY });
      held = [scoped.peerApplicationToken, scoped.peerMachineToken].filter((t) => t !== undefined);
    }
    for (const t of held) expect(t.closed).toBe(true);
  },
);

add('closing every SecurityInfo leaves no token open', ['network', 'tokens'], async (ctx) => {
  const openTokens = ctx.fixture.openTokens;
  if (!openTokens) return ctx.skip('the fixture has no openTokens() counter');
  const before = openTokens();
  const { client, accepted } = await ctx.pair();
  const infos = [client, accepted, client, accepted].map((s) =>
    s.querySecurity({ tokenAccess: TOKEN_QUERY }),
  );
  expect(openTokens()).toBeGreaterThan(before);
  for (const info of infos) info.close();
  expect(openTokens()).toBe(before);
});

add('IPSEC2 fields are returned when asked for', ['network', 'ipsec2'], async (ctx) => {
  const { client, accepted } = await ctx.pair();
  for (const socket of [client, accepted]) {
    using info = socket.querySecurity({
      ipsec2: {
        fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID | SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID,
      },
    });
    expect(typeof info.mmSaId).toBe('bigint');
    expect(typeof info.qmSaId).toBe('bigint');
    expect(info.mmSaId).not.toBe(0n);
    expect(info.qmSaId).not.toBe(0n);
    expect(info.negotiationError).toBe(0);
    expect(info.saLookupContext).toMatch(GUID_RE);
  }
});

add(
  'IPSEC2 fields are absent from a default query of a default socket',
  ['network', 'ipsec2'],
  async (ctx) => {
    const { client } = await ctx.pair();
    using info = client.querySecurity();
    expect(info.mmSaId).toBeUndefined();
    expect(info.qmSaId).toBeUndefined();
    expect(info.saLookupContext).toBeUndefined();
  },
);

add('an IPSEC2 query with abortOnFieldChange is accepted', ['network', 'ipsec2'], async (ctx) => {
  const { client } = await ctx.pair();
  using info = client.querySecurity({
    tokenAccess: TOKEN_QUERY,
    ipsec2: { fieldMask: SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID, abortOnFieldChange: true },
  });
  expect(info.secured).toBe(true);
  expect(typeof info.qmSaId).toBe('bigint');
});

add(
  "querySecurityAssociations describes the SAs of the IPSEC2 query's ids on both ends",
  ['network', 'ipsec2', 'securityAssociations'],
  async (ctx) => {
    const { client, accepted } = await ctx.pair();
    for (const socket of [client, accepted]) {
      using info = socket.querySecurity({ ipsec2: {} });
      const sas = socket.querySecurityAssociations();
      expect(sas.mainMode?.id).toBe(info.mmSaId);
      expect(sas.quickMode.map((qm) => qm.id)).toContain(info.qmSaId);
      for (const qm of sas.quickMode) {
        expect(qm.mainModeId).toBe(info.mmSaId);
        expect(['esp', 'ah']).toContain(qm.protocol);
        expect(qm.remotePort).toBe(socket.remotePort);
      }
    }
  },
);

/** `querySecurity` results, peer tokens and their lifetime, IPSEC2 fields. */
export const TOKEN_CASES = list;
