/**
 * The production {@link NativeLibrary}: every function bound through koffi with fixed-width types
 * (SOCKET and HANDLE as `intptr_t`, ULONG as `uint32_t`), each DLL loaded on the first call of one
 * of its functions. Never imported on a platform without the DLLs.
 * @module
 */
import { SecureSocketError } from '@wsasec/core';
import type { LibraryHandle } from 'koffi';
import { type Koffi, loadKoffi } from './koffi.js';
import type { NativeLibrary, NativePollHandle } from './library.js';

type Dll = 'ws2_32.dll' | 'fwpuclnt.dll' | 'advapi32.dll' | 'kernel32.dll';

/** The C prototype of every function, by DLL (WSAAPI/WINAPI is `__stdcall`, ignored on x64). */
const PROTOTYPES: Record<Dll, Record<string, string>> = {
  'ws2_32.dll': {
    WSASocketW:
      'intptr_t __stdcall WSASocketW(int af, int type, int protocol, void *lpProtocolInfo, uint32_t g, uint32_t dwFlags)',
    closesocket: 'int __stdcall closesocket(intptr_t s)',
    bind: 'int __stdcall bind(intptr_t s, const void *name, int namelen)',
    listen: 'int __stdcall listen(intptr_t s, int backlog)',
    accept: 'intptr_t __stdcall accept(intptr_t s, void *addr, _Inout_ int *addrlen)',
    getsockname: 'int __stdcall getsockname(intptr_t s, void *name, _Inout_ int *namelen)',
    setsockopt:
      'int __stdcall setsockopt(intptr_t s, int level, int optname, const void *optval, int optlen)',
    sendto:
      'int __stdcall sendto(intptr_t s, const void *buf, int len, int flags, const void *to, int tolen)',
    recvfrom:
      'int __stdcall recvfrom(intptr_t s, void *buf, int len, int flags, void *from, _Inout_ int *fromlen)',
    WSAGetLastError: 'int __stdcall WSAGetLastError()',
  },
  'fwpuclnt.dll': {
    WSASetSocketSecurity:
      'int __stdcall WSASetSocketSecurity(intptr_t Socket, const void *SecuritySettings, uint32_t SecuritySettingsLen, void *Overlapped, void *CompletionRoutine)',
    WSASetSocketPeerTargetName:
      'int __stdcall WSASetSocketPeerTargetName(intptr_t Socket, const void *PeerTargetName, uint32_t PeerTargetNameLen, void *Overlapped, void *CompletionRoutine)',
    WSADeleteSocketPeerTargetName:
      'int __stdcall WSADeleteSocketPeerTargetName(intptr_t Socket, const void *PeerAddr, uint32_t PeerAddrLen, void *Overlapped, void *CompletionRoutine)',
    WSAQuerySocketSecurity:
      'int __stdcall WSAQuerySocketSecurity(intptr_t Socket, const void *SecurityQueryTemplate, uint32_t SecurityQueryTemplateLen, void *SecurityQueryInfo, _Inout_ uint32_t *SecurityQueryInfoLen, void *Overlapped, void *CompletionRoutine)',
    WSAImpersonateSocketPeer:
      'int __stdcall WSAImpersonateSocketPeer(intptr_t Socket, const void *PeerAddr, uint32_t PeerAddrLen)',
    WSARevertImpersonation: 'int __stdcall WSARevertImpersonation()',
  },
  'advapi32.dll': {
    GetTokenInformation:
      'int __stdcall GetTokenInformation(intptr_t TokenHandle, int TokenInformationClass, void *TokenInformation, uint32_t TokenInformationLength, _Out_ uint32_t *ReturnLength)',
    LookupAccountSidW:
      'int __stdcall LookupAccountSidW(const char16_t *lpSystemName, const void *Sid, void *Name, _Inout_ uint32_t *cchName, void *ReferencedDomainName, _Inout_ uint32_t *cchReferencedDomainName, _Out_ int *peUse)',
    ConvertSidToStringSidW: 'int __stdcall ConvertSidToStringSidW(const void *Sid, _Out_ void **StringSid)',
    ImpersonateLoggedOnUser: 'int __stdcall ImpersonateLoggedOnUser(intptr_t hToken)',
    RevertToSelf: 'int __stdcall RevertToSelf()',
    DuplicateToken:
      'int __stdcall DuplicateToken(intptr_t ExistingTokenHandle, int ImpersonationLevel, _Out_ intptr_t *DuplicateTokenHandle)',
    OpenProcessToken:
      'int __stdcall OpenProcessToken(intptr_t ProcessHandle, uint32_t DesiredAccess, _Out_ intptr_t *TokenHandle)',
    OpenThreadToken:
      'int __stdcall OpenThreadToken(intptr_t ThreadHandle, uint32_t DesiredAccess, int OpenAsSelf, _Out_ intptr_t *TokenHandle)',
    AccessCheck:
      'int __stdcall AccessCheck(void *pSecurityDescriptor, intptr_t ClientToken, uint32_t DesiredAccess, const void *GenericMapping, void *PrivilegeSet, _Inout_ uint32_t *PrivilegeSetLength, _Out_ uint32_t *GrantedAccess, _Out_ int *AccessStatus)',
    ConvertStringSecurityDescriptorToSecurityDescriptorW:
      'int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *StringSecurityDescriptor, uint32_t StringSDRevision, _Out_ void **SecurityDescriptor, void *SecurityDescriptorSize)',
  },
  'kernel32.dll': {
    GetLastError: 'uint32_t __stdcall GetLastError()',
    CloseHandle: 'int __stdcall CloseHandle(intptr_t hObject)',
    LocalFree: 'void *__stdcall LocalFree(void *hMem)',
  },
};

/** Options of {@link createKoffiLibrary}. */
export interface KoffiLibraryOptions {
  /** Where to load `fwpuclnt.dll` from (default: the system search order, i.e. next to node.exe, then System32). */
  fwpuclntPath?: string;
}

/**
 * Binds every {@link NativeLibrary} function through koffi, loading each DLL lazily.
 * @throws SecureSocketError ERR_WSASEC_UNSUPPORTED_PLATFORM (on first use) when a DLL or function is missing.
 */
export function createKoffiLibrary(opts: KoffiLibraryOptions = {}): NativeLibrary {
  let koffi: Koffi | undefined;
  const dlls = new Map<Dll, LibraryHandle>();
  const bound = new Map<string, (...args: unknown[]) => unknown>();
  const k = () => {
    koffi ??= loadKoffi();
    return koffi;
  };
  const fn = (dll: Dll, name: string) => {
    let f = bound.get(name);
    if (f) return f;
    let handle = dlls.get(dll);
    try {
      if (!handle) {
        handle = k().load(dll === 'fwpuclnt.dll' && opts.fwpuclntPath ? opts.fwpuclntPath : dll);
        dlls.set(dll, handle);
      }
      f = handle.func(PROTOTYPES[dll][name] as string) as (...args: unknown[]) => unknown;
    } catch (error) {
      throw new SecureSocketError(
        'ERR_WSASEC_UNSUPPORTED_PLATFORM',
        `${dll} (${name}) could not be loaded: the Winsock Secure Socket Extensions need Windows Vista or later`,
        { cause: error },
      );
    }
    bound.set(name, f);
    return f;
  };
  const call =
    (dll: Dll, name: string) =>
    (...args: unknown[]) =>
      fn(dll, name)(...args);
  const lib: Record<string, unknown> = {};
  for (const [dll, prototypes] of Object.entries(PROTOTYPES) as [Dll, Record<string, string>][]) {
    for (const name of Object.keys(prototypes)) lib[name] = call(dll, name);
  }
  lib.addressOf = (buf: Uint8Array) => k().address(buf);
  lib.readWideString = (ptr: unknown) => k().decode(ptr, 'char16_t', -1) as string;
  lib.poll = (s: number, onReadable: (status: number) => void): NativePollHandle => {
    // koffi's typings say the callback gets the events only; it really gets (status, events).
    const callback = ((status: number) => onReadable(status)) as unknown as (ev: unknown) => void;
    return k().node.poll(s, { readable: true }, callback);
  };
  return lib as unknown as NativeLibrary;
}
