/**
 * Disposable wrappers of a WFP engine session and the provider contexts (AuthIP policies) it adds:
 * what Microsoft's advanced secure socket sample does with `FwpmEngineOpen0`,
 * `FwpmProviderContextAdd0`, `FwpmProviderContextDeleteByKey0` and `FwpmEngineClose0`.
 *
 * ```ts
 * using engine = openWfpEngine();
 * using qm = engine.addPolicy({ key, mode: 'quick', protection: 'encryption' });
 * backend.connect({ security: { protocol: 'ipsec', ipsec: { quickModePolicyKey: qm.key } }, … });
 * ```
 * @module
 */
import { normalizeGuid, SecureSocketError } from '@wsasec/core';
import { writeGuid } from '../abi/settings.js';
import {
  decodeSaDetails,
  encodeProviderContext,
  encodeSession,
  relocate,
  type WfpEncoding,
  type WfpMainModeSa,
} from './encode.js';
import { checkWfp, wfpError } from './errors.js';
import { WFP_CONSTANTS, WFP_STRUCT_LAYOUTS } from './layout.js';
import { createKoffiWfpLibrary, type WfpLibrary } from './library.js';
import { type CheckedWfpPolicy, checkWfpPolicy, type WfpPolicy } from './policy.js';
import {
  checkConnection,
  checkSaIds,
  decodeSaContext,
  decodeSaContextList,
  encodeSaContextEnumTemplate,
  type WfpConnection,
  type WfpQuickModeSa,
  type WfpSaIds,
} from './sa.js';

/** Options of {@link openWfpEngine}. */
export interface WfpEngineOptions {
  /** The WFP functions (default: `fwpuclnt.dll` through koffi). Tests inject their own. */
  library?: WfpLibrary;
  /**
   * A dynamic session (`FWPM_SESSION_FLAG_DYNAMIC`): Windows itself deletes every provider context
   * of the session when it closes, even when the process dies. Default false (the sample's choice:
   * the contexts live until deleted, which the wrappers do on close).
   */
  dynamic?: boolean;
  /** The session's display name (default `'wsasec'`). */
  sessionName?: string;
  /** How long a transaction waits for another process's transaction, in ms (default 0: Windows' default). */
  txnWaitTimeoutMs?: number;
}

/** Options of {@link WfpEngine.addPolicy}. */
export interface WfpAddPolicyOptions {
  /** The provider context's display name (default `'wsasec <mode>-mode policy'`). */
  name?: string;
}

const MAX_NAME = 256;

function invalid(message: string, syscall = 'FwpmProviderContextAdd0'): never {
  throw new SecureSocketError('ERR_WSASEC_INVALID_ARGUMENT', message, { syscall });
}

function checkName(value: unknown, field: string, syscall?: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME || value.includes('\0'))
    invalid(`${field} must be a non-empty string of at most ${MAX_NAME} characters without NUL`, syscall);
  return value;
}

function guidBytes(key: string): Buffer {
  const buf = Buffer.alloc(16);
  writeGuid(buf, 0, key);
  return buf;
}

/** A provider context this process added: deleted (exactly once) by `close()` or disposal. */
export class WfpProviderContext implements Disposable {
  /** The provider-context key: the settings' `ipsec.mainModePolicyKey` / `quickModePolicyKey`. */
  readonly key: string;
  /** `'main'` (`FWPM_IPSEC_AUTHIP_MM_CONTEXT`) or `'quick'` (`FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT`). */
  readonly mode: 'main' | 'quick';
  /** The run-time id WFP assigned (`providerContextId`). */
  readonly id: bigint;
  #engine: WfpEngine;
  #closed = false;

  /** @internal Made by {@link WfpEngine.addPolicy}. */
  constructor(engine: WfpEngine, key: string, mode: 'main' | 'quick', id: bigint) {
    this.#engine = engine;
    this.key = key;
    this.mode = mode;
    this.id = id;
  }

  /** True once deleted (or discarded with an aborted transaction). */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  markClosed(closed: boolean): void {
    this.#closed = closed;
  }

  /**
   * Deletes the provider context (`FwpmProviderContextDeleteByKey0`). Idempotent; a context already
   * gone from WFP (`FWP_E_PROVIDER_CONTEXT_NOT_FOUND`) counts as deleted.
   * @throws SecureSocketError the mapped WFP error; the context then stays open (retry later).
   */
  close(): void {
    if (this.#closed) return;
    this.#engine.deleteContext(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * An open WFP engine session (`FwpmEngineOpen0`). Closing it deletes the provider contexts it
 * added that are still open, then closes the session (`FwpmEngineClose0`).
 */
export class WfpEngine implements Disposable {
  #lib: WfpLibrary;
  #handle: number;
  #closed = false;
  #live = new Set<WfpProviderContext>();
  /** Set while a transaction is open: what to undo on abort. */
  #txn: { added: WfpProviderContext[]; deleted: WfpProviderContext[] } | undefined;

  /** @internal Use {@link openWfpEngine}. */
  constructor(lib: WfpLibrary, handle: number) {
    this.#lib = lib;
    this.#handle = handle;
  }

  /** The engine HANDLE (for calls the wrappers do not cover). */
  get handle(): number {
    return this.#handle;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Provider contexts added through this session and not deleted yet. */
  get contexts(): readonly WfpProviderContext[] {
    return [...this.#live];
  }

  #check(syscall: string): void {
    if (this.#closed)
      throw new SecureSocketError('ERR_WSASEC_POLICY_STORE', `${syscall}: the WFP engine session is closed`, {
        syscall,
      });
  }

  /**
   * Runs `fn` in a WFP transaction (`FwpmTransactionBegin0` … `FwpmTransactionCommit0`): either
   * everything it adds and deletes is applied, or (it throws, or the commit fails) nothing is
   * (`FwpmTransactionAbort0`) and the contexts it added are closed without a delete. Inside an
   * open transaction `fn` simply runs in it. `fn` must be synchronous.
   * @throws SecureSocketError the mapped WFP error; ERR_WSASEC_INVALID_ARGUMENT when `fn` returns a promise.
   */
  transaction<T>(fn: () => T): T {
    this.#check('FwpmTransactionBegin0');
    if (this.#txn) return fn();
    checkWfp(this.#lib.FwpmTransactionBegin0(this.#handle, 0), 'FwpmTransactionBegin0');
    const txn: { added: WfpProviderContext[]; deleted: WfpProviderContext[] } = { added: [], deleted: [] };
    this.#txn = txn;
    let result: T;
    try {
      result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === 'function')
        invalid(
          'a WFP transaction callback must be synchronous; it returned a promise',
          'FwpmTransactionBegin0',
        );
      checkWfp(this.#lib.FwpmTransactionCommit0(this.#handle), 'FwpmTransactionCommit0');
    } catch (error) {
      this.#txn = undefined;
      // A failed commit has already aborted on the WFP side; an abort then answers
      // FWP_E_NO_TXN_IN_PROGRESS, which changes nothing.
      this.#lib.FwpmTransactionAbort0(this.#handle);
      for (const ctx of txn.added) {
        ctx.markClosed(true);
        this.#live.delete(ctx);
      }
      for (const ctx of txn.deleted) {
        ctx.markClosed(false);
        this.#live.add(ctx);
      }
      throw error;
    }
    this.#txn = undefined;
    return result;
  }

  /**
   * Adds one policy as a provider context. Same as `addPolicies([policy])[0]`.
   * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT (bad description, duplicate key), the
   *   mapped WFP error otherwise.
   */
  addPolicy(policy: WfpPolicy, opts: WfpAddPolicyOptions = {}): WfpProviderContext {
    return this.addPolicies([policy], opts)[0] as WfpProviderContext;
  }

  /**
   * Adds policies (as `realm.addPolicy()` takes them) as provider contexts in one transaction:
   * all or none. Every description is validated and encoded before anything is sent to WFP.
   * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT (bad description, repeated or existing
   *   key), WSAEACCES (not an administrator), the mapped WFP error otherwise.
   */
  addPolicies(policies: readonly WfpPolicy[], opts: WfpAddPolicyOptions = {}): WfpProviderContext[] {
    this.#check('FwpmProviderContextAdd0');
    if (!Array.isArray(policies) || policies.length === 0)
      invalid('addPolicies needs a non-empty array of policies { key, mode: "main" | "quick", … }');
    const name = checkName(opts?.name, 'policy name');
    const checked: CheckedWfpPolicy[] = policies.map((p) => checkWfpPolicy(p));
    const keys = new Set<string>();
    for (const p of checked) {
      if (keys.has(p.key))
        invalid(`policy key ${p.key} appears twice; each provider context needs its own key`);
      keys.add(p.key);
    }
    const encoded: [CheckedWfpPolicy, WfpEncoding][] = checked.map((p) => [
      p,
      encodeProviderContext(p, name ?? `wsasec ${p.mode}-mode policy`),
    ]);
    return this.transaction(() =>
      encoded.map(([policy, encoding]) => {
        const bytes = relocate(encoding, this.#lib.addressOf(encoding.bytes));
        const id: [bigint | number] = [0n];
        const status = this.#lib.FwpmProviderContextAdd0(this.#handle, bytes, null, id);
        if (status !== 0) throw wfpError(status, 'FwpmProviderContextAdd0', `policy ${policy.key}`);
        const ctx = new WfpProviderContext(this, policy.key, policy.mode, BigInt(id[0]));
        this.#live.add(ctx);
        this.#txn?.added.push(ctx);
        return ctx;
      }),
    );
  }

  /**
   * Deletes a provider context by key (`FwpmProviderContextDeleteByKey0`), e.g. one a previous run
   * left behind. A context this session added is better closed through its wrapper.
   * @throws SecureSocketError WSAEINVAL when no context has this key, the mapped WFP error otherwise.
   */
  deletePolicy(key: string): void {
    this.#check('FwpmProviderContextDeleteByKey0');
    let policyKey: string | undefined;
    try {
      policyKey = normalizeGuid(key, 'policy key', 'FwpmProviderContextDeleteByKey0');
    } catch (error) {
      invalid((error as Error).message, 'FwpmProviderContextDeleteByKey0');
    }
    if (!policyKey) invalid('policy key must be a non-zero GUID string', 'FwpmProviderContextDeleteByKey0');
    const mine = [...this.#live].find((c) => c.key === policyKey);
    if (mine) {
      this.deleteContext(mine);
      return;
    }
    checkWfp(
      this.#lib.FwpmProviderContextDeleteByKey0(this.#handle, guidBytes(policyKey)),
      'FwpmProviderContextDeleteByKey0',
      `policy ${policyKey}`,
    );
  }

  /**
   * The main-mode SA with this id (`IkeextSaGetById0`): pass `SecurityInfo.mmSaId` of an IPSEC2
   * query, as the advanced sample does to print what protects a connection. The memory WFP
   * returns is freed (`FwpmFreeMemory0`) before this returns.
   * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT (not a positive bigint), WSAEINVAL (no
   *   such SA: `FWP_E_NOT_FOUND`), the mapped WFP error otherwise.
   */
  mainModeSa(id: bigint): WfpMainModeSa {
    this.#check('IkeextSaGetById0');
    if (typeof id !== 'bigint' || id <= 0n || id > 0xffff_ffff_ffff_ffffn)
      invalid(
        `an SA id must be a positive 64-bit bigint (SecurityInfo.mmSaId), got ${String(id)}`,
        'IkeextSaGetById0',
      );
    const out: [unknown] = [null];
    checkWfp(this.#lib.IkeextSaGetById0(this.#handle, id, out), 'IkeextSaGetById0', `SA ${id}`);
    try {
      return decodeSaDetails(this.#lib.readBytes(out[0], WFP_STRUCT_LAYOUTS.IKEEXT_SA_DETAILS0.size));
    } finally {
      this.#lib.FwpmFreeMemory0(out);
    }
  }

  /**
   * The quick-mode SA context with this `saContextId` (`IPsecSaContextGetById0`), decoded. The
   * memory WFP returns is freed (`FwpmFreeMemory0`) before this returns, also when decoding fails.
   * For the SAs of a connection, use {@link WfpEngine.quickModeSas}.
   * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT (not a positive 64-bit bigint), WSAEINVAL
   *   (no such context: `FWP_E_NOT_FOUND`), ERR_WSASEC_INTERNAL (memory that cannot be an
   *   `IPSEC_SA_CONTEXT0`), the mapped WFP error otherwise.
   */
  quickModeSa(id: bigint): WfpQuickModeSa {
    const syscall = 'IPsecSaContextGetById0';
    this.#check(syscall);
    if (typeof id !== 'bigint' || id <= 0n || id > 0xffff_ffff_ffff_ffffn)
      invalid(`an SA context id must be a positive 64-bit bigint (saContextId), got ${String(id)}`, syscall);
    const out: [unknown] = [null];
    checkWfp(this.#lib.IPsecSaContextGetById0(this.#handle, id, out), syscall, `SA context ${id}`);
    try {
      return decodeSaContext(this.#read, BigInt((out[0] as bigint | null) ?? 0n));
    } finally {
      this.#lib.FwpmFreeMemory0(out);
    }
  }

  /**
   * The quick-mode SAs of a connected socket, as the advanced sample's
   * `MatchIPsecSAsForConnectedSocket` finds them: `IPsecSaContextCreateEnumHandle0` with the
   * connection's address pair, `IPsecSaContextEnum0` of every match, then the ones whose outbound
   * (else inbound) SA has the remote port of the connection (or any port) and the SA ids of its
   * IPSEC2 query. Where the sample matches the outbound SA's transport filter (`FwpmFilterEnum0`),
   * this matches the query's ids: `mmSaId` against `saBundle.mmSaId`, `qmSaId` against
   * `saBundle.qmSaId` (pass `{ mmSaId }` alone to match on the main-mode SA only). A connection in
   * clear text (both ids 0) has none: `[]`, without asking WFP. The memory and the enumeration
   * handle are released before this returns, also when decoding fails.
   *
   * ```ts
   * using info = socket.querySecurity({ ipsec2: {} });
   * const [qm] = engine.quickModeSas(info, socket);
   * ```
   * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT (no SA ids, ids that are not 64-bit
   *   bigints, addresses that are not two IP literals of one family, a bad port), WSAEACCES (not
   *   allowed to read SAs), ERR_WSASEC_INTERNAL (memory that cannot be an `IPSEC_SA_CONTEXT0`),
   *   the mapped WFP error otherwise.
   */
  quickModeSas(info: WfpSaIds, connection: WfpConnection): WfpQuickModeSa[] {
    const syscall = 'IPsecSaContextCreateEnumHandle0';
    this.#check(syscall);
    const ids = checkSaIds(info, syscall);
    const pair = checkConnection(connection, syscall);
    if (ids.mmSaId === 0n && ids.qmSaId === 0n) return [];
    const template = encodeSaContextEnumTemplate(pair);
    const bytes = relocate(template, this.#lib.addressOf(template.bytes));
    const enumHandle: [number] = [0];
    checkWfp(this.#lib.IPsecSaContextCreateEnumHandle0(this.#handle, bytes, enumHandle), syscall);
    let all: WfpQuickModeSa[];
    try {
      const entries: [unknown] = [null];
      const count: [number] = [0];
      checkWfp(
        this.#lib.IPsecSaContextEnum0(this.#handle, enumHandle[0], 0xffff_ffff, entries, count),
        'IPsecSaContextEnum0',
      );
      try {
        all = decodeSaContextList(this.#read, BigInt((entries[0] as bigint | null) ?? 0n), count[0]);
      } finally {
        this.#lib.FwpmFreeMemory0(entries);
      }
    } catch (error) {
      this.#lib.IPsecSaContextDestroyEnumHandle0(this.#handle, enumHandle[0]);
      throw error;
    }
    checkWfp(
      this.#lib.IPsecSaContextDestroyEnumHandle0(this.#handle, enumHandle[0]),
      'IPsecSaContextDestroyEnumHandle0',
    );
    return all.filter((sa) => {
      const d = sa.outboundSa ?? sa.inboundSa;
      if (!d) return false;
      if (pair.remotePort && d.traffic.remotePort && d.traffic.remotePort !== pair.remotePort) return false;
      if (ids.mmSaId !== 0n && d.mmSaId !== ids.mmSaId) return false;
      return ids.qmSaId === 0n || BigInt(d.qmSaId) === ids.qmSaId;
    });
  }

  #read = (ptr: bigint, length: number): Uint8Array => this.#lib.readBytes(ptr, length);

  /** @internal The delete behind {@link WfpProviderContext.close}. */
  deleteContext(ctx: WfpProviderContext): void {
    if (ctx.closed) return;
    this.#check('FwpmProviderContextDeleteByKey0');
    const status = this.#lib.FwpmProviderContextDeleteByKey0(this.#handle, guidBytes(ctx.key));
    if (status !== 0 && status >>> 0 !== FWP_E_PROVIDER_CONTEXT_NOT_FOUND)
      throw wfpError(status, 'FwpmProviderContextDeleteByKey0', `policy ${ctx.key}`);
    ctx.markClosed(true);
    this.#live.delete(ctx);
    this.#txn?.deleted.push(ctx);
  }

  /**
   * Deletes the open provider contexts of this session, then closes it (`FwpmEngineClose0`).
   * Idempotent. The session is closed even when a delete fails; the first error is thrown after.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#txn) {
      this.#lib.FwpmTransactionAbort0(this.#handle);
      for (const ctx of this.#txn.added) {
        ctx.markClosed(true);
        this.#live.delete(ctx);
      }
      for (const ctx of this.#txn.deleted) {
        ctx.markClosed(false);
        this.#live.add(ctx);
      }
      this.#txn = undefined;
    }
    let first: unknown;
    for (const ctx of [...this.#live]) {
      try {
        this.deleteContext(ctx);
      } catch (error) {
        first ??= error;
        ctx.markClosed(true);
        this.#live.delete(ctx);
      }
    }
    this.#closed = true;
    const status = this.#lib.FwpmEngineClose0(this.#handle);
    if (first) throw first;
    checkWfp(status, 'FwpmEngineClose0');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const FWP_E_PROVIDER_CONTEXT_NOT_FOUND = 0x80320006;

/**
 * Opens a WFP engine session on the local machine (`FwpmEngineOpen0` with `RPC_C_AUTHN_WINNT` and
 * an `FWPM_SESSION0`). Adding provider contexts needs administrator rights.
 * @throws SecureSocketError ERR_WSASEC_INVALID_ARGUMENT (bad options), ERR_WSASEC_UNSUPPORTED_PLATFORM
 *   (no fwpuclnt.dll), ERR_WSASEC_POLICY_STORE (the Base Filtering Engine is not running), the mapped
 *   WFP error otherwise.
 */
export function openWfpEngine(opts: WfpEngineOptions = {}): WfpEngine {
  const syscall = 'FwpmEngineOpen0';
  if (typeof opts !== 'object' || opts === null) invalid('openWfpEngine options must be an object', syscall);
  if (opts.dynamic !== undefined && typeof opts.dynamic !== 'boolean')
    invalid(`dynamic must be true or false, got ${String(opts.dynamic)}`, syscall);
  const wait = opts.txnWaitTimeoutMs ?? 0;
  if (!Number.isInteger(wait) || wait < 0 || wait > 0xffff_ffff)
    invalid(`txnWaitTimeoutMs must be a whole number of milliseconds from 0 to 4294967295`, syscall);
  const name = checkName(opts.sessionName, 'sessionName', syscall) ?? 'wsasec';
  const lib = opts.library ?? createKoffiWfpLibrary();
  const session = encodeSession({ name, dynamic: opts.dynamic === true, txnWaitTimeoutMs: wait });
  const bytes = relocate(session, lib.addressOf(session.bytes));
  const handle: [number] = [0];
  checkWfp(lib.FwpmEngineOpen0(null, WFP_CONSTANTS.RPC_C_AUTHN_WINNT, null, bytes, handle), syscall);
  return new WfpEngine(lib, Number(handle[0]));
}
