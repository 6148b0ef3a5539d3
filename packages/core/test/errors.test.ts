import { throws } from 'node:assert';
import { describe, expect, it } from 'vitest';
import {
  IPSEC_IKE_ERRORS,
  ikeErrorName,
  isDocumentedErrorCode,
  LIBRARY_ERRORS,
  SecureSocketError,
  toSecureSocketError,
  WSA_ERRORS,
  wsaCodeName,
} from '../src/index.js';

describe('SecureSocketError', () => {
  it('carries code, message, errno, syscall, negotiationError and name', () => {
    const error = new SecureSocketError('ERR_WSASEC_NEGOTIATION_FAILED', 'negotiation failed', {
      syscall: 'WSAConnect',
      negotiationError: IPSEC_IKE_ERRORS.ERROR_IPSEC_IKE_AUTH_FAIL,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SecureSocketError');
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.message).toBe('negotiation failed');
    expect(error.errno).toBeUndefined();
    expect(error.syscall).toBe('WSAConnect');
    expect(error.negotiationError).toBe(13801);
    expect(error.stack).toContain('SecureSocketError');
  });

  it.each(Object.entries(WSA_ERRORS))('%s gets errno %i', (code, errno) => {
    const error = new SecureSocketError(code as keyof typeof WSA_ERRORS, 'x');
    expect(error.errno).toBe(errno);
  });

  it('library codes have no errno unless one is given', () => {
    for (const code of LIBRARY_ERRORS) expect(new SecureSocketError(code, 'x').errno).toBeUndefined();
    expect(new SecureSocketError('ERR_WSASEC_INTERNAL', 'x', { errno: 5 }).errno).toBe(5);
    expect(new SecureSocketError('WSAEINVAL', 'x', { errno: 87 }).errno).toBe(87);
  });

  it('keeps cause only when one is given', () => {
    const cause = new Error('root');
    expect(new SecureSocketError('WSAEINVAL', 'x', { cause }).cause).toBe(cause);
    expect('cause' in new SecureSocketError('WSAEINVAL', 'x')).toBe(false);
    // A falsy cause is still a cause.
    expect(new SecureSocketError('WSAEINVAL', 'x', { cause: 0 }).cause).toBe(0);
  });

  it('isInstance recognises a duplicate copy of the class by its Symbol.for brand', () => {
    // What a second copy of the package would build: its own class, the same registered symbol.
    const brand: unique symbol = Symbol.for('wsasec.SecureSocketError') as never;
    class DuplicateCopy extends Error {
      readonly [brand] = true;
      readonly code = 'WSAEINVAL';
    }
    const foreign = new DuplicateCopy('from another copy of @wsasec/core');
    expect(foreign instanceof SecureSocketError).toBe(false);
    expect(SecureSocketError.isInstance(foreign)).toBe(true);
    expect(SecureSocketError.isInstance(new SecureSocketError('WSAEINVAL', 'x'))).toBe(true);
  });

  it('isInstance refuses look-alikes', () => {
    const lookAlikes: unknown[] = [
      Object.assign(new Error('x'), { code: 'WSAEINVAL', name: 'SecureSocketError' }),
      { [Symbol.for('wsasec.SecureSocketError')]: 'true' },
      { [Symbol.for('wsasec.SecureSocketError ')]: true },
      Object.create(null),
      null,
      undefined,
      'SecureSocketError',
      42,
    ];
    for (const value of lookAlikes) expect(SecureSocketError.isInstance(value)).toBe(false);
  });

  it("Node's argument codes are instances of TypeError / RangeError as Node's are, and still of SecureSocketError", () => {
    const type = new SecureSocketError('ERR_INVALID_ARG_TYPE', 'x', { syscall: 'listen' });
    const range = new SecureSocketError('ERR_SOCKET_BAD_PORT', 'y');
    const plain = new SecureSocketError('WSAEINVAL', 'z');
    expect([type instanceof TypeError, type instanceof RangeError, type instanceof Error]).toEqual([
      true,
      false,
      true,
    ]);
    expect([range instanceof RangeError, range instanceof TypeError]).toEqual([true, false]);
    expect([plain instanceof TypeError, plain instanceof RangeError, plain instanceof Error]).toEqual([
      false,
      false,
      true,
    ]);
    for (const e of [type, range, plain]) {
      expect(e instanceof SecureSocketError).toBe(true);
      expect(SecureSocketError.isInstance(e)).toBe(true);
      expect(e.constructor).toBe(SecureSocketError);
    }
    expect([type.name, type.code, type.syscall, type.nodeCode]).toEqual([
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      'listen',
      'ERR_INVALID_ARG_TYPE',
    ]);
    expect(Object.prototype.toString.call(type)).toBe('[object Error]');
    expect(() =>
      throws(() => {
        throw range;
      }, RangeError),
    ).not.toThrow();
    // A plain TypeError is not mistaken for one.
    expect(new TypeError('x') instanceof SecureSocketError).toBe(false);
  });

  it('fromErrno names a known Windows error and keeps an unknown one', () => {
    const known = SecureSocketError.fromErrno(10022, 'WSASetSocketSecurity');
    expect(known.code).toBe('WSAEINVAL');
    expect(known.errno).toBe(10022);
    expect(known.syscall).toBe('WSASetSocketSecurity');
    expect(known.message).toBe('WSASetSocketSecurity failed with WSAEINVAL (10022)');
    const unknown = SecureSocketError.fromErrno(12345, 'WSAIoctl');
    expect(unknown.code).toBe('ERR_WSASEC_INTERNAL');
    expect(unknown.errno).toBe(12345);
    expect(unknown.message).toContain('12345');
    expect(SecureSocketError.fromErrno(10038, 'closesocket', 'custom').message).toBe('custom');
  });
});

describe('code names', () => {
  it('wsaCodeName and ikeErrorName invert their tables', () => {
    for (const [name, value] of Object.entries(WSA_ERRORS)) expect(wsaCodeName(value)).toBe(name);
    for (const [name, value] of Object.entries(IPSEC_IKE_ERRORS)) expect(ikeErrorName(value)).toBe(name);
    expect(wsaCodeName(0)).toBeUndefined();
    expect(ikeErrorName(10022)).toBeUndefined();
  });

  it('isDocumentedErrorCode accepts every documented code and refuses others', () => {
    for (const code of [...Object.keys(WSA_ERRORS), ...LIBRARY_ERRORS])
      expect(isDocumentedErrorCode(code)).toBe(true);
    for (const code of [
      'EINVAL',
      'wsaeinval',
      '',
      'ERR_WSASEC_',
      'ERR_WSASEC_OTHER',
      42,
      undefined,
      null,
      {},
    ]) {
      expect(isDocumentedErrorCode(code)).toBe(false);
    }
  });

  it('isDocumentedErrorCode refuses Object.prototype member names', () => {
    for (const code of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      expect(isDocumentedErrorCode(code), code).toBe(false);
    }
  });
});

describe('toSecureSocketError', () => {
  it('passes a SecureSocketError through unchanged', () => {
    const error = new SecureSocketError('WSAEINVAL', 'x');
    expect(toSecureSocketError(error, 'connect')).toBe(error);
  });

  it.each([
    ['ECONNREFUSED', 'WSAECONNREFUSED'],
    ['ECONNRESET', 'WSAECONNRESET'],
    ['ECONNABORTED', 'WSAECONNABORTED'],
    ['ETIMEDOUT', 'WSAETIMEDOUT'],
    ['EHOSTUNREACH', 'WSAEHOSTUNREACH'],
    ['ENETUNREACH', 'WSAENETUNREACH'],
    ['EADDRINUSE', 'WSAEADDRINUSE'],
    ['EADDRNOTAVAIL', 'WSAEADDRNOTAVAIL'],
    ['EAFNOSUPPORT', 'WSAEAFNOSUPPORT'],
    ['EPIPE', 'WSAECONNRESET'],
    ['ENOTFOUND', 'WSAHOST_NOT_FOUND'],
    ['EAI_AGAIN', 'WSAHOST_NOT_FOUND'],
    ['EACCES', 'WSAEACCES'],
    ['EISCONN', 'WSAEISCONN'],
    ['ENOTCONN', 'WSAENOTCONN'],
  ])('maps Node %s to %s, keeping the cause', (nodeCode, wsa) => {
    const cause = Object.assign(new Error(`connect ${nodeCode} 127.0.0.1:1`), { code: nodeCode });
    const error = toSecureSocketError(cause, 'connect');
    expect(error.code).toBe(wsa);
    expect(error.errno).toBe(WSA_ERRORS[wsa as keyof typeof WSA_ERRORS]);
    expect(error.syscall).toBe('connect');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain(nodeCode);
  });

  it('maps aborts to ERR_WSASEC_ABORTED', () => {
    const abortError = new DOMException('aborted', 'AbortError');
    expect(toSecureSocketError(abortError, 'connect').code).toBe('ERR_WSASEC_ABORTED');
    expect(toSecureSocketError(Object.assign(new Error('x'), { code: 'ABORT_ERR' }), 'connect').code).toBe(
      'ERR_WSASEC_ABORTED',
    );
  });

  it('turns anything else into ERR_WSASEC_INTERNAL with its text', () => {
    for (const value of [new TypeError('boom'), 'a string', undefined, 42, { code: 'EWHATEVER' }]) {
      const error = toSecureSocketError(value, 'recv');
      expect(error.code).toBe('ERR_WSASEC_INTERNAL');
      expect(error.cause).toBe(value);
      expect(error.message.startsWith('recv failed: ')).toBe(true);
    }
  });

  it('an error whose code names an Object.prototype member stays ERR_WSASEC_INTERNAL', () => {
    const error = toSecureSocketError(Object.assign(new Error('x'), { code: 'constructor' }), 'recv');
    expect(error.code).toBe('ERR_WSASEC_INTERNAL');
  });
});
