import { createMemoryBackend } from '@wsasec/core/testing';
import { describe, expect, it } from 'vitest';
import { ALL_CASES } from '../src/cases/all.js';
import { CONFORMANCE_CASE_NEEDS, CONFORMANCE_CASES, describeBackend } from '../src/index.js';

const CAPABILITIES = [
  'network',
  'encryption',
  'tokens',
  'peerNameVerification',
  'impersonation',
  'accessCheck',
  'ipsec2',
  'allowInsecure',
  'datagram',
  'securityAssociations',
];

describe('the case list', () => {
  it('has unique titles, each with known capabilities', () => {
    expect(new Set(CONFORMANCE_CASES).size).toBe(CONFORMANCE_CASES.length);
    expect(CONFORMANCE_CASES).toEqual(ALL_CASES.map((c) => c.title));
    for (const title of CONFORMANCE_CASES) {
      for (const need of CONFORMANCE_CASE_NEEDS[title] ?? []) expect(CAPABILITIES, title).toContain(need);
    }
    expect(Object.isFrozen(CONFORMANCE_CASES)).toBe(true);
  });

  it('refuses a skip that names no case, so that a typo never hides a failure', () => {
    expect(() =>
      describeBackend({
        name: 'typo',
        create: () => {
          throw new Error('never created');
        },
        capabilities: Object.fromEntries(CAPABILITIES.map((c) => [c, true])) as never,
        skip: { 'querySecurity before connect is refused with WSAENOTCON': 'typo' },
      }),
    ).toThrow(
      /skip names cases that do not exist: "querySecurity before connect is refused with WSAENOTCON"/,
    );
  });
});

// A backend that can do nothing but validate and order calls (like a backend whose library is
// faked): every case that needs a capability is skipped, and the rest must still pass.
describeBackend({
  name: 'memory without capabilities',
  create() {
    const client = createMemoryBackend({ machine: 'LONE' });
    return {
      client,
      server: client,
      serverTargetName: 'host/lone.contoso.com',
      close: () => client.close(),
    };
  },
  capabilities: {
    network: false,
    encryption: false,
    tokens: false,
    peerNameVerification: false,
    impersonation: false,
    accessCheck: false,
    ipsec2: false,
    allowInsecure: false,
  },
});
