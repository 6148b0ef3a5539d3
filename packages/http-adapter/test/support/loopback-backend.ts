/**
 * A TEST DOUBLE, not a backend: plain TCP through core's defineBackend, with query flags reported
 * from the settings (SECURED, plus ENCRYPTED under guaranteeEncryption) and made-up tokens. It
 * exercises the adapter's mechanics (pooling, keys, maxSockets, aborts, errors) without any real
 * security; the security behaviour is tested against @wsasec/sim.
 */
import * as net from 'node:net';
import {
  type BackendDriver,
  createPeerToken,
  createSecurityInfo,
  defineBackend,
  type NormalizedPeerTargetName,
  type NormalizedSecuritySettings,
  type PeerToken,
  type Principal,
  runImpersonated,
  type SecureSocketBackend,
  SecureSocketError,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_SECURED,
  SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
  SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION,
  type SocketDriver,
  toSecureSocketError,
} from '@wsasec/core';
import { DuplexSocket } from './duplex-socket.js';

export interface LoopbackBackendOptions {
  name?: string;
  /** The name the "server" answers to; connects naming anything else fail like a wrong SPN. */
  serverName?: string;
  /** Delay each connect by this many ms (an observable pending window). */
  connectDelay?: number;
  /** Report connections as unsecured (flags 0), as a broken backend would. */
  reportInsecure?: boolean;
  /** Identity this backend runs as. */
  identity?: Principal;
  /** The user the server side reports as the peer of every accepted connection. */
  peer?: Principal;
  /** Hand out plain Duplex streams over the TCP sockets (as the sim does) instead of net.Sockets. */
  duplex?: boolean;
}

export interface LoopbackStats {
  connects: number;
  connectsStarted: number;
  pendingNow: number;
  pendingMax: number;
  openTokens: number;
  targetNames: string[];
}

export type LoopbackBackend = SecureSocketBackend & { stats: LoopbackStats };

/** The stream kind sockets get when a backend's options do not say: switched per test block. */
export const loopbackMode = { duplex: false };

/** Both stream kinds: net.Socket (as native-win hands out) and a plain Duplex (as the sim does). */
export const STREAM_KINDS = ['net.Socket', 'Duplex'] as const;

const SYSTEM: Principal = { sid: 'S-1-5-18', name: 'SYSTEM', domain: 'NT AUTHORITY' };

export function createLoopbackBackend(options: LoopbackBackendOptions = {}): LoopbackBackend {
  const stats: LoopbackStats = {
    connects: 0,
    connectsStarted: 0,
    pendingNow: 0,
    pendingMax: 0,
    openTokens: 0,
    targetNames: [],
  };
  const identity = options.identity ?? { sid: 'S-1-5-21-1-2-3-1001', name: 'tester', domain: 'LOOPBACK' };
  const peer = options.peer ?? { sid: 'S-1-5-21-1-2-3-1105', name: 'alice', domain: 'LOOPBACK' };
  let current: Principal | undefined;
  const servers = new Set<net.Server>();

  const token = (kind: 'application' | 'machine', user: Principal, access: number): PeerToken => {
    stats.openTokens++;
    return createPeerToken({
      kind,
      user,
      groups: [{ sid: 'S-1-1-0', name: 'Everyone' }],
      access,
      release: () => {
        stats.openTokens--;
      },
    });
  };

  const socketDriver = (
    tcp: net.Socket,
    accepted?: { security: NormalizedSecuritySettings; peer: Principal },
  ): SocketDriver => {
    const stream = (options.duplex ?? loopbackMode.duplex) ? new DuplexSocket(tcp) : tcp;
    let settings = accepted?.security;
    let target: NormalizedPeerTargetName | undefined;
    const peerOfSocket = accepted?.peer ?? {
      sid: 'S-1-5-21-1-2-3-2000',
      name: 'SERVER$',
      domain: 'LOOPBACK',
    };
    return {
      stream,
      setSecurity(s) {
        settings = s;
      },
      setPeerTargetName(t) {
        target = t;
      },
      deletePeerTargetName() {
        target = undefined;
      },
      async connect(address, connectTarget, signal) {
        stats.connectsStarted++;
        stats.pendingNow++;
        stats.pendingMax = Math.max(stats.pendingMax, stats.pendingNow);
        try {
          if (target) stats.targetNames.push(target.name);
          if (options.connectDelay) await delay(options.connectDelay, signal);
          const optional =
            ((settings?.ipsecFlags ?? 0) & SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION) !== 0;
          if (options.serverName && target && target.name !== options.serverName && !optional) {
            throw new SecureSocketError(
              'ERR_WSASEC_PEER_NAME_MISMATCH',
              `the peer is ${options.serverName}, not ${target.name}`,
              { syscall: 'WSAConnect' },
            );
          }
          if (stream instanceof DuplexSocket) stream.connectingQuietly = true;
          await new Promise<void>((resolve, reject) => {
            type Emit = (this: net.Socket, event: string | symbol, ...args: unknown[]) => boolean;
            const emit = tcp.emit as Emit;
            const done = () => signal?.removeEventListener('abort', onAbort);
            const onAbort = () => {
              done();
              if ((tcp.emit as Emit) === quiet) tcp.emit = emit as typeof tcp.emit;
              stream.destroy();
              reject(
                new SecureSocketError('ERR_WSASEC_ABORTED', 'connect aborted', { syscall: 'WSAConnect' }),
              );
            };
            signal?.addEventListener('abort', onAbort, { once: true });
            // As native-win: while connecting, net's own 'connect'/'ready' belong to core (emitted
            // once the connection is verified), and a TCP failure is the driver's to report, as a
            // SecureSocketError.
            const quiet: Emit = function quietEmit(this: net.Socket, event, ...args) {
              if (event === 'connect') {
                done();
                resolve();
                return true;
              }
              if (event === 'ready') {
                tcp.emit = emit as typeof tcp.emit;
                return true;
              }
              if (event === 'error') {
                // net emits its failure while destroying the socket: as native-win, it is emitted
                // as the SecureSocketError the connect fails with.
                tcp.emit = emit as typeof tcp.emit;
                done();
                const error = toSecureSocketError(args[0], 'WSAConnect');
                if (stream === tcp) emit.call(this, 'error', error);
                reject(error);
                return true;
              }
              return emit.call(this, event, ...args);
            };
            if (stream === tcp) {
              tcp.emit = quiet as typeof tcp.emit;
            } else {
              // The Duplex over the TCP socket sees none of them while connectingQuietly.
              tcp.once('connect', () => quiet.call(tcp, 'connect'));
              tcp.once('error', (error) => quiet.call(tcp, 'error', error));
            }
            const connectNet = net.Socket.prototype.connect as (
              this: net.Socket,
              options: net.TcpNetConnectOpts,
            ) => net.Socket;
            connectNet.call(tcp, { host: address.address, port: connectTarget.port });
          });
          stats.connects++;
        } finally {
          if (stream instanceof DuplexSocket) stream.connectingQuietly = false;
          stats.pendingNow--;
        }
      },
      querySecurity(query) {
        const guarantee = ((settings?.securityFlags ?? 0) & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION) !== 0;
        const flags = options.reportInsecure
          ? 0
          : SOCKET_INFO_CONNECTION_SECURED | (guarantee ? SOCKET_INFO_CONNECTION_ENCRYPTED : 0);
        const withTokens = query.tokenAccess !== 0 && flags !== 0;
        return createSecurityInfo({
          protocol: settings?.protocol ?? 0,
          flags,
          peerApplicationToken:
            withTokens && accepted ? token('application', peerOfSocket, query.tokenAccess) : undefined,
          peerMachineToken: withTokens ? token('machine', SYSTEM, query.tokenAccess) : undefined,
        });
      },
      impersonatePeer(fn) {
        return runImpersonated(() => {
          const previous = current;
          current = peerOfSocket;
          return () => {
            current = previous;
          };
        }, fn);
      },
    };
  };

  const driver: BackendDriver = {
    name: options.name ?? 'loopback-double',
    createSocket({ type }) {
      if (type === 'dgram')
        throw new SecureSocketError('WSAEOPNOTSUPP', 'the loopback double has no datagrams');
      return socketDriver(new net.Socket());
    },
    createServer({ security }, events) {
      const server = net.createServer((socket) =>
        events.connection(socketDriver(socket, { security, peer })),
      );
      servers.add(server);
      return {
        listen(host, port, backlog) {
          return new Promise((resolve, reject) => {
            server.once('error', reject);
            server.listen({ host, port, backlog }, () => {
              const bound = server.address() as net.AddressInfo;
              resolve({
                address: bound.address,
                port: bound.port,
                family: bound.family === 'IPv6' ? 'ipv6' : 'ipv4',
              });
            });
          });
        },
        close() {
          servers.delete(server);
          server.close();
          return Promise.resolve();
        },
      };
    },
    currentIdentity: () => current ?? identity,
    revertImpersonation() {
      current = undefined;
    },
    accessCheck(token, sddl, desiredAccess) {
      // A toy DACL: "D:(A;;<hex mask or GA>;;;<SID>)…" — allow ACEs only.
      const sids = new Set([token.user.sid, ...token.groups.map((g) => g.sid)]);
      if (!sddl.startsWith('D:'))
        throw new SecureSocketError('WSAEINVAL', 'the loopback double reads D:(A;;mask;;;SID) only');
      let granted = 0;
      for (const [, rights, sid] of sddl.matchAll(/\(A;;([^;]*);;;([^)]*)\)/g)) {
        if (sid && sids.has(sid)) granted |= rights === 'GA' ? 0xffffffff : Number(rights);
      }
      granted >>>= 0;
      return {
        granted: (granted & desiredAccess) >>> 0 === desiredAccess,
        grantedAccess: granted & desiredAccess,
      };
    },
    async close() {
      for (const server of servers) server.close();
      servers.clear();
    },
  };
  return Object.assign(Object.create(defineBackend(driver)), { stats }) as LoopbackBackend;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new SecureSocketError('ERR_WSASEC_ABORTED', 'connect aborted', { syscall: 'WSAConnect' }));
      },
      { once: true },
    );
  });
}
