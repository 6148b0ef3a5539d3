/**
 * The small structural interface of every Windows function the backend calls, with Windows
 * semantics and Windows constant values. The production implementation binds them through koffi
 * (`koffi-library.ts`); tests inject their own object (as kysely does for its drivers).
 *
 * Conventions: a SOCKET or HANDLE is a JS number (koffi `intptr_t`; INVALID_SOCKET is -1). Byte
 * buffers are passed as `Uint8Array` (koffi passes their memory). An `_Out_`/`_Inout_` scalar is a
 * one-element array the function writes. Pointers the library returns (LocalAlloc'd strings and
 * security descriptors) are opaque values handed back to `readWideString` / `LocalFree`.
 * @module
 */

/** An opaque native pointer (a koffi external in production). */
export type NativePointer = unknown;

/** A watch on a SOCKET's readability (`koffi.node.poll`). */
export interface NativePollHandle {
  /** Stops watching and releases the watch (`uv_close`). Idempotent. */
  close(): void;
  ref(): void;
  unref(): void;
}

/** Every function the backend calls. Names and parameter order are the C ones. */
export interface NativeLibrary {
  // ws2_32.dll
  /** `WSASocketW(af, type, protocol, lpProtocolInfo, g, dwFlags)` → SOCKET or -1. */
  WSASocketW(
    af: number,
    type: number,
    protocol: number,
    protocolInfo: null,
    group: number,
    flags: number,
  ): number;
  /** `closesocket(s)` → 0 or SOCKET_ERROR. */
  closesocket(s: number): number;
  /** `bind(s, name, namelen)`. */
  bind(s: number, name: Uint8Array, namelen: number): number;
  /** `listen(s, backlog)`. */
  listen(s: number, backlog: number): number;
  /** `accept(s, addr, addrlen)` → SOCKET or -1 (WSAEWOULDBLOCK when nothing is pending). */
  accept(s: number, addr: Uint8Array | null, addrlen: [number] | null): number;
  /** `getsockname(s, name, namelen)`. */
  getsockname(s: number, name: Uint8Array, namelen: [number]): number;
  /** `setsockopt(s, level, optname, optval, optlen)`. */
  setsockopt(s: number, level: number, optname: number, optval: Uint8Array, optlen: number): number;
  /** `sendto(s, buf, len, flags, to, tolen)` → bytes sent or SOCKET_ERROR. */
  sendto(s: number, buf: Uint8Array, len: number, flags: number, to: Uint8Array, tolen: number): number;
  /**
   * `recvfrom(s, buf, len, flags, from, fromlen)` → bytes received or SOCKET_ERROR (WSAEWOULDBLOCK
   * when nothing is pending on a socket `poll` made non-blocking).
   */
  recvfrom(
    s: number,
    buf: Uint8Array,
    len: number,
    flags: number,
    from: Uint8Array,
    fromlen: [number],
  ): number;
  /** `WSAGetLastError()`: must be called right after the failing call, on the same thread. */
  WSAGetLastError(): number;

  // fwpuclnt.dll
  /** `WSASetSocketSecurity(Socket, SecuritySettings, SecuritySettingsLen, Overlapped, CompletionRoutine)`. */
  WSASetSocketSecurity(
    s: number,
    settings: Uint8Array | null,
    len: number,
    overlapped: null,
    routine: null,
  ): number;
  /** `WSASetSocketPeerTargetName(Socket, PeerTargetName, PeerTargetNameLen, Overlapped, CompletionRoutine)`. */
  WSASetSocketPeerTargetName(
    s: number,
    name: Uint8Array,
    len: number,
    overlapped: null,
    routine: null,
  ): number;
  /** `WSADeleteSocketPeerTargetName(Socket, PeerAddr, PeerAddrLen, Overlapped, CompletionRoutine)`. */
  WSADeleteSocketPeerTargetName(
    s: number,
    addr: Uint8Array,
    len: number,
    overlapped: null,
    routine: null,
  ): number;
  /** `WSAQuerySocketSecurity(Socket, Template, TemplateLen, Info, InfoLen, Overlapped, CompletionRoutine)`. */
  WSAQuerySocketSecurity(
    s: number,
    template: Uint8Array | null,
    templateLen: number,
    info: Uint8Array | null,
    infoLen: [number],
    overlapped: null,
    routine: null,
  ): number;
  /** `WSAImpersonateSocketPeer(Socket, PeerAddr, PeerAddrLen)`: blocking, non-overlapped sockets only. */
  WSAImpersonateSocketPeer(s: number, addr: Uint8Array | null, len: number): number;
  /** `WSARevertImpersonation()`. */
  WSARevertImpersonation(): number;

  // advapi32.dll / kernel32.dll
  /** `GetLastError()`. */
  GetLastError(): number;
  /** `GetTokenInformation(TokenHandle, TokenInformationClass, TokenInformation, Length, ReturnLength)` → BOOL. */
  GetTokenInformation(
    token: number,
    infoClass: number,
    info: Uint8Array | null,
    len: number,
    retLen: [number],
  ): number;
  /** `LookupAccountSidW(lpSystemName, Sid, Name, cchName, ReferencedDomainName, cchReferencedDomainName, peUse)`. */
  LookupAccountSidW(
    system: null,
    sid: Uint8Array,
    name: Uint8Array | null,
    cchName: [number],
    domain: Uint8Array | null,
    cchDomain: [number],
    use: [number],
  ): number;
  /** `ConvertSidToStringSidW(Sid, StringSid)`: the string is LocalAlloc'd (free with LocalFree). */
  ConvertSidToStringSidW(sid: Uint8Array, out: [NativePointer]): number;
  /** `ImpersonateLoggedOnUser(hToken)`: the calling thread impersonates the token. */
  ImpersonateLoggedOnUser(token: number): number;
  /** `RevertToSelf()`. */
  RevertToSelf(): number;
  /** `DuplicateToken(ExistingTokenHandle, ImpersonationLevel, DuplicateTokenHandle)`. */
  DuplicateToken(token: number, level: number, out: [number]): number;
  /** `OpenProcessToken(ProcessHandle, DesiredAccess, TokenHandle)`. */
  OpenProcessToken(process: number, access: number, out: [number]): number;
  /** `OpenThreadToken(ThreadHandle, DesiredAccess, OpenAsSelf, TokenHandle)`. */
  OpenThreadToken(thread: number, access: number, openAsSelf: number, out: [number]): number;
  /** `AccessCheck(pSecurityDescriptor, ClientToken, DesiredAccess, GenericMapping, PrivilegeSet, PrivilegeSetLength, GrantedAccess, AccessStatus)`. */
  AccessCheck(
    sd: NativePointer,
    token: number,
    desired: number,
    mapping: Uint8Array,
    privileges: Uint8Array,
    privilegesLen: [number],
    granted: [number],
    status: [number],
  ): number;
  /** `ConvertStringSecurityDescriptorToSecurityDescriptorW(StringSecurityDescriptor, StringSDRevision, SecurityDescriptor, SecurityDescriptorSize)`. */
  ConvertStringSecurityDescriptorToSecurityDescriptorW(
    sddl: string,
    revision: number,
    out: [NativePointer],
    size: null,
  ): number;
  /** `CloseHandle(hObject)`. */
  CloseHandle(handle: number): number;
  /** `LocalFree(hMem)`. */
  LocalFree(mem: NativePointer): void;

  // koffi helpers
  /** The address of a buffer's first byte (to resolve pointers Windows wrote into it). */
  addressOf(buf: Uint8Array): bigint;
  /** Reads a NUL-terminated UTF-16 string at a pointer the library returned. */
  readWideString(ptr: NativePointer): string;
  /** Watches a SOCKET for readability on Node's event loop (`koffi.node.poll`, which makes it non-blocking). */
  poll(s: number, onReadable: (status: number) => void): NativePollHandle;
}

/** `GetCurrentProcess()` pseudo handle. */
export const CURRENT_PROCESS = -1;
/** `GetCurrentThread()` pseudo handle. */
export const CURRENT_THREAD = -2;
/** `TOKEN_INFORMATION_CLASS.TokenUser`. */
export const TokenUser = 1;
/** `TOKEN_INFORMATION_CLASS.TokenGroups`. */
export const TokenGroups = 2;
/** `SECURITY_IMPERSONATION_LEVEL.SecurityImpersonation`. */
export const SecurityImpersonation = 2;
/** `SDDL_REVISION_1`. */
export const SDDL_REVISION_1 = 1;
/** Win32 error: the buffer is too small (a size probe's answer). */
export const ERROR_INSUFFICIENT_BUFFER = 122;
/** Win32 error: the thread is not impersonating (`OpenThreadToken`). */
export const ERROR_NO_TOKEN = 1008;
/** Win32 error: the SID maps to no account name (`LookupAccountSidW`). */
export const ERROR_NONE_MAPPED = 1332;
/** Win32 error: `AccessCheck` was given a primary token. */
export const ERROR_NO_IMPERSONATION_TOKEN = 1309;
/** `SE_GROUP_ENABLED`. */
export const SE_GROUP_ENABLED = 0x4;
