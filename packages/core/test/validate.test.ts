import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_LIMITS,
  MAX_TARGET_NAME_LENGTH,
  normalizeAccessMask,
  normalizeAddress,
  normalizeConnectTarget,
  normalizeGuid,
  normalizePeerTargetName,
  normalizeProtocol,
  normalizeQuery,
  normalizeSecuritySettings,
  protocolName,
  SecureSocketError,
} from '../src/index.js';
import { checkSignal, normalizeFamily, normalizeSocketType } from '../src/validate/validate.js';

/** Runs `fn`, which must throw a SecureSocketError with `code` whose message matches `says`. */
function refuses(fn: () => unknown, code: string, says: RegExp, syscall?: string): SecureSocketError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    expect(SecureSocketError.isInstance(error), String(error)).toBe(true);
    const e = error as SecureSocketError;
    expect(e.code, e.message).toBe(code);
    expect(e.message).toMatch(says);
    if (syscall) expect(e.syscall).toBe(syscall);
    return e;
  }
  throw new Error(`expected ${code}, got ${JSON.stringify(result)}`);
}

const GUID = '8c2d4144-f8e0-42c0-94ce-7ccfc63b2f9b';

describe('normalizeProtocol / protocolName', () => {
  it.each([
    ['default', 0],
    [0, 0],
    ['ipsec', 1],
    [1, 1],
    ['ipsec2', 2],
    [2, 2],
  ] as const)('%j → %i', (input, value) => {
    expect(normalizeProtocol(input, 'WSASetSocketSecurity')).toBe(value);
    expect(normalizeProtocol(protocolName(value), 'x')).toBe(value);
  });

  it.each([3, -1, '1', 'IPSEC', 'Default', null, undefined, Number.NaN, 1.5, {}])('refuses %j', (input) => {
    refuses(
      () => normalizeProtocol(input, 'WSASetSocketSecurity', 'the protocol'),
      'WSAEINVAL',
      /the protocol must be 'default', 'ipsec' or 'ipsec2' \(or 0, 1, 2\)/,
      'WSASetSocketSecurity',
    );
  });
});

describe('normalizeGuid', () => {
  it('lower-cases, strips braces and treats the zero GUID as absent', () => {
    expect(normalizeGuid(GUID.toUpperCase(), 'key', 'x')).toBe(GUID);
    expect(normalizeGuid(`{${GUID}}`, 'key', 'x')).toBe(GUID);
    expect(normalizeGuid('00000000-0000-0000-0000-000000000000', 'key', 'x')).toBeUndefined();
    expect(normalizeGuid(undefined, 'key', 'x')).toBeUndefined();
  });

  it.each(['', 'not-a-guid', `${GUID}0`, GUID.replaceAll('-', ''), `(${GUID})`, 42, null, {}])(
    'refuses %j',
    (v) => {
      refuses(
        () => normalizeGuid(v, 'ipsec.mainModePolicyKey', 'x'),
        'WSAEINVAL',
        /ipsec\.mainModePolicyKey must be a GUID string like/,
      );
    },
  );

  it('refuses a GUID with one unbalanced brace', () => {
    refuses(() => normalizeGuid(`{${GUID}`, 'key', 'x'), 'WSAEINVAL', /GUID/);
  });
});

describe('normalizeSecuritySettings', () => {
  it('undefined and null mean the NULL settings pointer', () => {
    const none = { structure: 'none', protocol: 0, securityFlags: 0, ipsecFlags: 0 };
    expect(normalizeSecuritySettings(undefined)).toEqual(none);
    expect(normalizeSecuritySettings(null)).toEqual(none);
  });

  it.each([
    [{}, { structure: 'basic', protocol: 0, securityFlags: 0, ipsecFlags: 0 }],
    [{ protocol: 'ipsec2' }, { structure: 'basic', protocol: 2, securityFlags: 0, ipsecFlags: 0 }],
    [{ guaranteeEncryption: true }, { structure: 'basic', protocol: 0, securityFlags: 1, ipsecFlags: 0 }],
    [
      { allowInsecure: true, guaranteeEncryption: true },
      { structure: 'basic', protocol: 0, securityFlags: 3, ipsecFlags: 0 },
    ],
    [{ guaranteeEncryption: false }, { structure: 'basic', protocol: 0, securityFlags: 0, ipsecFlags: 0 }],
    [{ ipsec: {} }, { structure: 'ipsec', protocol: 1, securityFlags: 0, ipsecFlags: 0 }],
    [
      { protocol: 2, ipsec: { skipFilterInstantiation: true } },
      { structure: 'ipsec', protocol: 2, securityFlags: 0, ipsecFlags: 1 },
    ],
    [
      {
        ipsec: {
          optionalPeerNameVerification: true,
          allowFirstInboundPacketUnencrypted: true,
          peerNameIsRawFormat: true,
        },
      },
      { structure: 'ipsec', protocol: 1, securityFlags: 0, ipsecFlags: 14 },
    ],
    [
      {
        ipsec: {
          mainModePolicyKey: `{${GUID.toUpperCase()}}`,
          quickModePolicyKey: '00000000-0000-0000-0000-000000000000',
        },
      },
      { structure: 'ipsec', protocol: 1, securityFlags: 0, ipsecFlags: 0, mainModePolicyKey: GUID },
    ],
  ])('%j → %j', (input, normalized) => {
    expect(normalizeSecuritySettings(input)).toEqual(normalized);
  });

  it('splits DOMAIN\\user and keeps UPNs and empty passwords', () => {
    const split = normalizeSecuritySettings({
      ipsec: { credentials: { user: 'CONTOSO\\alice', password: 'p' } },
    });
    expect(split.credentials).toEqual({ user: 'alice', domain: 'CONTOSO', password: 'p' });
    const upn = normalizeSecuritySettings({
      ipsec: { credentials: { user: 'alice@contoso.com', password: '' } },
    });
    expect(upn.credentials).toEqual({ user: 'alice@contoso.com', password: '' });
    const explicit = normalizeSecuritySettings({
      ipsec: { credentials: { user: 'alice', domain: 'C', password: 'p' } },
    });
    expect(explicit.credentials).toEqual({ user: 'alice', domain: 'C', password: 'p' });
  });

  it('takes credentials up to their limits and refuses one unit more with WSAEMSGSIZE', () => {
    const at = (user: string, domain: string | undefined, password: string) =>
      normalizeSecuritySettings({
        ipsec: { credentials: { user, ...(domain ? { domain } : {}), password } },
      });
    const { user, domain, password } = CREDENTIAL_LIMITS;
    expect(at('u'.repeat(user), 'd'.repeat(domain), 'p'.repeat(password)).credentials?.user).toHaveLength(
      user,
    );
    expect(at(`${'d'.repeat(domain)}\\${'u'.repeat(user)}`, undefined, '').credentials?.domain).toHaveLength(
      domain,
    );
    refuses(() => at('u'.repeat(user + 1), undefined, ''), 'WSAEMSGSIZE', /at most 256 are accepted/);
    refuses(() => at('u', 'd'.repeat(domain + 1), ''), 'WSAEMSGSIZE', /at most 255 are accepted/);
    refuses(() => at('u', undefined, 'p'.repeat(password + 1)), 'WSAEMSGSIZE', /at most 256 are accepted/);
    refuses(() => at(`${'d'.repeat(domain + 1)}\\u`, undefined, ''), 'WSAEMSGSIZE', /domain part/);
  });

  it.each([
    [
      'a string',
      'ipsec',
      /must be an object \{ protocol\?, guaranteeEncryption\?, allowInsecure\?, ipsec\? \} or undefined/,
    ],
    ['an array', [], /got an array/],
    ['a Date', new Date(0), /got an object/],
    [
      'an unknown field',
      { encrypt: true },
      /unknown field "encrypt"; accepted fields: protocol, guaranteeEncryption, allowInsecure, ipsec/,
    ],
    ['protocol 3', { protocol: 3 }, /protocol must be 'default', 'ipsec' or 'ipsec2'/],
    ['a non-boolean flag', { allowInsecure: 'yes' }, /allowInsecure must be true or false, got "yes"/],
    [
      "ipsec with protocol 'default'",
      { protocol: 'default', ipsec: {} },
      /need protocol 'ipsec' or 'ipsec2'/,
    ],
    ['ipsec as a string', { ipsec: 'on' }, /ipsec must be an object, got "on"/],
    [
      'an unknown ipsec field',
      { ipsec: { x: 1 } },
      /ipsec settings has an unknown field "x"; accepted fields: skipFilterInstantiation/,
    ],
    [
      'a non-boolean ipsec flag',
      { ipsec: { peerNameIsRawFormat: 1 } },
      /ipsec\.peerNameIsRawFormat must be true or false/,
    ],
    [
      'a bad policy key',
      { ipsec: { quickModePolicyKey: 'x' } },
      /ipsec\.quickModePolicyKey must be a GUID string/,
    ],
    [
      'credentials not an object',
      { ipsec: { credentials: 5 } },
      /ipsec\.credentials must be an object \{ user, domain\?, password \}/,
    ],
    [
      'credentials without user',
      { ipsec: { credentials: { password: 'p' } } },
      /ipsec\.credentials\.user must be a string/,
    ],
    [
      'an empty user',
      { ipsec: { credentials: { user: '', password: 'p' } } },
      /ipsec\.credentials\.user must not be empty/,
    ],
    [
      'a NUL in the user',
      { ipsec: { credentials: { user: 'a\0b', password: 'p' } } },
      /must not contain NUL/,
    ],
    [
      'a lone surrogate',
      { ipsec: { credentials: { user: '\uD800', password: 'p' } } },
      /well-formed Unicode/,
    ],
    [
      'a non-string password',
      { ipsec: { credentials: { user: 'a', password: 1 } } },
      /ipsec\.credentials\.password must be a string/,
    ],
    [
      'the domain twice',
      { ipsec: { credentials: { user: 'D\\a', domain: 'D', password: 'p' } } },
      /either as DOMAIN\\user or as domain, not both/,
    ],
    [
      'an empty domain part',
      { ipsec: { credentials: { user: '\\a', password: 'p' } } },
      /domain part\) must not be empty/,
    ],
  ])('refuses %s with WSAEINVAL saying what is accepted', (_label, value, says) => {
    refuses(() => normalizeSecuritySettings(value), 'WSAEINVAL', says, 'WSASetSocketSecurity');
  });

  it('names the syscall it is given', () => {
    refuses(() => normalizeSecuritySettings(1, 'connect'), 'WSAEINVAL', /security settings/, 'connect');
  });
});

describe('normalizeAddress', () => {
  it.each([
    [{ address: '127.0.0.1' }, { address: '127.0.0.1', port: 0, family: 'ipv4' }],
    [
      { address: '10.0.0.1', port: 65535, family: 'ipv4' },
      { address: '10.0.0.1', port: 65535, family: 'ipv4' },
    ],
    [
      { address: '::1', port: 80 },
      { address: '::1', port: 80, family: 'ipv6' },
    ],
    [{ address: '[::1]' }, { address: '::1', port: 0, family: 'ipv6' }],
    [{ address: '0:0:0:0:0:0:0:1' }, { address: '::1', port: 0, family: 'ipv6' }],
    [{ address: 'FE80::ABCD' }, { address: 'fe80::abcd', port: 0, family: 'ipv6' }],
    [{ address: '::ffff:127.0.0.1' }, { address: '::ffff:7f00:1', port: 0, family: 'ipv6' }],
  ])('%j → %j', (input, normalized) => {
    expect(normalizeAddress(input, 'peerAddress', 'x')).toEqual(normalized);
  });

  it.each([
    ['undefined', undefined, 'WSAEFAULT', /peerAddress is required: \{ address: <IP literal>, port\? \}/],
    ['null', null, 'WSAEFAULT', /is required/],
    ['a string', '127.0.0.1', 'WSAEINVAL', /must be an object \{ address, port\?, family\? \}/],
    [
      'an unknown field',
      { address: '127.0.0.1', scope: 1 },
      'WSAEINVAL',
      /unknown field "scope"; accepted fields: address, port, family/,
    ],
    ['a host name', { address: 'localhost' }, 'WSAEINVAL', /an IPv4 or IPv6 literal \(not a host name\)/],
    ['a number', { address: 127 }, 'WSAEINVAL', /IP literal string, got 127/],
    ['port -1', { address: '127.0.0.1', port: -1 }, 'WSAEINVAL', /port must be an integer from 0 to 65535/],
    ['port 65536', { address: '127.0.0.1', port: 65536 }, 'WSAEINVAL', /from 0 to 65535/],
    ['port 1.5', { address: '127.0.0.1', port: 1.5 }, 'WSAEINVAL', /from 0 to 65535/],
    ["port '80'", { address: '127.0.0.1', port: '80' }, 'WSAEINVAL', /from 0 to 65535/],
    [
      "family 'ipv5'",
      { address: '127.0.0.1', family: 'ipv5' },
      'WSAEAFNOSUPPORT',
      /family must be 'ipv4' or 'ipv6'/,
    ],
    [
      'a family that does not match',
      { address: '::1', family: 'ipv4' },
      'WSAEAFNOSUPPORT',
      /is 'ipv4' but "::1" is an ipv6 address/,
    ],
  ])('refuses %s', (_label, value, code, says) => {
    refuses(
      () => normalizeAddress(value, 'peerAddress', 'WSADeleteSocketPeerTargetName'),
      code,
      says,
      'WSADeleteSocketPeerTargetName',
    );
  });
});

describe('normalizePeerTargetName', () => {
  it('takes a string or an object, and inherits the socket protocol', () => {
    expect(normalizePeerTargetName('host/a.contoso.com', 2)).toEqual({
      name: 'host/a.contoso.com',
      protocol: 2,
    });
    expect(normalizePeerTargetName({ name: 'host/a', protocol: 'ipsec' }, 0)).toEqual({
      name: 'host/a',
      protocol: 1,
    });
    expect(
      normalizePeerTargetName({ name: 'host/a', peerAddress: { address: '[::1]', port: 500 } }, 1),
    ).toEqual({
      name: 'host/a',
      protocol: 1,
      peerAddress: { address: '::1', port: 500, family: 'ipv6' },
    });
    expect(normalizePeerTargetName('h'.repeat(MAX_TARGET_NAME_LENGTH), 0).name).toHaveLength(1024);
  });

  it.each([
    [
      'undefined',
      undefined,
      'WSAEFAULT',
      /a string like "host\/server.contoso.com" or \{ name, peerAddress\?, protocol\? \}/,
    ],
    ['a number', 42, 'WSAEINVAL', /must be a string or \{ name, peerAddress\?, protocol\? \}/],
    ['an empty name', '', 'WSAEINVAL', /must not be empty/],
    ['surrounding white space', 'host/a ', 'WSAEINVAL', /must not begin or end with white space/],
    ['a NUL', 'a\0b', 'WSAEINVAL', /NUL/],
    ['1025 characters', 'h'.repeat(1025), 'WSAEMSGSIZE', /at most 1024 are accepted/],
    [
      'an unknown field',
      { name: 'a', spn: true },
      'WSAEINVAL',
      /accepted fields: name, peerAddress, protocol/,
    ],
    ['a bad protocol', { name: 'a', protocol: 9 }, 'WSAEINVAL', /peer target name protocol must be/],
    ['a bad peer address', { name: 'a', peerAddress: { address: 'x' } }, 'WSAEINVAL', /IPv4 or IPv6 literal/],
  ])('refuses %s', (_label, value, code, says) => {
    refuses(() => normalizePeerTargetName(value, 0), code, says, 'WSASetSocketPeerTargetName');
  });
});

describe('normalizeAccessMask', () => {
  it('takes 0 to 0xFFFFFFFF as an unsigned 32-bit value', () => {
    expect(normalizeAccessMask(0, 'm', 'x')).toBe(0);
    expect(normalizeAccessMask(0xffff_ffff, 'm', 'x')).toBe(4294967295);
    expect(normalizeAccessMask(0x8000_0000, 'm', 'x')).toBe(0x8000_0000);
  });

  it.each([-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '8', 8n, null, undefined])(
    'refuses %s',
    (v) => {
      refuses(
        () => normalizeAccessMask(v, 'tokenAccess', 'x'),
        'WSAEINVAL',
        /tokenAccess must be an integer access mask from 0 to 0xFFFFFFFF/,
      );
    },
  );

  it('refuses zero where a right is required', () => {
    refuses(
      () => normalizeAccessMask(0, 'desiredAccess', 'AccessCheck', false),
      'WSAEINVAL',
      /at least one right/,
    );
  });
});

describe('normalizeQuery', () => {
  it('defaults to the socket protocol and no tokens', () => {
    expect(normalizeQuery(undefined, 1)).toEqual({ protocol: 1, tokenAccess: 0 });
    expect(normalizeQuery(null, 2)).toEqual({ protocol: 2, tokenAccess: 0 });
    expect(normalizeQuery({ tokenAccess: 8 }, 0)).toEqual({ protocol: 0, tokenAccess: 8 });
  });

  it('IPSEC2 fields switch the template to protocol 2', () => {
    expect(normalizeQuery({ ipsec2: {} }, 0)).toEqual({
      protocol: 2,
      tokenAccess: 0,
      ipsec2: { fieldMask: 0, abortOnFieldChange: false },
    });
    expect(
      normalizeQuery(
        { ipsec2: { fieldMask: 3, abortOnFieldChange: true }, peerAddress: { address: '::1', port: 1 } },
        1,
      ),
    ).toEqual({
      protocol: 2,
      tokenAccess: 0,
      peerAddress: { address: '::1', port: 1, family: 'ipv6' },
      ipsec2: { fieldMask: 3, abortOnFieldChange: true },
    });
  });

  it.each([
    ['a string', 'x', /query options must be an object \{ peerAddress\?, tokenAccess\?, ipsec2\? \}/],
    ['an unknown field', { tokens: 1 }, /accepted fields: peerAddress, tokenAccess, ipsec2/],
    ['a bad tokenAccess', { tokenAccess: -8 }, /tokenAccess must be an integer access mask/],
    ['ipsec2 as a number', { ipsec2: 1 }, /ipsec2 must be an object \{ fieldMask\?, abortOnFieldChange\? \}/],
    ['an unknown ipsec2 field', { ipsec2: { mask: 1 } }, /accepted fields: fieldMask, abortOnFieldChange/],
    [
      'fieldMask 4',
      { ipsec2: { fieldMask: 4 } },
      /combine SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID \(1\) and _QM_SA_ID \(2\)/,
    ],
    ['fieldMask 1.5', { ipsec2: { fieldMask: 1.5 } }, /fieldMask must combine/],
    ['abortOnFieldChange without a mask', { ipsec2: { abortOnFieldChange: true } }, /needs a fieldMask/],
  ])('refuses %s', (_label, value, says) => {
    refuses(() => normalizeQuery(value, 0), 'WSAEINVAL', says, 'WSAQuerySocketSecurity');
  });
});

describe('normalizeConnectTarget', () => {
  it('strips IPv6 brackets and keeps a timeout', () => {
    expect(normalizeConnectTarget({ host: '[::1]', port: 1 })).toEqual({ host: '::1', port: 1 });
    expect(normalizeConnectTarget({ host: 'h'.repeat(255), port: 65535, timeout: 0.5 })).toEqual({
      host: 'h'.repeat(255),
      port: 65535,
      timeout: 0.5,
    });
  });

  it.each([
    ['a string', 'host:1', 'WSAEFAULT', /connect needs \{ host, port \}/],
    [
      'no host',
      { port: 1 },
      'WSAEINVAL',
      /host must be a host name or IP literal \(1–255 characters, no spaces\)/,
    ],
    ['256 characters', { host: 'h'.repeat(256), port: 1 }, 'WSAEINVAL', /1–255 characters/],
    ['a tab', { host: 'a\tb', port: 1 }, 'WSAEINVAL', /no spaces/],
    [
      'port 0',
      { host: 'a', port: 0 },
      'WSAEADDRNOTAVAIL',
      /port 0 cannot be connected to; give a port from 1 to 65535/,
    ],
    ['port 65536', { host: 'a', port: 65536 }, 'WSAEINVAL', /port must be an integer from 1 to 65535/],
    [
      'timeout 0',
      { host: 'a', port: 1, timeout: 0 },
      'ERR_WSASEC_INVALID_ARGUMENT',
      /timeout must be a positive number of milliseconds/,
    ],
    [
      'timeout Infinity',
      { host: 'a', port: 1, timeout: Number.POSITIVE_INFINITY },
      'ERR_WSASEC_INVALID_ARGUMENT',
      /positive number/,
    ],
  ])('refuses %s', (_label, value, code, says) => {
    refuses(() => normalizeConnectTarget(value), code, says, 'WSAConnect');
  });
});

describe('family, type and signal checks', () => {
  it('normalizeFamily', () => {
    expect(normalizeFamily(undefined, 'x')).toBe('ipv4');
    expect(normalizeFamily(undefined, 'x', 'ipv6')).toBe('ipv6');
    expect(normalizeFamily('ipv6', 'x')).toBe('ipv6');
    refuses(
      () => normalizeFamily('inet6', 'WSASocketW'),
      'WSAEAFNOSUPPORT',
      /family must be 'ipv4' or 'ipv6', got "inet6"/,
    );
  });

  it('normalizeSocketType', () => {
    expect(normalizeSocketType(undefined, 'x')).toBe('stream');
    expect(normalizeSocketType('dgram', 'x')).toBe('dgram');
    refuses(() => normalizeSocketType('raw', 'WSASocketW'), 'WSAEINVAL', /type must be 'stream' or 'dgram'/);
  });

  it('checkSignal', () => {
    const signal = new AbortController().signal;
    expect(checkSignal(signal, 'x')).toBe(signal);
    expect(checkSignal(undefined, 'x')).toBeUndefined();
    refuses(
      () => checkSignal({ aborted: false }, 'connect'),
      'ERR_WSASEC_INVALID_ARGUMENT',
      /signal must be an AbortSignal/,
    );
  });

  it('long strings are described by their length, not echoed', () => {
    const long = `secret-${'x'.repeat(100)}`;
    const error = refuses(() => normalizeFamily(long, 'x'), 'WSAEAFNOSUPPORT', /a string of 107 characters/);
    expect(error.message).not.toContain('secret-');
  });
});
