/**
 * Node's argument errors for the `net` call forms every backend mirrors (`connect`, `listen`,
 * `setTimeout(msecs, cb)`, …), worded as Node words them (`determineSpecificType`, `validateNumber`,
 * `getTimerDuration`), as `SecureSocketError`s carrying net's codes (`name` `TypeError` /
 * `RangeError`): code that matches on net's messages matches on ours.
 * @module
 */
import { inspect } from 'node:util';
import { SecureSocketError } from './errors.js';

/** The largest timer duration Node's timers accept (a signed 32-bit integer of ms). */
export const TIMEOUT_MAX = 2 ** 31 - 1;

/** How Node's ERR_INVALID_ARG_TYPE names the value it received (`determineSpecificType`). */
export function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : String(value)})`;
    case 'boolean':
      return `type boolean (${value})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${value.name}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: unknown } }).constructor;
      if (ctor && 'name' in ctor) return `an instance of ${String(ctor.name)}`;
      return inspect(value, { depth: -1 });
    }
    case 'string': {
      const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return shown.includes("'") ? `type string (${JSON.stringify(shown)})` : `type string ('${shown}')`;
    }
    default:
      return `type ${typeof value}`;
  }
}

/** Node's `addNumericalSeparator`: 8589934592 → '8_589_934_592'. */
function withSeparators(digits: string): string {
  let res = '';
  let i = digits.length;
  const start = digits[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${digits.slice(i - 3, i)}${res}`;
  return `${digits.slice(0, i)}${res}`;
}

/** net's `ERR_INVALID_ARG_TYPE` (a `TypeError`). */
export function invalidArgType(name: string, expected: string, value: unknown, syscall: string) {
  return new SecureSocketError(
    'ERR_INVALID_ARG_TYPE',
    `The "${name}" ${name.includes('.') ? 'property' : 'argument'} must be of type ${expected}. Received ${describeReceived(value)}`,
    { syscall },
  );
}

/** net's `ERR_INVALID_ARG_VALUE` (a `TypeError`): `The argument 'options' is invalid. Received …`. */
export function invalidArgValue(name: string, value: unknown, syscall: string, reason = 'is invalid') {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return new SecureSocketError(
    'ERR_INVALID_ARG_VALUE',
    `The ${name.includes('.') ? 'property' : 'argument'} '${name}' ${reason}. Received ${shown}`,
    { syscall },
  );
}

/**
 * net's port rule (`validatePort`): a number, or a non-blank string of one (`'80'`, `'0x50'`),
 * that is an integer from 0 to 65535. Returns the port, or `undefined` where net refuses it.
 */
export function netPort(value: number | string): number | undefined {
  if (typeof value === 'string' && value.trim().length === 0) return undefined;
  const port = +value;
  return port === port >>> 0 && port <= 0xffff ? port : undefined;
}

/** net's `ERR_SOCKET_BAD_PORT` (a `RangeError`): `options.port should be >= 0 and < 65536. Received …`. */
export function badPort(name: string, value: unknown, syscall: string) {
  return new SecureSocketError(
    'ERR_SOCKET_BAD_PORT',
    `${name} should be >= 0 and < 65536. Received ${describeReceived(value)}.`,
    { syscall },
  );
}

/** net's `ERR_OUT_OF_RANGE` (a `RangeError`) for a number. */
export function outOfRange(name: string, range: string, value: number, syscall: string) {
  const received =
    Number.isInteger(value) && Math.abs(value) > 2 ** 32 ? withSeparators(String(value)) : String(value);
  return new SecureSocketError(
    'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${received}`,
    { syscall },
  );
}

/**
 * Node's `getTimerDuration(msecs, 'msecs')`: a finite number ≥ 0, clamped (with Node's
 * `TimeoutOverflowWarning`) to {@link TIMEOUT_MAX}.
 * @throws SecureSocketError `ERR_INVALID_ARG_TYPE` (not a number), `ERR_OUT_OF_RANGE` (negative,
 *   NaN or infinite).
 */
export function timerDuration(msecs: unknown, name: string, syscall: string): number {
  if (typeof msecs !== 'number') throw invalidArgType(name, 'number', msecs, syscall);
  if (msecs < 0 || !Number.isFinite(msecs))
    throw outOfRange(name, 'a non-negative finite number', msecs, syscall);
  if (msecs > TIMEOUT_MAX) {
    process.emitWarning(
      `${msecs} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${TIMEOUT_MAX}.`,
      'TimeoutOverflowWarning',
    );
    return TIMEOUT_MAX;
  }
  return msecs;
}
