import {
  closeServer,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
  FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
  normalizeSecuritySettings,
  type SecuritySettings,
} from '@wsasec/core';
import { expect } from 'vitest';
import { readBytes, within } from '../run/helpers.js';
import { expectSecured, group, snapshot } from './shared.js';

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** Every shape `setSecurity` accepts, by label. */
const SETTINGS_VARIANTS: readonly (readonly [string, SecuritySettings | undefined])[] = [
  ['no settings (the default policy)', undefined],
  ['{}', {}],
  ["protocol 'default'", { protocol: 'default' }],
  ['protocol 0', { protocol: 0 }],
  ["protocol 'ipsec'", { protocol: 'ipsec' }],
  ['protocol 1', { protocol: 1 }],
  ["protocol 'ipsec2'", { protocol: 'ipsec2' }],
  ['protocol 2', { protocol: 2 }],
  ['guaranteeEncryption', { guaranteeEncryption: true }],
  ['allowInsecure', { allowInsecure: true }],
  ['guaranteeEncryption and allowInsecure', { guaranteeEncryption: true, allowInsecure: true }],
  ['both flags false', { guaranteeEncryption: false, allowInsecure: false }],
  ["ipsec {} with protocol 'ipsec'", { protocol: 'ipsec', ipsec: {} }],
  ["ipsec {} with protocol 'ipsec2'", { protocol: 'ipsec2', ipsec: {} }],
  ['ipsec.skipFilterInstantiation', { ipsec: { skipFilterInstantiation: true } }],
  ['ipsec.optionalPeerNameVerification', { ipsec: { optionalPeerNameVerification: true } }],
  ['ipsec.allowFirstInboundPacketUnencrypted', { ipsec: { allowFirstInboundPacketUnencrypted: true } }],
  ['ipsec.peerNameIsRawFormat', { ipsec: { peerNameIsRawFormat: true } }],
  ['zero policy keys', { ipsec: { mainModePolicyKey: ZERO_GUID, quickModePolicyKey: ZERO_GUID } }],
  [
    'the built-in policy keys in braces and upper case',
    {
      ipsec: {
        mainModePolicyKey: `{${FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP.toUpperCase()}}`,
        quickModePolicyKey: `{${FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC.toUpperCase()}}`,
      },
    },
  ],
  [
    'explicit credentials with a domain',
    { ipsec: { credentials: { user: 'alice', domain: 'CONTOSO', password: 'pw' } } },
  ],
  [
    'explicit credentials as DOMAIN\\user',
    { ipsec: { credentials: { user: 'CONTOSO\\alice', password: 'pw' } } },
  ],
  [
    'explicit credentials as a UPN with an empty password',
    { ipsec: { credentials: { user: 'alice@contoso.com', password: '' } } },
  ],
  [
    'every field at once',
    {
      protocol: 'ipsec2',
      guaranteeEncryption: true,
      allowInsecure: true,
      ipsec: {
        skipFilterInstantiation: true,
        optionalPeerNameVerification: true,
        allowFirstInboundPacketUnencrypted: true,
        peerNameIsRawFormat: true,
        mainModePolicyKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
        quickModePolicyKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
        credentials: { user: 'alice', domain: 'CONTOSO', password: 'pw' },
      },
    },
  ],
];

const { list, add } = group('settings');

for (const [label, settings] of SETTINGS_VARIANTS) {
  add(`setSecurity accepts ${label}`, [], (ctx) => {
    const socket = ctx.socket();
    socket.setSecurity(settings);
    expect(snapshot(socket).security).toEqual(normalizeSecuritySettings(settings));
  });
}

add('createServer and listen accept every settings variant', ['network'], async (ctx) => {
  for (const [label, settings] of SETTINGS_VARIANTS) {
    const listening = await ctx.listen(settings);
    expect(listening.server.listening, label).toBe(true);
    await within(closeServer(listening.server), `closing the server with ${label}`);
  }
});

/** Settings pairs that negotiate against the fixture, and what they must yield. */
const NEGOTIATED: readonly {
  label: string;
  client?: SecuritySettings;
  server?: SecuritySettings;
  encrypted?: true;
}[] = [
  { label: 'no settings on either end' },
  { label: 'client {}', client: {} },
  { label: "client protocol 'ipsec'", client: { protocol: 'ipsec' } },
  { label: "client protocol 'ipsec2'", client: { protocol: 'ipsec2' } },
  { label: "client ipsec {} with protocol 'ipsec2'", client: { protocol: 'ipsec2', ipsec: {} } },
  { label: 'client guaranteeEncryption', client: { guaranteeEncryption: true }, encrypted: true },
  { label: 'client allowInsecure (negotiation succeeds, so no fallback)', client: { allowInsecure: true } },
  {
    label: 'client guaranteeEncryption and allowInsecure',
    client: { guaranteeEncryption: true, allowInsecure: true },
    encrypted: true,
  },
  {
    label: 'client allowFirstInboundPacketUnencrypted',
    client: { ipsec: { allowFirstInboundPacketUnencrypted: true } },
  },
  {
    label: 'client peerNameIsRawFormat with the exact name',
    client: { ipsec: { peerNameIsRawFormat: true } },
  },
  {
    label: 'client built-in policy keys',
    client: {
      ipsec: {
        mainModePolicyKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_AUTHIP,
        quickModePolicyKey: FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC,
      },
    },
  },
  { label: 'server guaranteeEncryption', server: { guaranteeEncryption: true }, encrypted: true },
  { label: "server protocol 'ipsec2'", server: { protocol: 'ipsec2' } },
  { label: 'server allowInsecure against a secured client', server: { allowInsecure: true } },
  {
    label: 'both ends guaranteeEncryption',
    client: { guaranteeEncryption: true },
    server: { guaranteeEncryption: true },
    encrypted: true,
  },
];

for (const variant of NEGOTIATED) {
  add(
    `${variant.label}: ${variant.encrypted ? 'encrypted' : 'secured'} on both ends, data flows`,
    variant.encrypted ? ['network', 'encryption'] : ['network'],
    async (ctx) => {
      const { client, accepted } = await ctx.pair({
        ...(variant.client ? { client: variant.client } : {}),
        ...(variant.server ? { server: variant.server } : {}),
      });
      const clientView = expectSecured(client, variant.encrypted);
      const serverView = expectSecured(accepted, variant.encrypted);
      expect(serverView, 'both ends report the same protection').toEqual(clientView);
      client.write('ping');
      expect((await readBytes(accepted, 4)).toString()).toBe('ping');
      accepted.write('pong');
      expect((await readBytes(client, 4)).toString()).toBe('pong');
    },
  );
}

/** Every settings variant accepted, and the protection each negotiates. */
export const SETTINGS_CASES = list;
