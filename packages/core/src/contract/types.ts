/**
 * Settings and results of the secure socket functions, as idiomatic objects. Backends encode them
 * into the C structures (native-win) or act on them (sim).
 * @module
 */

/** `SOCKET_SECURITY_PROTOCOL`: by name, or by its C value (0, 1, 2) for code ported from C. */
export type SecurityProtocol = 'default' | 'ipsec' | 'ipsec2';

/** Explicit credentials for AuthIP extended-mode (user) authentication, replacing the logged-on user. */
export interface IpsecCredentials {
  /** User name: `alice`, `CONTOSO\alice` (the domain is split off) or `alice@contoso.com`. */
  user: string;
  /** NetBIOS or DNS domain name. */
  domain?: string;
  /** Password. Never logged, never part of a pool key or an error message. */
  password: string;
}

/** IPsec-specific settings (`SOCKET_SECURITY_SETTINGS_IPSEC`); only with protocol `'ipsec'` or `'ipsec2'`. */
export interface IpsecSettings {
  /** `SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION`: protect only if existing policy covers the traffic. */
  skipFilterInstantiation?: boolean;
  /** `SOCKET_SETTINGS_IPSEC_OPTIONAL_PEER_NAME_VERIFICATION`: a peer-name mismatch is not fatal. */
  optionalPeerNameVerification?: boolean;
  /** `SOCKET_SETTINGS_IPSEC_ALLOW_FIRST_INBOUND_PKT_UNENCRYPTED`: the first inbound packet may be clear. */
  allowFirstInboundPacketUnencrypted?: boolean;
  /** `SOCKET_SETTINGS_IPSEC_PEER_NAME_IS_RAW_FORMAT`: the target name is compared verbatim, not as an SPN. */
  peerNameIsRawFormat?: boolean;
  /** `AuthipMMPolicyKey`: GUID of an AuthIP main-mode policy (zero GUID or absent: the default). */
  mainModePolicyKey?: string;
  /** `AuthipQMPolicyKey`: GUID of an AuthIP quick-mode policy (zero GUID or absent: the default). */
  quickModePolicyKey?: string;
  /** `UserName`/`DomainName`/`Password`: explicit user credentials. */
  credentials?: IpsecCredentials;
}

/** `SOCKET_SECURITY_SETTINGS` / `SOCKET_SECURITY_SETTINGS_IPSEC`, as given to `setSecurity`. */
export interface SecuritySettings {
  /** `SecurityProtocol`; default `'default'`, or `'ipsec'` when `ipsec` is given. */
  protocol?: SecurityProtocol | 0 | 1 | 2;
  /** `SOCKET_SETTINGS_GUARANTEE_ENCRYPTION`: connect fails unless traffic can be encrypted. */
  guaranteeEncryption?: boolean;
  /** `SOCKET_SETTINGS_ALLOW_INSECURE`: fall back to clear text when negotiation fails. */
  allowInsecure?: boolean;
  /** IPsec settings; requires protocol `'ipsec'` or `'ipsec2'`. */
  ipsec?: IpsecSettings;
}

/** An IP endpoint. `address` is an IP literal (no host names: these name a peer for IPsec). */
export interface SocketAddress {
  address: string;
  port?: number;
  family?: 'ipv4' | 'ipv6';
}

/** `SOCKET_PEER_TARGET_NAME`, as given to `setPeerTargetName`. */
export interface PeerTargetName {
  /** The principal the peer must prove to be: an SPN (`host/server.contoso.com`) or a raw name. */
  name: string;
  /** The peer this name is for: optional for stream sockets, required for datagram sockets. */
  peerAddress?: SocketAddress;
  /** `SecurityProtocol` of the name; defaults to the socket's settings protocol. */
  protocol?: SecurityProtocol | 0 | 1 | 2;
}

/** Options of `querySecurity` (`SOCKET_SECURITY_QUERY_TEMPLATE[_IPSEC2]`). */
export interface QueryOptions {
  /** The peer to query: required for datagram sockets, ignored for stream sockets. */
  peerAddress?: SocketAddress;
  /** `PeerTokenAccessMask`: 0 (default) returns no tokens; e.g. `TOKEN_QUERY` returns both peer tokens. */
  tokenAccess?: number;
  /** IPSEC2 template fields; asks for the IPSEC2 result (SA ids, negotiation error, lookup context). */
  ipsec2?: {
    /** `FieldMask`: `SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID` | `…_QM_SA_ID`. */
    fieldMask?: number;
    /** `SOCKET_QUERY_IPSEC2_ABORT_CONNECTION_ON_FIELD_CHANGE`: abort when a masked field changes. */
    abortOnFieldChange?: boolean;
  };
}

/** A security principal. */
export interface Principal {
  /** String SID, `S-1-5-21-…`. */
  sid: string;
  /** Account name, when it can be looked up. */
  name?: string;
  /** Account domain, when it can be looked up. */
  domain?: string;
}

/** A peer access token returned by `querySecurity` with a `tokenAccess` mask. Close it when done. */
export interface PeerToken extends Disposable {
  /** Which of the two query tokens this is. */
  readonly kind: 'application' | 'machine';
  /** The token user. */
  readonly user: Principal;
  /** The token groups. */
  readonly groups: readonly Principal[];
  /** The access mask the token was opened with. */
  readonly access: number;
  /** True once closed. */
  readonly closed: boolean;
  /** Closes the token handle (`CloseHandle`). Idempotent. */
  close(): void;
}

/** The result of `WSAQuerySocketSecurity`. Owns its tokens: `close()` (or `using`) closes them. */
export interface SecurityInfo extends Disposable {
  /** The protocol that secured the connection (`'default'` when it is not secured). */
  readonly protocol: SecurityProtocol;
  /** `SOCKET_INFO_CONNECTION_*` bits. */
  readonly flags: number;
  /** `SOCKET_INFO_CONNECTION_SECURED`. */
  readonly secured: boolean;
  /** `SOCKET_INFO_CONNECTION_ENCRYPTED`. */
  readonly encrypted: boolean;
  /** `SOCKET_INFO_CONNECTION_IMPERSONATED`. */
  readonly impersonated: boolean;
  /** `PeerApplicationAccessTokenHandle`: the peer user, when one was authenticated and tokens were asked for. */
  readonly peerApplicationToken?: PeerToken;
  /** `PeerMachineAccessTokenHandle`: the peer computer, when tokens were asked for. */
  readonly peerMachineToken?: PeerToken;
  /** IPSEC2: main-mode SA id. */
  readonly mmSaId?: bigint;
  /** IPSEC2: quick-mode SA id. */
  readonly qmSaId?: bigint;
  /** IPSEC2: Win32 error of the negotiation (0 on success). */
  readonly negotiationError?: number;
  /** IPSEC2: SA lookup context GUID. */
  readonly saLookupContext?: string;
  /** Closes both tokens. Idempotent. */
  close(): void;
}

/**
 * The main-mode (IKE/AuthIP) SA of a connection: what authenticated the two machines and keys its
 * quick mode. On Windows `IKEEXT_SA_DETAILS0` from `IkeextSaGetById0`.
 */
export interface MainModeSecurityAssociation {
  /** The SA id (the IPSEC2 query's `mmSaId`). */
  readonly id: bigint;
  /** The local and peer addresses the SA is between. */
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** The negotiated cipher, e.g. `'AES-256'` (Windows `IKEEXT_CIPHER_TYPE`; an unknown value as `'IKEEXT_CIPHER_TYPE <n>'`). */
  readonly cipher: string;
  /** The negotiated integrity algorithm, e.g. `'SHA-256'`. */
  readonly integrity: string;
  /** The key exchange, e.g. `'ECDH P-256'` (Windows `IKEEXT_DH_GROUP`) or `'X25519'` (the sim). */
  readonly keyExchange: string;
  /** The SA's lifetime in seconds; undefined where the backend does not model it (the sim). */
  readonly lifetimeSeconds: number | undefined;
}

/**
 * A quick-mode (IPsec) SA protecting a connection's traffic, both directions. On Windows
 * `IPSEC_SA_CONTEXT0` from `IPsecSaContextEnum0`.
 */
export interface QuickModeSecurityAssociation {
  /** The SA id (the IPSEC2 query's `qmSaId`). */
  readonly id: bigint;
  /** The main-mode SA it was negotiated under. */
  readonly mainModeId: bigint;
  /** `'esp'` or `'ah'` (the first transform of the bundle). */
  readonly protocol: 'esp' | 'ah';
  /** The encryption, e.g. `'AES-256-GCM'`; undefined when the SA protects integrity only. */
  readonly encryption: string | undefined;
  /** The integrity protection, e.g. `'AES-256-GMAC'`, `'SHA-256'` (with encryption by GCM: `'AES-256-GCM'`). */
  readonly integrity: string;
  /** The SA's lifetime in seconds and kilobytes. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
  /** The SPIs of the inbound and outbound SA (undefined when that direction is missing). */
  readonly inboundSpi: number | undefined;
  readonly outboundSpi: number | undefined;
  /** The traffic it protects: local and peer address, and the peer port (0: every port). */
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * The IPsec SAs protecting a connection, as Microsoft's advanced sample finds them with
 * `MatchIPsecSAsForConnectedSocket`. A connection in clear text has none.
 */
export interface SecurityAssociations {
  /** The main-mode SA, undefined in clear text. */
  readonly mainMode: MainModeSecurityAssociation | undefined;
  /** The quick-mode SAs of the connection (normally one). */
  readonly quickMode: readonly QuickModeSecurityAssociation[];
}

/** Result of `accessCheck`. */
export interface AccessCheckResult {
  /** True when every requested right was granted. */
  granted: boolean;
  /** The rights granted (generic rights mapped). */
  grantedAccess: number;
}

/** Options of `backend.connect` (create + setSecurity + setPeerTargetName + connect). */
export interface ConnectOptions {
  /** Host name or IP literal. Names are resolved by the library; each address gets its own socket. */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
  /** Restrict resolution to one family. */
  family?: 'ipv4' | 'ipv6';
  /** Security settings; absent means the default policy (`WSASetSocketSecurity(s, NULL, 0)`). */
  security?: SecuritySettings;
  /** The principal the server must prove to be. Strongly recommended (trusted man-in-the-middle). */
  peerTargetName?: string | PeerTargetName;
  /** Aborts the connect (and the negotiation). */
  signal?: AbortSignal;
  /** Connect (including negotiation) timeout in milliseconds. */
  timeout?: number;
  /** As net's: the local IP literal the connection leaves from (the socket's family). */
  localAddress?: string;
  /** As net's: the local port the connection leaves from (0 or absent: any free port). */
  localPort?: number;
}

/** Options of `backend.createServer`. */
export interface ServerOptions {
  /** Security settings of the listening socket (applied before bind). */
  security?: SecuritySettings;
  /** Address family of the listening socket; default from `host`, else `'ipv4'`. */
  family?: 'ipv4' | 'ipv6';
  /** As `net.createServer`: an accepted socket stays writable after the peer ended (default false). */
  allowHalfOpen?: boolean;
  /** As `net.createServer`: accepted sockets start paused (default false). */
  pauseOnConnect?: boolean;
  /** As `net.createServer`: `setNoDelay(true)` on every accepted socket. */
  noDelay?: boolean;
  /** As `net.createServer`: `setKeepAlive(true, keepAliveInitialDelay)` on every accepted socket. */
  keepAlive?: boolean;
  /** Milliseconds before the first keep-alive probe (with `keepAlive`; default 0). */
  keepAliveInitialDelay?: number;
}

/** Where a server listens. */
export interface ListenOptions {
  /** IP literal to bind (default `127.0.0.1` for ipv4, `::1` for ipv6). */
  host?: string;
  /**
   * Port; 0 (or `null`/`undefined` given explicitly, as net) picks a free port. `server.listen`
   * requires the property, as net does; {@link listenServer} defaults it to 0.
   */
  port?: number | null;
  /** Listen backlog. */
  backlog?: number;
  /** As net: the server closes when the signal aborts (at once if it already has). */
  signal?: AbortSignal;
}

/** Options of `backend.createSocket`. */
export interface CreateSocketOptions {
  /** Address family (default `'ipv4'`). */
  family?: 'ipv4' | 'ipv6';
  /** Socket type (default `'stream'`). */
  type?: 'stream' | 'dgram';
  /**
   * As `new net.Socket({ allowHalfOpen })` (stream sockets only; default false): when the peer
   * ends, this side stays writable until it calls `end()` itself.
   */
  allowHalfOpen?: boolean;
  /**
   * As `new net.Socket({ highWaterMark })` (stream sockets only): the high-water mark of both the
   * readable and the writable side, in bytes (an integer ≥ 0; wins over the two below, as in
   * `stream.Duplex`). Default: Node's default (`stream.getDefaultHighWaterMark()`).
   */
  highWaterMark?: number;
  /** As `new net.Socket({ readableHighWaterMark })`: the readable side's high-water mark only. */
  readableHighWaterMark?: number;
  /** As `new net.Socket({ writableHighWaterMark })`: the writable side's high-water mark only. */
  writableHighWaterMark?: number;
  /**
   * As `new net.Socket({ signal })`: when it aborts (at once if it already has), a stream
   * socket is destroyed with an `AbortError` (Node's own, `cause` the signal's reason), and a
   * datagram socket is closed, as `dgram.createSocket({ signal })` closes it.
   */
  signal?: AbortSignal;
  /**
   * As `new net.Socket({ onread })` (stream sockets only): what the socket receives is copied into
   * `buffer` (or the buffer the function returns, asked for each read) and handed to
   * `callback(nread, buffer)` instead of `'data'` events; a callback returning `false` pauses the
   * socket until `resume()`.
   */
  onread?: {
    buffer: Uint8Array | (() => Uint8Array);
    callback: (nread: number, buffer: Uint8Array) => unknown;
  };
}
