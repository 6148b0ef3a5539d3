/**
 * A datagram driver that records every call core makes and keeps the peers it "sent" to as its
 * security associations, for the datagram call-order tests.
 * @module
 */
import {
  createSecurityInfo,
  type DatagramDriver,
  type DatagramDriverEvents,
  datagramPeerKey,
  type NormalizedAddress,
  SecureSocketError,
} from '../index.js';

/** What a test can reach of a recording datagram driver. */
export interface RecordingDatagram {
  readonly driver: DatagramDriver;
  readonly events: DatagramDriverEvents;
  /** Datagrams sent, in order. */
  readonly sent: { data: Buffer; peer: NormalizedAddress }[];
}

/** A datagram driver pushing `dgram.<method>` to `calls`. */
export function recordingDatagram(
  calls: string[],
  events: DatagramDriverEvents,
  family: 'ipv4' | 'ipv6',
): RecordingDatagram {
  const sent: { data: Buffer; peer: NormalizedAddress }[] = [];
  const sas = new Set<string>();
  const known = (peer: NormalizedAddress, syscall: string) => {
    if (!sas.has(datagramPeerKey(peer)))
      throw new SecureSocketError('WSAEINVAL', `${syscall}: no security association with ${peer.address}`, {
        syscall,
      });
  };
  const driver: DatagramDriver = {
    setSecurity: () => void calls.push('dgram.setSecurity'),
    setPeerTargetName: () => void calls.push('dgram.setPeerTargetName'),
    deletePeerTargetName: () => void calls.push('dgram.deletePeerTargetName'),
    async bind(address) {
      calls.push('dgram.bind');
      return { address: address.address, port: address.port || 50_001, family };
    },
    async send(data, peer) {
      calls.push('dgram.send');
      sent.push({ data, peer });
      sas.add(datagramPeerKey(peer));
    },
    querySecurity(query) {
      calls.push('dgram.querySecurity');
      known(query.peerAddress, 'WSAQuerySocketSecurity');
      return createSecurityInfo({ protocol: 1, flags: 1 });
    },
    impersonatePeer(fn, peer) {
      calls.push('dgram.impersonatePeer');
      known(peer, 'WSAImpersonateSocketPeer');
      return fn();
    },
    ref: () => void calls.push('dgram.ref'),
    unref: () => void calls.push('dgram.unref'),
    close() {
      calls.push('dgram.close');
      setImmediate(() => events.close());
    },
  };
  return { driver, events, sent };
}
