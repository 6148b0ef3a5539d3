/**
 * A synchronous bind for the sim's listening TCP socket, so that `server.listen(0)` followed by
 * `server.address()` answers at once, as net's does. net binds synchronously only when no host is
 * given (it binds the unspecified address); with a host, even an IP literal, it looks the host up
 * first and binds a tick later. The sim always binds a given IP literal (loopback by default), so
 * it binds a libuv `TCP` handle itself and gives the bound handle to `net.Server.listen(handle)`,
 * the form net documents for a handle, which listens on it at once.
 *
 * `TCP` is an internal of Node: it is reached through a throwaway `net.Socket` that starts
 * connecting to an IP literal (net makes its handle synchronously; the connect is deferred and
 * `destroy()` cancels it). Where Node changes that, or in a cluster worker (whose `listen` goes to
 * the primary), {@link bindNow} answers `undefined` and the caller binds as before: through net's
 * own `listen`, with `address()` null until `'listening'`.
 * @module
 */
import cluster from 'node:cluster';
import { Socket } from 'node:net';
import { getSystemErrorMap } from 'node:util';

/** The part of libuv's `TCP` handle wrapper used here. */
interface TcpServerHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(callback?: () => void): void;
}

type TcpClass = new (type: number) => TcpServerHandle;

/** libuv's `TCP` handle type of a listening socket (tcp_wrap's `constants.SERVER`). */
const TCP_SERVER = 1;

let tcpClass: TcpClass | null | undefined;

function reachTcp(): TcpClass | null {
  if (tcpClass !== undefined) return tcpClass;
  tcpClass = null;
  try {
    const probe = new Socket();
    probe.on('error', () => {});
    probe.connect({ host: '127.0.0.1', port: 9, autoSelectFamily: false });
    const TCP = (probe as unknown as { _handle?: { constructor?: unknown } })._handle?.constructor;
    probe.destroy();
    if (typeof TCP === 'function') {
      const proto = (TCP as { prototype: Partial<TcpServerHandle> }).prototype;
      if (
        typeof proto.bind === 'function' &&
        typeof proto.bind6 === 'function' &&
        typeof proto.getsockname === 'function'
      )
        tcpClass = TCP as TcpClass;
    }
  } catch {
    tcpClass = null;
  }
  return tcpClass;
}

/** A failed bind, as net reports it (`listen EADDRINUSE: address already in use 127.0.0.1:80`). */
function bindError(errno: number, address: string, port: number): Error {
  const [code, text] = getSystemErrorMap().get(errno) ?? [`Unknown system error ${errno}`, 'unknown error'];
  return Object.assign(new Error(`listen ${code}: ${text} ${address}:${port}`), {
    code,
    errno,
    syscall: 'listen',
    address,
    port,
  });
}

/**
 * Binds `address`:`port` (an IP literal of `family`) now. Returns the bound handle, to be given to
 * `net.Server.listen(handle)`; `undefined` where the handle cannot be reached (bind through net's
 * `listen` instead).
 * @throws Error as net's: `code` (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES` …), `syscall` 'listen'.
 */
export function bindNow(address: string, port: number, family: 'ipv4' | 'ipv6'): TcpServerHandle | undefined {
  if (cluster.isWorker) return undefined;
  const TCP = reachTcp();
  if (!TCP) return undefined;
  const handle = new TCP(TCP_SERVER);
  const status = family === 'ipv6' ? handle.bind6(address, port, 0) : handle.bind(address, port);
  if (status !== 0) {
    handle.close();
    throw bindError(status, address, port);
  }
  return handle;
}
