import { SecureSocketError } from '@wsasec/core';
import { expect } from 'vitest';

/** The domain every SDDL test resolves DU, DA, … against. */
export const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';

/** Runs `fn` and returns the SecureSocketError it throws, failing the test on anything else. */
export function thrown(fn: () => unknown): SecureSocketError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a throw').toBeDefined();
  expect(SecureSocketError.isInstance(caught), `expected a SecureSocketError, got ${String(caught)}`).toBe(
    true,
  );
  return caught as SecureSocketError;
}

/** Asserts that `fn` throws WSAEINVAL for AccessCheck with a message matching `message`. */
export function expectInvalid(fn: () => unknown, message: RegExp): SecureSocketError {
  const error = thrown(fn);
  expect(error.code).toBe('WSAEINVAL');
  expect(error.errno).toBe(10022);
  expect(error.syscall).toBe('AccessCheck');
  expect(error.message).toMatch(message);
  return error;
}
