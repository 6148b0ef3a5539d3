/**
 * The one normalized form of every input, produced by `validate.ts` and consumed by backends.
 * Backends never see a raw user value.
 * @module
 */

/** A validated IP endpoint. */
export interface NormalizedAddress {
  /** Canonical IP literal (IPv6 in lower case, compressed as Node prints it). */
  address: string;
  /** 0–65535 (0 when not given). */
  port: number;
  family: 'ipv4' | 'ipv6';
}

/** Validated security settings, with the C values the structures carry. */
export interface NormalizedSecuritySettings {
  /** Which C structure a backend must pass: none (NULL), basic (8 bytes), ipsec (88 + strings). */
  structure: 'none' | 'basic' | 'ipsec';
  /** SOCKET_SECURITY_PROTOCOL_* value (0, 1, 2). */
  protocol: 0 | 1 | 2;
  /** SecurityFlags bits. */
  securityFlags: number;
  /** IpsecFlags bits. */
  ipsecFlags: number;
  /** Lower-case GUID, absent when zero or not given. */
  mainModePolicyKey?: string;
  /** Lower-case GUID, absent when zero or not given. */
  quickModePolicyKey?: string;
  /** Explicit credentials, with `DOMAIN\user` split. */
  credentials?: { user: string; domain?: string; password: string };
}

/** A validated target name. */
export interface NormalizedPeerTargetName {
  name: string;
  protocol: 0 | 1 | 2;
  peerAddress?: NormalizedAddress;
}

/** A validated query. */
export interface NormalizedQuery {
  /** Template protocol: 2 when IPSEC2 fields are asked for or the socket's protocol is IPSEC2. */
  protocol: 0 | 1 | 2;
  tokenAccess: number;
  peerAddress?: NormalizedAddress;
  ipsec2?: { fieldMask: number; abortOnFieldChange: boolean };
}

/** A validated connect target. */
export interface NormalizedConnectTarget {
  host: string;
  port: number;
  timeout?: number;
  /** The local endpoint to bind before connecting (net's `localAddress` / `localPort`). */
  localAddress?: string;
  localPort?: number;
}
