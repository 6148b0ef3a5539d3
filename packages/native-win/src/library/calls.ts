/**
 * The six secure socket functions on a SOCKET number, with the buffers encoded and every failure
 * turned into a `SecureSocketError` at this one boundary.
 * @module
 */
import type {
  NormalizedAddress,
  NormalizedPeerTargetName,
  NormalizedQuery,
  NormalizedSecuritySettings,
} from '@wsasec/core';
import { SecureSocketError, WSAEFAULT, WSAEMSGSIZE } from '@wsasec/core';
import { encodeSockaddr } from '../abi/address.js';
import { decodeQueryInfo, encodeQueryTemplate, type QueryInfo } from '../abi/query.js';
import { encodeSecuritySettings } from '../abi/settings.js';
import { encodePeerTargetName, type TargetNameLengthUnit } from '../abi/target-name.js';
import { checkWsa, SOCKET_ERROR, windowsError } from './errors.js';
import type { NativeLibrary } from './library.js';

/** Largest query result accepted from the size probe (the real structures are 24 or 64 bytes). */
export const MAX_QUERY_INFO_SIZE = 4096;

/** `WSASetSocketSecurity(s, settings, len, NULL, NULL)`. The buffer is zeroed afterwards (it can hold a password). */
export function setSocketSecurity(lib: NativeLibrary, s: number, settings: NormalizedSecuritySettings): void {
  const buf = encodeSecuritySettings(settings);
  try {
    checkWsa(lib, lib.WSASetSocketSecurity(s, buf, buf?.length ?? 0, null, null), 'WSASetSocketSecurity');
  } finally {
    buf?.fill(0);
  }
}

/** `WSASetSocketPeerTargetName(s, name, len, NULL, NULL)`. */
export function setSocketPeerTargetName(
  lib: NativeLibrary,
  s: number,
  target: NormalizedPeerTargetName,
  unit: TargetNameLengthUnit,
): void {
  const buf = encodePeerTargetName(target, unit);
  checkWsa(lib, lib.WSASetSocketPeerTargetName(s, buf, buf.length, null, null), 'WSASetSocketPeerTargetName');
}

/** `WSADeleteSocketPeerTargetName(s, addr, len, NULL, NULL)`. */
export function deleteSocketPeerTargetName(lib: NativeLibrary, s: number, peer: NormalizedAddress): void {
  const buf = encodeSockaddr(peer);
  checkWsa(
    lib,
    lib.WSADeleteSocketPeerTargetName(s, buf, buf.length, null, null),
    'WSADeleteSocketPeerTargetName',
  );
}

/**
 * `WSAQuerySocketSecurity` with size negotiation: first with no output buffer, then with the size
 * the call asked for. Both WSAEMSGSIZE (the reference page, NtApiDotNet) and WSAEFAULT (Microsoft's
 * TCP sample) count as "here is the size" when the returned length grew (spec §2.4). The caller owns
 * any token handles in the result.
 * @throws SecureSocketError with the WSA code of a failed call; ERR_WSASEC_INTERNAL when the size
 *   never settles or exceeds {@link MAX_QUERY_INFO_SIZE}.
 */
export function querySocketSecurity(
  lib: NativeLibrary,
  s: number,
  query: NormalizedQuery,
  maxSize = MAX_QUERY_INFO_SIZE,
): QueryInfo {
  const syscall = 'WSAQuerySocketSecurity';
  const template = encodeQueryTemplate(query);
  let size = 0;
  let info: Buffer | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const len: [number] = [size];
    const rc = lib.WSAQuerySocketSecurity(s, template, template?.length ?? 0, info, len, null, null);
    if (rc !== SOCKET_ERROR) {
      if (info === null) {
        // Success without a buffer: take the length it reports as the size to ask for.
        if (len[0] > 0 && len[0] <= maxSize) {
          size = len[0];
          info = Buffer.alloc(size);
          continue;
        }
        throw new SecureSocketError(
          'ERR_WSASEC_INTERNAL',
          `${syscall} succeeded without saying how much it returns`,
          {
            syscall,
          },
        );
      }
      const written = len[0] > 0 && len[0] <= size ? len[0] : size;
      return decodeQueryInfo(info, written);
    }
    const errno = lib.WSAGetLastError();
    const needed = len[0];
    if ((errno === WSAEMSGSIZE || errno === WSAEFAULT) && needed > size) {
      if (needed > maxSize) {
        throw new SecureSocketError(
          'ERR_WSASEC_INTERNAL',
          `${syscall} asked for ${needed} bytes; at most ${maxSize} are accepted`,
          { syscall, errno },
        );
      }
      size = needed;
      info = Buffer.alloc(size);
      continue;
    }
    throw windowsError(errno, syscall);
  }
  throw new SecureSocketError('ERR_WSASEC_INTERNAL', `${syscall}: the result size kept changing`, {
    syscall,
  });
}

/** `WSAImpersonateSocketPeer(s, addr, len)`: only for blocking, non-overlapped sockets. */
export function impersonateSocketPeer(
  lib: NativeLibrary,
  s: number,
  peer: NormalizedAddress | undefined,
): void {
  const buf = peer ? encodeSockaddr(peer) : null;
  checkWsa(lib, lib.WSAImpersonateSocketPeer(s, buf, buf?.length ?? 0), 'WSAImpersonateSocketPeer');
}

/** `WSARevertImpersonation()`. */
export function revertImpersonation(lib: NativeLibrary): void {
  checkWsa(lib, lib.WSARevertImpersonation(), 'WSARevertImpersonation');
}
