/**
 * The process-global "network" of the memory test backend (listeners keyed by family, IP and
 * port) and its coarse negotiation model: what the two ends' settings and machines combine to.
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  ERROR_IPSEC_IKE_AUTH_FAIL,
  ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE,
  ERROR_IPSEC_IKE_DROP_NO_RESPONSE,
  ERROR_IPSEC_IKE_NO_POLICY,
  ERROR_IPSEC_IKE_POLICY_MATCH,
  type NormalizedAddress,
  type NormalizedSecuritySettings,
  SecureSocketError,
  type ServerDriverEvents,
  SOCKET_SETTINGS_ALLOW_INSECURE,
  SOCKET_SETTINGS_GUARANTEE_ENCRYPTION,
  SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION,
  SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT,
} from '../index.js';
import type { MemoryPrincipal, MemoryRealm } from './memory-realm.js';
import type { MemoryStream } from './memory-stream.js';

/** A machine of the memory network, as the negotiation sees it. */
export interface MemoryHost {
  readonly realm: MemoryRealm;
  readonly machine: MemoryPrincipal;
  /** The logged-on user, if any (else code runs as the machine account). */
  readonly user: MemoryPrincipal | undefined;
  /** Target names this machine can prove. */
  readonly names: readonly string[];
  /** False for a machine without IPsec: it only ever talks in clear. */
  readonly ipsec: boolean;
  /** False for an integrity-only machine: it cannot encrypt. */
  readonly encryption: boolean;
}

/** Who authenticated at the other end of a connection. */
export interface MemoryPeer {
  readonly user: MemoryPrincipal | undefined;
  readonly machine: MemoryPrincipal;
}

/** What one end of a connection knows of its security. */
export interface MemoryConnectionView {
  readonly secured: boolean;
  readonly encrypted: boolean;
  /** The authenticated peer (undefined for a clear-text connection). */
  readonly peer: MemoryPeer | undefined;
  readonly mmSaId: bigint;
  readonly qmSaId: bigint;
  readonly saLookupContext: string;
}

/** A listening endpoint. */
export interface MemoryListener {
  readonly host: MemoryHost;
  readonly security: NormalizedSecuritySettings;
  readonly events: ServerDriverEvents;
  /** Delivers an accepted connection (already negotiated). */
  accept(connection: MemoryAccepted): void;
}

/** What a listener receives for a connection that negotiated: its end, linked, and its view. */
export interface MemoryAccepted {
  readonly stream: MemoryStream;
  readonly view: MemoryConnectionView;
}

const listeners = new Map<string, MemoryListener>();
let nextPort = 41_000;
let nextSaId = 1n;

function key(address: NormalizedAddress): string {
  return `${address.family}|${address.address}|${address.port}`;
}

/** Registers a listener; port 0 picks a free port. */
export function bindListener(address: NormalizedAddress, listener: MemoryListener): NormalizedAddress {
  let port = address.port;
  if (port === 0) {
    do port = ephemeralPort();
    while (listeners.has(key({ ...address, port })));
  }
  const bound = { ...address, port };
  if (listeners.has(key(bound))) {
    throw new SecureSocketError('WSAEADDRINUSE', `listen: ${bound.address} port ${port} is already in use`, {
      syscall: 'bind',
    });
  }
  listeners.set(key(bound), listener);
  return bound;
}

/** Removes a listener (no-op when it is not registered). */
export function unbindListener(address: NormalizedAddress, listener: MemoryListener): void {
  if (listeners.get(key(address)) === listener) listeners.delete(key(address));
}

/** The listener at an address, if any. */
export function findListener(address: NormalizedAddress): MemoryListener | undefined {
  return listeners.get(key(address));
}

/** An ephemeral port for a client end. */
export function ephemeralPort(): number {
  nextPort = nextPort >= 65_000 ? 41_000 : nextPort + 1;
  return nextPort;
}

function view(secured: boolean, encrypted: boolean, peer: MemoryPeer | undefined): MemoryConnectionView {
  return {
    secured,
    encrypted,
    peer,
    mmSaId: secured ? nextSaId++ : 0n,
    qmSaId: secured ? nextSaId++ : 0n,
    saLookupContext: secured ? randomUUID() : '00000000-0000-0000-0000-000000000000',
  };
}

/** The result of a negotiation: both views, or the errors each side sees. */
export type MemoryOutcome =
  | { ok: true; client: MemoryConnectionView; server: MemoryConnectionView }
  | { ok: false; client: SecureSocketError; server: SecureSocketError | undefined };

function failed(
  message: string,
  negotiationError: number,
  serverSees: boolean,
  clientError?: SecureSocketError,
): MemoryOutcome {
  const client =
    clientError ??
    new SecureSocketError('ERR_WSASEC_NEGOTIATION_FAILED', `WSAConnect: ${message}`, {
      syscall: 'WSAConnect',
      negotiationError,
    });
  const server = serverSees
    ? new SecureSocketError('ERR_WSASEC_NEGOTIATION_FAILED', `accept: ${message}`, {
        syscall: 'accept',
        negotiationError,
      })
    : undefined;
  return { ok: false, client, server };
}

function nameMatches(target: string, names: readonly string[], raw: boolean): boolean {
  return raw ? names.includes(target) : names.some((n) => n.toLowerCase() === target.toLowerCase());
}

/**
 * Combines the two ends. Clear text only when one end has no IPsec and the other allows it; an
 * authentication, authorization or policy failure stays fatal even under allowInsecure.
 */
export function negotiate(
  client: {
    host: MemoryHost;
    settings: NormalizedSecuritySettings | undefined;
    targetName: string | undefined;
  },
  server: { host: MemoryHost; settings: NormalizedSecuritySettings },
): MemoryOutcome {
  const cFlags = client.settings?.securityFlags ?? 0;
  const sFlags = server.settings.securityFlags;
  const clientSecure = client.host.ipsec && client.settings !== undefined;
  const serverSecure = server.host.ipsec;
  const clear = (): MemoryOutcome => ({
    ok: true,
    client: view(false, false, undefined),
    server: view(false, false, undefined),
  });
  if (!clientSecure && !serverSecure) return clear();
  if (clientSecure && !serverSecure) {
    if (cFlags & SOCKET_SETTINGS_ALLOW_INSECURE && !(cFlags & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION))
      return clear();
    return failed('the peer did not answer IPsec negotiation', ERROR_IPSEC_IKE_DROP_NO_RESPONSE, false);
  }
  if (!clientSecure) {
    if (sFlags & SOCKET_SETTINGS_ALLOW_INSECURE && !(sFlags & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION))
      return clear();
    const reset = new SecureSocketError(
      'WSAECONNRESET',
      'WSAConnect: the peer requires IPsec and reset the connection',
      { syscall: 'WSAConnect' },
    );
    return failed('the peer sent clear text to a secured listener', ERROR_IPSEC_IKE_NO_POLICY, true, reset);
  }
  const settings = client.settings as NormalizedSecuritySettings;
  const wantsEncryption = ((cFlags | sFlags) & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION) !== 0;
  if (wantsEncryption && !(client.host.encryption && server.host.encryption)) {
    return failed('encryption is required but one end is integrity-only', ERROR_IPSEC_IKE_POLICY_MATCH, true);
  }
  let user = client.host.user;
  if (settings.credentials) {
    const { user: name, domain, password } = settings.credentials;
    const realm = server.host.realm;
    if (
      (domain !== undefined && domain.toLowerCase() !== realm.domain.toLowerCase()) ||
      !realm.checkPassword(name, password)
    ) {
      return failed('the explicit credentials were refused', ERROR_IPSEC_IKE_AUTH_FAIL, true);
    }
    user = realm.user(name);
  }
  if (
    client.targetName !== undefined &&
    !(settings.ipsecFlags & SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION) &&
    !nameMatches(
      client.targetName,
      server.host.names,
      (settings.ipsecFlags & SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT) !== 0,
    )
  ) {
    const mismatch = new SecureSocketError(
      'ERR_WSASEC_PEER_NAME_MISMATCH',
      `WSAConnect: the peer authenticated as ${server.host.machine.name}, not as ${JSON.stringify(client.targetName)}`,
      { syscall: 'WSAConnect', negotiationError: ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE },
    );
    return failed('the peer is not the target name', ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE, true, mismatch);
  }
  return {
    ok: true,
    client: view(true, wantsEncryption, { user: server.host.user, machine: server.host.machine }),
    server: view(true, wantsEncryption, { user, machine: client.host.machine }),
  };
}
