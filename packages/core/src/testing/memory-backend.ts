/**
 * A minimal in-memory backend: a test double for the `@wsasec/core` contract, built with
 * `defineBackend`. Connections are linked in-process `Duplex` pairs on a process-global network
 * keyed by IP and port (no TCP). Outcomes are modelled coarsely (see `memory-network.ts`): no
 * keys, no frames, no policy store. It lives in tests only and exists so core's own tests and the
 * conformance suite have a backend that needs nothing but Node.
 * @module
 */
import { isIP } from 'node:net';
import {
  type BackendDriver,
  createPeerToken,
  createSecurityInfo,
  defineBackend,
  type NormalizedAddress,
  type NormalizedConnectTarget,
  type NormalizedPeerTargetName,
  type NormalizedQuery,
  type NormalizedSecuritySettings,
  normalizeAddress,
  type PeerToken,
  type Principal,
  runImpersonated,
  type SecureSocketBackend,
  SecureSocketError,
  type ServerDriver,
  type ServerDriverEvents,
  SOCKET_INFO_CONNECTION_ENCRYPTED,
  SOCKET_INFO_CONNECTION_SECURED,
  type SocketDriver,
} from '../index.js';
import {
  bindListener,
  ephemeralPort,
  findListener,
  type MemoryConnectionView,
  type MemoryHost,
  type MemoryListener,
  negotiate,
  unbindListener,
} from './memory-network.js';
import { createMemoryRealm, type MemoryPrincipal, type MemoryRealm } from './memory-realm.js';
import { evaluateMemoryAccess, parseMemoryDacl } from './memory-sddl.js';
import { MemoryStream } from './memory-stream.js';
import { recordingDatagram } from './recording-datagram.js';

export { createMemoryRealm, type MemoryRealm } from './memory-realm.js';

/** Options of {@link createMemoryBackend}. */
export interface MemoryBackendOptions {
  /** The shared account database (default: a fresh realm). */
  realm?: MemoryRealm;
  /** Computer name, e.g. `SERVER` (its account is `SERVER$`). */
  machine: string;
  /** Fully qualified name (default `<machine>.contoso.com`, lower case). */
  fqdn?: string;
  /** Target names the machine proves (default `host/<fqdn>`, `<fqdn>`, `<MACHINE>$`). */
  names?: readonly string[];
  /** Logged-on user; absent: code runs as the computer account. */
  user?: string;
  /** False: a machine without IPsec (talks in clear only). Default true. */
  ipsec?: boolean;
  /** False: an integrity-only machine (guaranteeEncryption against it fails). Default true. */
  encryption?: boolean;
  /** Backend name (default `memory`). */
  name?: string;
}

let openTokens = 0;

/** Peer tokens handed out by every memory backend and not yet closed (a leak counter). */
export function openMemoryTokens(): number {
  return openTokens;
}

function principalOf(p: MemoryPrincipal): Principal {
  return { sid: p.sid, name: p.name, domain: p.domain };
}

function refused(syscall: string, message: string, code: 'WSAEINVAL' | 'WSAECONNREFUSED' = 'WSAEINVAL') {
  return new SecureSocketError(code, `${syscall}: ${message}`, { syscall });
}

/** Builds an in-memory backend for one machine (and user). */
export function createMemoryBackend(opts: MemoryBackendOptions): SecureSocketBackend {
  const realm = opts.realm ?? createMemoryRealm();
  const machine = realm.machine(opts.machine);
  const fqdn = opts.fqdn ?? `${opts.machine.toLowerCase()}.contoso.com`;
  const host: MemoryHost = {
    realm,
    machine,
    user: opts.user === undefined ? undefined : realm.user(opts.user),
    names: opts.names ?? [`host/${fqdn}`, fqdn, machine.name],
    ipsec: opts.ipsec ?? true,
    encryption: opts.encryption ?? true,
  };
  const self = host.user ?? machine;
  // One frame per impersonation scope; `reverted` marks a scope ended by revertImpersonation().
  const frames: { principal: MemoryPrincipal; reverted: boolean }[] = [];
  const streams = new Set<MemoryStream>();
  const servers = new Set<() => Promise<void>>();
  let closed = false;

  const track = (stream: MemoryStream) => {
    streams.add(stream);
    stream.once('close', () => streams.delete(stream));
  };

  const tokensFor = (view: MemoryConnectionView, query: NormalizedQuery) => {
    if (query.tokenAccess === 0 || !view.peer) return {};
    const token = (kind: 'application' | 'machine', p: MemoryPrincipal): PeerToken => {
      openTokens++;
      return createPeerToken({
        kind,
        user: principalOf(p),
        groups: p.groups,
        access: query.tokenAccess,
        release: () => {
          openTokens--;
        },
      });
    };
    return {
      peerApplicationToken: view.peer.user ? token('application', view.peer.user) : undefined,
      peerMachineToken: token('machine', view.peer.machine),
    };
  };

  const socketDriver = (
    stream: MemoryStream,
    type: 'stream' | 'dgram',
    accepted?: { view: MemoryConnectionView; security: NormalizedSecuritySettings },
  ): SocketDriver => {
    let settings = accepted?.security;
    let connection = accepted?.view;
    const targetNames = new Map<string, string>();
    const peerKey = (peer: NormalizedAddress | undefined) =>
      type === 'stream' || !peer ? '*' : `${peer.address}|${peer.port}`;
    track(stream);
    return {
      stream,
      setSecurity(normalized) {
        settings = normalized;
      },
      setPeerTargetName(target: NormalizedPeerTargetName) {
        targetNames.set(peerKey(target.peerAddress), target.name);
      },
      deletePeerTargetName(peer) {
        targetNames.delete(peerKey(peer));
      },
      async connect(resolved: NormalizedAddress, target: NormalizedConnectTarget, signal) {
        // Resolved addresses carry no port: the port is the connect target's.
        const address = { ...resolved, port: target.port };
        stream.connecting = true;
        try {
          // One turn of the event loop stands for the network round trips.
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (signal?.aborted) {
            throw new SecureSocketError('ERR_WSASEC_ABORTED', 'WSAConnect was aborted', {
              syscall: 'WSAConnect',
              cause: signal.reason,
            });
          }
          if (closed) throw refused('WSAConnect', 'the backend was closed', 'WSAECONNREFUSED');
          const listener = findListener(address);
          if (!listener)
            throw refused(
              'WSAConnect',
              `nothing listens on ${address.address} port ${address.port}`,
              'WSAECONNREFUSED',
            );
          const outcome = negotiate(
            { host, settings, targetName: targetNames.get('*') },
            { host: listener.host, settings: listener.security },
          );
          if (!outcome.ok) {
            if (outcome.server) listener.events.negotiationError(outcome.server);
            throw outcome.client;
          }
          const serverEnd = new MemoryStream();
          // The client's end: its localAddress / localPort when the connect gave them.
          const local = {
            ...address,
            address: target.localAddress ?? address.address,
            port: target.localPort ?? ephemeralPort(),
          };
          MemoryStream.link(stream, serverEnd, local, address);
          connection = outcome.client;
          listener.accept({ stream: serverEnd, view: outcome.server });
        } finally {
          stream.connecting = false;
        }
      },
      querySecurity(query: NormalizedQuery) {
        // A datagram peer never negotiates here: the memory network carries streams only.
        const view = type === 'stream' ? connection : undefined;
        if (type === 'stream' && !view) {
          throw new SecureSocketError('WSAENOTCONN', 'WSAQuerySocketSecurity: not connected', {
            syscall: 'WSAQuerySocketSecurity',
          });
        }
        const secured = view?.secured ?? false;
        const flags = secured
          ? SOCKET_INFO_CONNECTION_SECURED | (view?.encrypted ? SOCKET_INFO_CONNECTION_ENCRYPTED : 0)
          : 0;
        return createSecurityInfo({
          protocol: secured ? (settings?.protocol ?? 0) : 0,
          flags,
          ...(view ? tokensFor(view, query) : {}),
          ipsec2:
            query.protocol === 2
              ? {
                  mmSaId: view?.mmSaId ?? 0n,
                  qmSaId: view?.qmSaId ?? 0n,
                  negotiationError: 0,
                  saLookupContext: view?.saLookupContext ?? '00000000-0000-0000-0000-000000000000',
                }
              : undefined,
        });
      },
      impersonatePeer(fn, peer) {
        const syscall = 'WSAImpersonateSocketPeer';
        if (type === 'dgram')
          throw refused(syscall, `no authenticated peer at ${peer?.address ?? 'that address'}`);
        const who = connection?.peer;
        if (!who) throw refused(syscall, 'the connection is in clear text: there is no authenticated peer');
        return runImpersonated(
          () => {
            const frame = { principal: who.user ?? who.machine, reverted: false };
            frames.push(frame);
            return () => {
              const at = frames.lastIndexOf(frame);
              if (at >= 0) frames.splice(at, 1);
            };
          },
          fn,
          syscall,
        );
      },
    };
  };

  const driver: BackendDriver = {
    name: opts.name ?? 'memory',
    createSocket({ type, readableHighWaterMark, writableHighWaterMark }) {
      return socketDriver(new MemoryStream({ readableHighWaterMark, writableHighWaterMark }), type);
    },
    // Datagram sockets without a network: enough for core's rules and the property tests.
    createDatagramSocket({ family }, events) {
      return recordingDatagram([], events, family).driver;
    },
    createServer({ security }, events: ServerDriverEvents): ServerDriver {
      let bound: NormalizedAddress | undefined;
      const listener: MemoryListener = {
        host,
        security,
        events,
        accept({ stream, view }) {
          events.connection(socketDriver(stream, 'stream', { view, security }));
        },
      };
      const close = async () => {
        if (bound) unbindListener(bound, listener);
        servers.delete(close);
      };
      return {
        // Binds synchronously, as net's listen and both backends do: address() answers at once.
        async listen(address, port) {
          if (closed) throw refused('listen', 'the backend was closed');
          bound = bindListener(normalizeAddress({ address, port }, 'listen address', 'listen'), listener);
          servers.add(close);
          return bound;
        },
        address: () => bound ?? null,
        close,
      };
    },
    async resolve(name, family) {
      if (isIP(name)) return [normalizeAddress({ address: name }, 'host', 'connect')];
      if (name.toLowerCase() === 'localhost') {
        const all = [
          normalizeAddress({ address: '127.0.0.1' }, 'host', 'connect'),
          normalizeAddress({ address: '::1' }, 'host', 'connect'),
        ];
        return all.filter((a) => !family || a.family === family);
      }
      throw new SecureSocketError(
        'WSAHOST_NOT_FOUND',
        `the memory network knows no host ${JSON.stringify(name)}`,
        {
          syscall: 'connect',
        },
      );
    },
    currentIdentity() {
      const top = frames.at(-1);
      return principalOf(top && !top.reverted ? top.principal : self);
    },
    revertImpersonation() {
      const top = frames.at(-1);
      if (top) top.reverted = true;
    },
    accessCheck(token, sddl, desiredAccess) {
      const dacl = parseMemoryDacl(sddl, realm.domainSid);
      const sids = [token.user.sid, ...token.groups.map((g) => g.sid)];
      return evaluateMemoryAccess(dacl, sids, desiredAccess);
    },
    async close() {
      closed = true;
      await Promise.all([...servers].map((close) => close()));
      for (const stream of streams) stream.destroy();
    },
  };
  return defineBackend(driver);
}
