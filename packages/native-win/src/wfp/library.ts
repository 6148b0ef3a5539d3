/**
 * The WFP management functions of `fwpuclnt.dll` the policy wrappers call: their small structural
 * interface (tests inject their own) and its production binding through koffi, loaded lazily.
 * Every function returns its status (`ERROR_SUCCESS`, `FWP_E_*` or a Win32 error) as a `DWORD`;
 * none of them sets the thread's last error.
 * @module
 */
import { SecureSocketError } from '@wsasec/core';
import type { LibraryHandle } from 'koffi';
import { type Koffi, loadKoffi } from '../library/koffi.js';

/** The WFP functions, with the C names and parameter order. A HANDLE is a JS number (`intptr_t`). */
export interface WfpLibrary {
  /**
   * `FwpmEngineOpen0(serverName, authnService, authIdentity, session, engineHandle)`.
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-fwpmengineopen0
   */
  FwpmEngineOpen0(
    serverName: null,
    authnService: number,
    authIdentity: null,
    session: Uint8Array | null,
    engineHandle: [number],
  ): number;
  /** `FwpmEngineClose0(engineHandle)`. */
  FwpmEngineClose0(engineHandle: number): number;
  /** `FwpmTransactionBegin0(engineHandle, flags)`. */
  FwpmTransactionBegin0(engineHandle: number, flags: number): number;
  /** `FwpmTransactionCommit0(engineHandle)`. */
  FwpmTransactionCommit0(engineHandle: number): number;
  /** `FwpmTransactionAbort0(engineHandle)`. */
  FwpmTransactionAbort0(engineHandle: number): number;
  /**
   * `FwpmProviderContextAdd0(engineHandle, providerContext, sd, id)`.
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-fwpmprovidercontextadd0
   */
  FwpmProviderContextAdd0(
    engineHandle: number,
    providerContext: Uint8Array,
    sd: null,
    id: [bigint | number],
  ): number;
  /** `FwpmProviderContextDeleteByKey0(engineHandle, key)` (key: a 16-byte GUID). */
  FwpmProviderContextDeleteByKey0(engineHandle: number, key: Uint8Array): number;
  /**
   * `IkeextSaGetById0(engineHandle, id, sa)`: the main-mode SA with this id (the IPSEC2 query's
   * `MmSaId`); `sa` receives memory WFP allocated, freed with {@link WfpLibrary.FwpmFreeMemory0}.
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-ikeextsagetbyid0
   */
  IkeextSaGetById0(engineHandle: number, id: bigint, sa: [unknown]): number;
  /**
   * `IPsecSaContextGetById0(engineHandle, id, saContext)`: the quick-mode SA context with this
   * `saContextId`; `saContext` receives memory WFP allocated (free it with `FwpmFreeMemory0`).
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-ipsecsacontextgetbyid0
   */
  IPsecSaContextGetById0(engineHandle: number, id: bigint, saContext: [unknown]): number;
  /**
   * `IPsecSaContextCreateEnumHandle0(engineHandle, enumTemplate, enumHandle)`: an enumeration of
   * the SA contexts an `IPSEC_SA_CONTEXT_ENUM_TEMPLATE0` selects (NULL: all of them).
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-ipsecsacontextcreateenumhandle0
   */
  IPsecSaContextCreateEnumHandle0(
    engineHandle: number,
    enumTemplate: Uint8Array | null,
    enumHandle: [number],
  ): number;
  /**
   * `IPsecSaContextEnum0(engineHandle, enumHandle, numEntriesRequested, entries, numEntriesReturned)`:
   * `entries` receives an `IPSEC_SA_CONTEXT0 **` array WFP allocated (one `FwpmFreeMemory0` frees it).
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-ipsecsacontextenum0
   */
  IPsecSaContextEnum0(
    engineHandle: number,
    enumHandle: number,
    numEntriesRequested: number,
    entries: [unknown],
    numEntriesReturned: [number],
  ): number;
  /**
   * `IPsecSaContextDestroyEnumHandle0(engineHandle, enumHandle)`.
   * @see https://learn.microsoft.com/windows/win32/api/fwpmu/nf-fwpmu-ipsecsacontextdestroyenumhandle0
   */
  IPsecSaContextDestroyEnumHandle0(engineHandle: number, enumHandle: number): number;
  /** `FwpmFreeMemory0(p)`: frees what a WFP function returned and sets `*p` to NULL. */
  FwpmFreeMemory0(p: [unknown]): void;
  /** The address of a buffer's first byte (to write the pointers of a self-contained encoding). */
  addressOf(buf: Uint8Array): bigint;
  /** Copies `length` bytes from a pointer a WFP function returned. */
  readBytes(ptr: unknown, length: number): Uint8Array;
}

const PROTOTYPES: Record<Exclude<keyof WfpLibrary, 'addressOf' | 'readBytes'>, string> = {
  FwpmEngineOpen0:
    'uint32_t __stdcall FwpmEngineOpen0(const char16_t *serverName, uint32_t authnService, void *authIdentity, const void *session, _Out_ intptr_t *engineHandle)',
  FwpmEngineClose0: 'uint32_t __stdcall FwpmEngineClose0(intptr_t engineHandle)',
  FwpmTransactionBegin0: 'uint32_t __stdcall FwpmTransactionBegin0(intptr_t engineHandle, uint32_t flags)',
  FwpmTransactionCommit0: 'uint32_t __stdcall FwpmTransactionCommit0(intptr_t engineHandle)',
  FwpmTransactionAbort0: 'uint32_t __stdcall FwpmTransactionAbort0(intptr_t engineHandle)',
  FwpmProviderContextAdd0:
    'uint32_t __stdcall FwpmProviderContextAdd0(intptr_t engineHandle, const void *providerContext, void *sd, _Out_ uint64_t *id)',
  FwpmProviderContextDeleteByKey0:
    'uint32_t __stdcall FwpmProviderContextDeleteByKey0(intptr_t engineHandle, const void *key)',
  IkeextSaGetById0:
    'uint32_t __stdcall IkeextSaGetById0(intptr_t engineHandle, uint64_t id, _Out_ void **sa)',
  IPsecSaContextGetById0:
    'uint32_t __stdcall IPsecSaContextGetById0(intptr_t engineHandle, uint64_t id, _Out_ void **saContext)',
  IPsecSaContextCreateEnumHandle0:
    'uint32_t __stdcall IPsecSaContextCreateEnumHandle0(intptr_t engineHandle, const void *enumTemplate, _Out_ intptr_t *enumHandle)',
  IPsecSaContextEnum0:
    'uint32_t __stdcall IPsecSaContextEnum0(intptr_t engineHandle, intptr_t enumHandle, uint32_t numEntriesRequested, _Out_ void **entries, _Out_ uint32_t *numEntriesReturned)',
  IPsecSaContextDestroyEnumHandle0:
    'uint32_t __stdcall IPsecSaContextDestroyEnumHandle0(intptr_t engineHandle, intptr_t enumHandle)',
  FwpmFreeMemory0: 'void __stdcall FwpmFreeMemory0(_Inout_ void **p)',
};

/** Options of {@link createKoffiWfpLibrary}. */
export interface KoffiWfpLibraryOptions {
  /** Where to load `fwpuclnt.dll` from (default: the system search order). */
  fwpuclntPath?: string;
}

/**
 * Binds the {@link WfpLibrary} functions through koffi; `fwpuclnt.dll` is loaded on the first call.
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM (on first use) when it cannot be loaded.
 */
export function createKoffiWfpLibrary(opts: KoffiWfpLibraryOptions = {}): WfpLibrary {
  let koffi: Koffi | undefined;
  let dll: LibraryHandle | undefined;
  const bound = new Map<string, (...args: unknown[]) => unknown>();
  const fn = (name: keyof typeof PROTOTYPES) => {
    let f = bound.get(name);
    if (f) return f;
    try {
      koffi ??= loadKoffi();
      dll ??= koffi.load(opts.fwpuclntPath ?? 'fwpuclnt.dll');
      f = dll.func(PROTOTYPES[name]) as (...args: unknown[]) => unknown;
    } catch (error) {
      if (SecureSocketError.isInstance(error)) throw error;
      throw new SecureSocketError(
        'ERR_WSASEC_UNSUPPORTED_PLATFORM',
        `fwpuclnt.dll (${name}) could not be loaded: WFP policies need Windows Vista or later`,
        { cause: error },
      );
    }
    bound.set(name, f);
    return f;
  };
  const lib: Record<string, unknown> = {};
  for (const name of Object.keys(PROTOTYPES) as (keyof typeof PROTOTYPES)[]) {
    lib[name] = (...args: unknown[]) => fn(name)(...args);
  }
  lib.addressOf = (buf: Uint8Array) => {
    koffi ??= loadKoffi();
    return BigInt(koffi.address(buf) as bigint | number);
  };
  lib.readBytes = (ptr: unknown, length: number) => {
    koffi ??= loadKoffi();
    return Uint8Array.from(koffi.decode(ptr, koffi.array('uint8_t', length)) as ArrayLike<number>);
  };
  return lib as unknown as WfpLibrary;
}
