import type { SecureSocketBackend } from '@wsasec/core';

/** The two machines a conformance run talks between, built fresh by `create()`. */
export interface ConformanceFixture {
  /** The client machine (and user, if the backend has one). */
  client: SecureSocketBackend;
  /** The server machine. */
  server: SecureSocketBackend;
  /** The name the server proves, e.g. `'host/server.contoso.com'`. */
  serverTargetName: string;
  /** A valid-looking name the server does NOT hold (default: `host/not-<serverTargetName host>`). */
  wrongTargetName?: string;
  /** Account names for token checks (compared without regard to case). */
  expected?: { clientUser?: string; clientMachine?: string; serverMachine?: string };
  /**
   * A machine without IPsec, for the clear-text cases. Absent: Node's own `net` on loopback plays
   * the peer without security (right for backends that speak TCP).
   */
  insecurePeer?: SecureSocketBackend;
  /** Peer tokens the backends hold open, if they can count them: every case must end with none. */
  openTokens?(): number;
  /** Closes both backends (and the insecure peer). */
  close(): Promise<void>;
}

/** What a backend can do; a `false` skips the cases that need it (they stay listed, skipped). */
export interface ConformanceCapabilities {
  /** Real connect/accept/data transfer. */
  network: boolean;
  /** `guaranteeEncryption` yields encrypted connections. */
  encryption: boolean;
  /** `tokenAccess` yields PeerTokens with SIDs. */
  tokens: boolean;
  /** A wrong target name fails connect. */
  peerNameVerification: boolean;
  /** `currentIdentity()` changes inside `impersonatePeer`. */
  impersonation: boolean;
  /** `accessCheck` evaluates SDDL against peer tokens. */
  accessCheck: boolean;
  /** IPSEC2 query fields. */
  ipsec2: boolean;
  /** Clear-text fallback against a peer without security. */
  allowInsecure: boolean;
  /** `createSocket({ type: 'dgram' })` gives datagram sockets that carry data between the two backends. */
  datagram?: boolean;
  /** `socket.querySecurityAssociations()` describes the SAs of the IPSEC2 query's ids. */
  securityAssociations?: boolean;
}

/** A capability name. */
export type Capability = keyof ConformanceCapabilities;

/** Options of {@link describeBackend}. */
export interface DescribeBackendOptions {
  /** Shown as the describe block's title. */
  name: string;
  /** Builds the fixture; called once for the run and again by the cases that close a backend. */
  create: () => ConformanceFixture | Promise<ConformanceFixture>;
  /** What the backend can do. */
  capabilities: ConformanceCapabilities;
  /** Case title → reason: the case is skipped and the reason shown in its title. */
  skip?: Record<string, string>;
}
