/**
 * A driver that records every call core makes and lets a test decide when (and how) each connect
 * ends, so call-order states like "connecting" can be held for as long as a test needs.
 * @module
 */
import { Duplex } from 'node:stream';
import {
  type BackendDriver,
  createSecurityInfo,
  defineBackend,
  type NormalizedAddress,
  type NormalizedConnectTarget,
  type SecureSocketBackend,
  type ServerDriverEvents,
  type SocketDriver,
} from '../index.js';
import { type RecordingDatagram, recordingDatagram } from './recording-datagram.js';

/** A connect the test has not settled yet. */
export interface PendingConnect {
  readonly address: NormalizedAddress;
  /** The connect target core passed (port, timeout, local endpoint). */
  readonly target: NormalizedConnectTarget;
  readonly signal: AbortSignal | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** What {@link createRecordingBackend} returns. */
export interface RecordingBackend {
  readonly backend: SecureSocketBackend;
  /** `method` names in call order, e.g. `socket.setSecurity`. */
  readonly calls: string[];
  /** Connects waiting for the test to settle them (oldest first). */
  readonly connects: PendingConnect[];
  /** The events object core passed to the last created server. */
  serverEvents(): ServerDriverEvents | undefined;
  /** Hands core an accepted connection through the last server. */
  accept(): SocketDriver;
  /** Datagram drivers created so far, oldest first. */
  readonly datagrams: RecordingDatagram[];
}

/** Options of {@link createRecordingBackend}. */
export interface RecordingOptions {
  resolve?: BackendDriver['resolve'];
  listen?: (host: string, port: number) => Promise<NormalizedAddress>;
  /** Leave out `createDatagramSocket`, like a backend without datagram sockets. */
  noDatagrams?: boolean;
  /** Give the driver `addPolicies` (recorded as `addPolicies <keys>` / `removePolicies <keys>`). */
  policies?: boolean;
  /** Give its sockets `securityAssociations` (recorded as `socket.securityAssociations`; none in clear text). */
  securityAssociations?: boolean;
}

function socketDriver(calls: string[], connects: PendingConnect[], sas: boolean): SocketDriver {
  const stream = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
  return {
    stream,
    setSecurity: () => void calls.push('socket.setSecurity'),
    setPeerTargetName: () => void calls.push('socket.setPeerTargetName'),
    deletePeerTargetName: () => void calls.push('socket.deletePeerTargetName'),
    connect(address, target, signal) {
      calls.push('socket.connect');
      return new Promise<void>((resolve, reject) =>
        connects.push({ address, target, signal, resolve, reject }),
      );
    },
    querySecurity() {
      calls.push('socket.querySecurity');
      return createSecurityInfo({ protocol: 1, flags: 1 });
    },
    impersonatePeer(fn) {
      calls.push('socket.impersonatePeer');
      return fn();
    },
    ...(sas
      ? {
          securityAssociations() {
            calls.push('socket.securityAssociations');
            return { mainMode: undefined, quickMode: [] };
          },
        }
      : {}),
  };
}

/** Builds a backend over a recording driver. */
export function createRecordingBackend(opts: RecordingOptions = {}): RecordingBackend {
  const calls: string[] = [];
  const connects: PendingConnect[] = [];
  let events: ServerDriverEvents | undefined;
  const datagrams: RecordingDatagram[] = [];
  const driver: BackendDriver = {
    ...(opts.noDatagrams
      ? {}
      : {
          createDatagramSocket({ family }, dgramEvents) {
            calls.push('createDatagramSocket');
            const rec = recordingDatagram(calls, dgramEvents, family);
            datagrams.push(rec);
            return rec.driver;
          },
        }),
    name: 'recording',
    createSocket() {
      calls.push('createSocket');
      return socketDriver(calls, connects, opts.securityAssociations === true);
    },
    createServer(_opts, serverEvents) {
      calls.push('createServer');
      events = serverEvents;
      return {
        listen: async (host, port) => {
          calls.push('server.listen');
          return opts.listen
            ? opts.listen(host, port)
            : { address: host, port: port || 50_000, family: 'ipv4' };
        },
        close: async () => void calls.push('server.close'),
      };
    },
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
    ...(opts.policies
      ? {
          addPolicies(policies) {
            const keys = policies.map((p) => p.key).join(' ');
            calls.push(`addPolicies ${keys}`);
            return { remove: () => void calls.push(`removePolicies ${keys}`) };
          },
        }
      : {}),
    currentIdentity: () => ({ sid: 'S-1-5-18', name: 'SYSTEM' }),
    revertImpersonation: () => void calls.push('revertImpersonation'),
    accessCheck() {
      calls.push('accessCheck');
      return { granted: true, grantedAccess: 1 };
    },
    close: async () => void calls.push('close'),
  };
  return {
    backend: defineBackend(driver),
    calls,
    connects,
    datagrams,
    serverEvents: () => events,
    accept() {
      if (!events) throw new Error('no server was created');
      const socket = socketDriver(calls, connects, opts.securityAssociations === true);
      events.connection(socket);
      return socket;
    },
  };
}
