// A WfpLibrary for Linux tests: WFP's provider-context store in JavaScript, with transactions
// (abort restores the keys), FWP_E_ALREADY_EXISTS / FWP_E_PROVIDER_CONTEXT_NOT_FOUND as WFP
// answers them, injected failures, and every call recorded. Contexts are decoded from the bytes the
// wrappers pass, following their pointers from the buffer's real address (koffi on Linux).
import koffi from 'koffi';
import { readGuid } from '../../src/abi/settings.js';
import { type DecodedProviderContext, decodeProviderContext, relocate } from '../../src/wfp/encode.js';
import { WFP_CONSTANTS, WFP_STRUCT_LAYOUTS } from '../../src/wfp/layout.js';
import type { WfpLibrary } from '../../src/wfp/library.js';
import {
  decodeSaContextEnumTemplate,
  encodeSaContextList,
  type WfpIpsecSaDetails,
  type WfpQuickModeSa,
} from '../../src/wfp/sa.js';

export type WfpFn = Exclude<keyof WfpLibrary, 'addressOf' | 'readBytes'>;

export interface WfpCall {
  fn: WfpFn;
  engine: number;
  /** FwpmProviderContextAdd0: the decoded context; DeleteByKey0: the key. */
  context?: DecodedProviderContext;
  /** FwpmEngineOpen0: `FWPM_SESSION0.flags`. */
  sessionFlags?: number;
  key?: string | undefined;
  /** IPsecSaContextCreateEnumHandle0: the template's address pair; Enum0 / Destroy: the enum handle. */
  template?: { localAddress: string | undefined; remoteAddress: string | undefined } | null;
  enumHandle?: number;
  /** IPsecSaContextEnum0: numEntriesRequested. */
  requested?: number;
}

export const FWP_E_ALREADY_EXISTS = 0x80320009;
export const FWP_E_PROVIDER_CONTEXT_NOT_FOUND = 0x80320006;
export const FWP_E_TXN_ABORTED = 0x8032000f;
export const FWP_E_NO_TXN_IN_PROGRESS = 0x8032000d;
export const FWP_E_TXN_IN_PROGRESS = 0x8032000e;

export class FakeWfp implements WfpLibrary {
  readonly calls: WfpCall[] = [];
  /** Keys WFP holds now (committed or in the open transaction). */
  readonly keys = new Set<string>();
  readonly openEngines = new Set<number>();
  private saved: Set<string> | undefined;
  private nextEngine = 0x100;
  private nextId = 7000n;
  private failures = new Map<WfpFn, { status: number; times: number; skip: number }>();

  /** Makes the call of `fn` after `skip` successful ones fail with `status`, `times` times. */
  fail(fn: WfpFn, status: number, { times = 1, skip = 0 } = {}): void {
    this.failures.set(fn, { status, times, skip });
  }

  callsOf(fn: WfpFn): WfpCall[] {
    return this.calls.filter((c) => c.fn === fn);
  }

  private injected(fn: WfpFn): number {
    const f = this.failures.get(fn);
    if (!f || f.times <= 0) return 0;
    if (f.skip > 0) {
      f.skip--;
      return 0;
    }
    f.times--;
    return f.status;
  }

  private checkEngine(engine: number): boolean {
    return this.openEngines.has(engine);
  }

  FwpmEngineOpen0(_s: null, _a: number, _i: null, session: Uint8Array | null, out: [number]): number {
    const flagsAt = WFP_STRUCT_LAYOUTS.FWPM_SESSION0.offsets.flags;
    this.calls.push({
      fn: 'FwpmEngineOpen0',
      engine: 0,
      ...(session ? { sessionFlags: Buffer.from(session).readUInt32LE(flagsAt) } : {}),
    });
    const failed = this.injected('FwpmEngineOpen0');
    if (failed) return failed;
    out[0] = this.nextEngine;
    this.openEngines.add(this.nextEngine);
    this.nextEngine += 4;
    return 0;
  }

  FwpmEngineClose0(engine: number): number {
    this.calls.push({ fn: 'FwpmEngineClose0', engine });
    if (!this.checkEngine(engine)) return 6;
    this.openEngines.delete(engine);
    if (this.saved) this.FwpmTransactionAbort0(engine);
    return this.injected('FwpmEngineClose0');
  }

  FwpmTransactionBegin0(engine: number, _flags: number): number {
    this.calls.push({ fn: 'FwpmTransactionBegin0', engine });
    if (!this.checkEngine(engine)) return 6;
    const failed = this.injected('FwpmTransactionBegin0');
    if (failed) return failed;
    if (this.saved) return FWP_E_TXN_IN_PROGRESS;
    this.saved = new Set(this.keys);
    return 0;
  }

  FwpmTransactionCommit0(engine: number): number {
    this.calls.push({ fn: 'FwpmTransactionCommit0', engine });
    if (!this.saved) return FWP_E_NO_TXN_IN_PROGRESS;
    const failed = this.injected('FwpmTransactionCommit0');
    if (failed) {
      this.restore();
      return failed;
    }
    this.saved = undefined;
    return 0;
  }

  FwpmTransactionAbort0(engine: number): number {
    this.calls.push({ fn: 'FwpmTransactionAbort0', engine });
    if (!this.saved) return FWP_E_NO_TXN_IN_PROGRESS;
    this.restore();
    return 0;
  }

  private restore(): void {
    this.keys.clear();
    for (const k of this.saved ?? []) this.keys.add(k);
    this.saved = undefined;
  }

  FwpmProviderContextAdd0(engine: number, ctx: Uint8Array, _sd: null, id: [bigint | number]): number {
    const context = decodeProviderContext(ctx, this.addressOf(ctx));
    this.calls.push({ fn: 'FwpmProviderContextAdd0', engine, context });
    if (!this.checkEngine(engine)) return 6;
    const failed = this.injected('FwpmProviderContextAdd0');
    if (failed) return failed;
    if (!context.key || !context.policy) return 0x80320035; // FWP_E_INVALID_PARAMETER
    if (this.keys.has(context.key)) return FWP_E_ALREADY_EXISTS;
    this.keys.add(context.key);
    id[0] = this.nextId++;
    return 0;
  }

  FwpmProviderContextDeleteByKey0(engine: number, key: Uint8Array): number {
    const k = readGuid(key, 0);
    this.calls.push({ fn: 'FwpmProviderContextDeleteByKey0', engine, key: k });
    if (!this.checkEngine(engine)) return 6;
    const failed = this.injected('FwpmProviderContextDeleteByKey0');
    if (failed) return failed;
    if (!k || !this.keys.has(k)) return FWP_E_PROVIDER_CONTEXT_NOT_FOUND;
    this.keys.delete(k);
    return 0;
  }

  /** Main-mode SAs IkeextSaGetById0 knows, as IKEEXT_SA_DETAILS0 bytes by id. */
  readonly sas = new Map<bigint, Buffer>();
  /** SA memory handed out and not freed yet. */
  readonly allocated = new Set<Buffer>();

  IkeextSaGetById0(engine: number, id: bigint, out: [unknown]): number {
    this.calls.push({ fn: 'IkeextSaGetById0', engine, key: String(id) });
    if (!this.checkEngine(engine)) return 6;
    const failed = this.injected('IkeextSaGetById0');
    if (failed) return failed;
    const sa = this.sas.get(id);
    if (!sa) return 0x80320008; // FWP_E_NOT_FOUND
    const copy = Buffer.from(sa);
    this.allocated.add(copy);
    out[0] = copy;
    return 0;
  }

  /** Quick-mode SA contexts IPsecSaContextEnum0 / IPsecSaContextGetById0 know. */
  readonly qmSas: WfpQuickModeSa[] = [];
  /** Enumeration handles not destroyed yet, with the address pair each selects. */
  readonly openEnums = new Map<
    number,
    { localAddress?: string | undefined; remoteAddress?: string | undefined }
  >();
  private nextEnum = 0x900;
  /** Memory handed out as a real address (what koffi gives for `void **`), by that address. */
  private readonly blocks = new Map<bigint, { base: bigint; bytes: Buffer }>();

  /** Encodes SA contexts into memory of its own, as WFP would allocate it; returns the array's address. */
  private handOut(list: readonly WfpQuickModeSa[]): bigint {
    const encoding = encodeSaContextList(list);
    const base = this.addressOf(encoding.bytes);
    const bytes = relocate(encoding, base);
    this.allocated.add(bytes);
    this.blocks.set(base, { base, bytes });
    return base;
  }

  IPsecSaContextGetById0(engine: number, id: bigint, out: [unknown]): number {
    this.calls.push({ fn: 'IPsecSaContextGetById0', engine, key: String(id) });
    if (!this.checkEngine(engine)) return 6;
    const failed = this.injected('IPsecSaContextGetById0');
    if (failed) return failed;
    const sa = this.qmSas.find((c) => c.saContextId === id);
    if (!sa) return 0x80320008; // FWP_E_NOT_FOUND
    // One context: the array's single pointer is what the caller gets (and frees).
    const base = this.handOut([sa]);
    const block = this.blocks.get(base) as { base: bigint; bytes: Buffer };
    const context = block.bytes.readBigUInt64LE(0);
    this.blocks.delete(base);
    this.blocks.set(context, block);
    out[0] = context;
    return 0;
  }

  IPsecSaContextCreateEnumHandle0(engine: number, template: Uint8Array | null, out: [number]): number {
    const pair = template ? decodeSaContextEnumTemplate(template, (p, n) => this.readBytes(p, n)) : null;
    this.calls.push({ fn: 'IPsecSaContextCreateEnumHandle0', engine, template: pair });
    if (!this.checkEngine(engine)) return 6;
    const failed = this.injected('IPsecSaContextCreateEnumHandle0');
    if (failed) return failed;
    out[0] = this.nextEnum;
    this.openEnums.set(this.nextEnum, pair ?? {});
    this.nextEnum += 4;
    return 0;
  }

  IPsecSaContextEnum0(
    engine: number,
    enumHandle: number,
    requested: number,
    entries: [unknown],
    returned: [number],
  ): number {
    this.calls.push({ fn: 'IPsecSaContextEnum0', engine, enumHandle, requested });
    if (!this.checkEngine(engine)) return 6;
    const pair = this.openEnums.get(enumHandle);
    if (!pair) return 6;
    const failed = this.injected('IPsecSaContextEnum0');
    if (failed) return failed;
    const matching = this.qmSas.filter((c) => {
      const t = (c.outboundSa ?? c.inboundSa)?.traffic;
      return (
        (!pair.localAddress || t?.localAddress === pair.localAddress) &&
        (!pair.remoteAddress || t?.remoteAddress === pair.remoteAddress)
      );
    });
    entries[0] = matching.length > 0 ? this.handOut(matching.slice(0, requested)) : null;
    returned[0] = Math.min(matching.length, requested);
    return 0;
  }

  IPsecSaContextDestroyEnumHandle0(engine: number, enumHandle: number): number {
    this.calls.push({ fn: 'IPsecSaContextDestroyEnumHandle0', engine, enumHandle });
    if (!this.checkEngine(engine) || !this.openEnums.delete(enumHandle)) return 6;
    return this.injected('IPsecSaContextDestroyEnumHandle0');
  }

  FwpmFreeMemory0(p: [unknown]): void {
    this.calls.push({ fn: 'FwpmFreeMemory0', engine: 0 });
    if (typeof p[0] === 'bigint') {
      const block = this.blocks.get(p[0]);
      if (block) this.allocated.delete(block.bytes);
      this.blocks.delete(p[0]);
    } else this.allocated.delete(p[0] as Buffer);
    p[0] = null;
  }

  /** Buffers as they were handed out; addresses inside a live block (else it throws, as a crash would). */
  readBytes(ptr: unknown, length: number): Uint8Array {
    if (typeof ptr !== 'bigint') return (ptr as Buffer).subarray(0, length);
    for (const { base, bytes } of this.blocks.values()) {
      if (ptr >= base && ptr + BigInt(length) <= base + BigInt(bytes.length))
        return bytes.subarray(Number(ptr - base), Number(ptr - base) + length);
    }
    // The template's IPv6 bytes live in the caller's own buffer: read them for real.
    if (length === 16)
      return Uint8Array.from(koffi.decode(ptr, koffi.array('uint8_t', 16)) as ArrayLike<number>);
    throw new Error(
      `FakeWfp: read of ${length} bytes at 0x${ptr.toString(16)}, outside the memory it handed out`,
    );
  }

  addressOf(buf: Uint8Array): bigint {
    return BigInt(koffi.address(buf) as bigint | number);
  }
}

/**
 * One direction of a quick-mode SA as the fake's tests script it: 127.0.0.1 → 10.0.0.2 port
 * 27015, ESP AES-256-GCM, the ids the fake library's IPSEC2 query reports; `over` replaces fields.
 */
export function sampleSaDetails(
  saDirection: 'inbound' | 'outbound',
  over: Partial<WfpIpsecSaDetails> = {},
): WfpIpsecSaDetails {
  return {
    ipVersion: 4,
    saDirection,
    traffic: {
      localAddress: '127.0.0.1',
      remoteAddress: '10.0.0.2',
      trafficType: 'transport',
      ipsecFilterId: 0x51n,
      remotePort: 27015,
    },
    flags: 0,
    lifetime: { seconds: 3600, kilobytes: 57_671_680, packets: 0x7fff_ffff },
    idleTimeoutSeconds: 300,
    ndAllowClearTimeoutSeconds: 10,
    qmSaId: 42,
    mmSaId: 0x1122334455667788n,
    pfsGroup: 0,
    saList: [
      {
        spi: saDirection === 'inbound' ? 0x20 : 0x10,
        saTransformType: WFP_CONSTANTS.IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER,
        auth: { authType: WFP_CONSTANTS.IPSEC_AUTH_AES_256, authConfig: 5 },
        cipher: { cipherType: WFP_CONSTANTS.IPSEC_CIPHER_TYPE_AES_256, cipherConfig: 8 },
      },
    ],
    ...over,
  };
}

/** A quick-mode SA context of two {@link sampleSaDetails} directions. */
export function sampleSaContext(saContextId: bigint, over: Partial<WfpIpsecSaDetails> = {}): WfpQuickModeSa {
  return {
    saContextId,
    inboundSa: sampleSaDetails('inbound', over),
    outboundSa: sampleSaDetails('outbound', over),
  };
}
