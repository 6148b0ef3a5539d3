import * as http from 'node:http';
import { SecureSocketError } from '@wsasec/core';
import { describe, expect, it } from 'vitest';
import { paletteFor, renderStep, renderSummary } from '../../src/demo/report.js';
import { runDemo } from '../../src/demo/run.js';
import {
  judgeAccess,
  judgeClearText,
  judgeIdentity,
  judgeRogue,
  judgeRogueReached,
  type Outcome,
} from '../../src/demo/steps.js';
import { type SecureResponse, secureRequest } from '../../src/shared/http-request.js';
import { Capture } from '../capture.js';

const SIDS = {
  serverMachineSid: 'S-1-5-21-1-2-3-1001',
  clientMachineSid: 'S-1-5-21-1-2-3-1002',
  aliceSid: 'S-1-5-21-1-2-3-1100',
};

function response(status: number, body = '', security?: SecureResponse['security']): Outcome<SecureResponse> {
  return { value: { status, statusMessage: '', httpVersion: '1.1', headers: {}, body, security } };
}

const secured = {
  protocol: 'ipsec' as const,
  secured: true,
  encrypted: true,
  mmSaId: 7n,
  qmSaId: 9n,
  peerMachine: { sid: SIDS.serverMachineSid, name: 'SERVER$', domain: 'CONTOSO' },
  peerUser: undefined,
};
const whoami = JSON.stringify({
  user: { sid: SIDS.aliceSid, name: 'alice', domain: 'CONTOSO' },
  machine: { sid: SIDS.clientMachineSid, name: 'CLIENT$', domain: 'CONTOSO' },
  actingAs: { sid: SIDS.aliceSid, name: 'alice', domain: 'CONTOSO' },
});
const refused = (code: ConstructorParameters<typeof SecureSocketError>[0]) => ({
  error: new SecureSocketError(code, 'refused'),
});

describe('demo step judges', () => {
  it('accepts a secured, encrypted connection with SA ids, the right server and the right client', () => {
    const steps = judgeIdentity(response(200, whoami, secured), SIDS);
    expect(steps.map((s) => s.ok)).toEqual([true, true, true, true]);
    expect(steps[1]?.detail).toContain('0x0000000000000007');
    expect(steps[3]?.detail).toBe(
      'the server saw CONTOSO\\alice on CONTOSO\\CLIENT$, and impersonated CONTOSO\\alice',
    );
  });

  it('fails each identity step that saw something else', () => {
    const integrityOnly = {
      ...secured,
      encrypted: false,
      qmSaId: undefined,
      peerMachine: { sid: 'S-1-5-21-9' },
    };
    const steps = judgeIdentity(response(200, '{"user":{"sid":"S-1-5-21-1-2-3-1101"}}', integrityOnly), SIDS);
    expect(steps.map((s) => s.ok)).toEqual([false, false, false, false]);
  });

  it('fails all four identity steps when the request failed, naming the error', () => {
    const steps = judgeIdentity(refused('ERR_WSASEC_NEGOTIATION_FAILED'), SIDS);
    expect(steps.every((s) => !s.ok && s.detail.includes('ERR_WSASEC_NEGOTIATION_FAILED'))).toBe(true);
  });

  it('fails an access step whose status is not the expected one', () => {
    expect(judgeAccess('access denied', 'bob', response(403), 403).ok).toBe(true);
    const wrong = judgeAccess('access denied', 'bob', response(200), 403);
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toContain('expected 403');
    expect(judgeAccess('access granted', 'alice', refused('WSAECONNRESET'), 200).ok).toBe(false);
  });

  it('passes the clear-text step only when no answer came and nothing reached the handler', () => {
    expect(judgeClearText({ error: Object.assign(new Error('hang up'), { code: 'ECONNRESET' }) }, 0).ok).toBe(
      true,
    );
    expect(judgeClearText({ error: new Error('hang up') }, 1).ok).toBe(false);
    expect(judgeClearText(response(200), 0).ok).toBe(false);
  });

  it('passes the man-in-the-middle step only for a peer-name mismatch', () => {
    expect(judgeRogue(refused('ERR_WSASEC_PEER_NAME_MISMATCH')).ok).toBe(true);
    expect(judgeRogue(refused('ERR_WSASEC_NEGOTIATION_FAILED')).ok).toBe(false);
    expect(judgeRogue(response(200)).ok).toBe(false);
    expect(judgeRogueReached(0).ok).toBe(true);
    expect(judgeRogueReached(1).ok).toBe(false);
  });
});

describe('demo report', () => {
  it('marks steps with ✓ and ✗ and colours only when asked', () => {
    const plain = paletteFor(new Capture());
    expect(renderStep({ label: 'a', ok: true, detail: 'fine' }, 4, plain)).toBe('  ✓ a     fine');
    expect(renderStep({ label: 'a', ok: false, detail: 'bad' }, 4, plain)).toBe('  ✗ a     bad');
    const coloured = renderStep({ label: 'a', ok: true, detail: 'fine' }, 4, paletteFor(new Capture(), true));
    expect(coloured).toContain('\u001b[32m✓\u001b[39m');
  });

  it('sums up failures', () => {
    const plain = paletteFor(new Capture(), false);
    const steps = [
      { label: 'a', ok: true, detail: '' },
      { label: 'b', ok: false, detail: '' },
    ];
    expect(renderSummary(steps, 1.24, plain)).toBe('  1 of 2 steps did not behave as they should (1.2 s)');
    expect(renderSummary(steps.slice(0, 1), 0.5, plain)).toBe(
      '  all 1 steps behaved as they should (500 ms)',
    );
  });
});

describe('bad input', () => {
  it.each([
    [{ timeout: 0 }, 'timeout must be a positive integer'],
    [{ timeout: 1.5 }, 'timeout must be a positive integer'],
    [{ color: 'yes' }, 'color must be true, false or absent'],
    [{ out: {} }, 'out must be a writable stream'],
    [null, 'options must be an object'],
  ])(
    'runDemo(%j) rejects with ERR_WSASEC_INVALID_ARGUMENT before starting anything',
    async (options, message) => {
      const error = await runDemo(options as never).catch((e: unknown) => e);
      expect(SecureSocketError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ERR_WSASEC_INVALID_ARGUMENT' });
      expect((error as Error).message).toContain(message);
    },
  );

  it.each([
    [
      'a string URL',
      () => secureRequest('http://127.0.0.1/' as never, { agent: new http.Agent(), timeout: 1 }),
      'url must be a URL object',
    ],
    [
      'an https URL',
      () => secureRequest(new URL('https://127.0.0.1/'), { agent: new http.Agent(), timeout: 1 }),
      'http: protocol',
    ],
    [
      'no agent',
      () => secureRequest(new URL('http://127.0.0.1/'), { timeout: 1 } as never),
      'agent must be an http.Agent',
    ],
    [
      'a zero timeout',
      () => secureRequest(new URL('http://127.0.0.1/'), { agent: new http.Agent(), timeout: 0 }),
      'timeout must be a positive integer',
    ],
  ])('secureRequest with %s throws ERR_WSASEC_INVALID_ARGUMENT', (_what, call, message) => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_WSASEC_INVALID_ARGUMENT' });
    expect((error as Error).message).toContain(message);
  });
});
