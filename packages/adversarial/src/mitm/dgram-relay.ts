/**
 * A loopback UDP relay between a sim datagram client and a sim datagram server that lets a scenario
 * see, withhold, alter, duplicate, replay and re-send (from another port) the protected datagrams the
 * client sends. Negotiation datagrams and the server → client direction pass untouched.
 * @module
 */
import * as dgram from 'node:dgram';

/** First four bytes of every datagram of the sim's datagram format (PROTOCOL.md, "Datagram sockets"). */
export const DGRAM_MAGIC = 'WSKD';
/** Kind byte (offset 4) of an ESP-like protected datagram. */
export const KIND_PROTECTED = 2;
/** magic, kind, SPI (u32), sequence number (u64): the bytes before the ciphertext. */
export const PROTECTED_HEADER_SIZE = 17;

/** Whether `d` is an ESP-like protected datagram of the sim. */
export function isProtectedDatagram(d: Buffer): boolean {
  return (
    d.length > PROTECTED_HEADER_SIZE &&
    d[4] === KIND_PROTECTED &&
    d.subarray(0, 4).toString('latin1') === DGRAM_MAGIC
  );
}

/**
 * Decides what the relay forwards in place of the `index`-th (0-based) protected client datagram:
 * the datagrams returned, in order (an empty array withholds it).
 */
export type DatagramTamper = (datagram: Buffer, index: number) => Buffer[];

/** A started datagram relay. */
export interface DatagramRelay {
  /** The relay's UDP port on 127.0.0.1 (the client's peer address). */
  readonly port: number;
  /** Every protected client datagram seen, in order, as received. */
  readonly captured: readonly Buffer[];
  /** Protected datagrams received from the client. */
  readonly protectedFromClient: number;
  /** Protected datagrams sent to the server (forwarded, injected or spoofed). */
  readonly protectedToServer: number;
  /** Sends `datagram` to the server from the relay's own port (the address the SA is bound to). */
  inject(datagram: Buffer): void;
  /** Sends `datagram` to the server from a different local port than the relay's. */
  spoof(datagram: Buffer): void;
  /** Closes both UDP sockets. */
  close(): Promise<void>;
}

/** Options of {@link startDatagramRelay}. */
export interface DatagramRelayOptions {
  /** The sim server's UDP port on 127.0.0.1. */
  serverPort: number;
  /** What to do with each protected client datagram (default: forward it). */
  tamper?: DatagramTamper;
  /** Most protected datagrams the relay will capture (bounds memory; default 1024). */
  maxCaptured?: number;
}

const bindLoopback = (socket: dgram.Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });

/**
 * Starts a relay on 127.0.0.1 (no C counterpart: a test double for the network between two hosts).
 * Rejects with the UDP bind error if no loopback port can be bound.
 */
export async function startDatagramRelay(options: DatagramRelayOptions): Promise<DatagramRelay> {
  const { serverPort } = options;
  const maxCaptured = options.maxCaptured ?? 1024;
  const udp = dgram.createSocket('udp4');
  const spoofer = dgram.createSocket('udp4');
  const captured: Buffer[] = [];
  let protectedToServer = 0;
  let protectedFromClient = 0;
  let clientPort: number | undefined;
  const toServer = (datagram: Buffer, from = udp) => {
    if (isProtectedDatagram(datagram)) protectedToServer++;
    from.send(datagram, serverPort, '127.0.0.1');
  };
  udp.on('message', (msg, rinfo) => {
    if (rinfo.port === serverPort) {
      if (clientPort !== undefined) udp.send(msg, clientPort, '127.0.0.1');
      return;
    }
    clientPort = rinfo.port;
    if (!isProtectedDatagram(msg)) {
      toServer(msg);
      return;
    }
    const index = protectedFromClient++;
    if (captured.length < maxCaptured) captured.push(Buffer.from(msg));
    for (const out of options.tamper ? options.tamper(msg, index) : [msg]) toServer(out);
  });
  // The spoofer only sends; anything the server answers it is ignored.
  spoofer.on('message', () => {});
  await bindLoopback(udp);
  await bindLoopback(spoofer);
  return {
    port: udp.address().port,
    captured,
    get protectedFromClient() {
      return protectedFromClient;
    },
    get protectedToServer() {
      return protectedToServer;
    },
    inject: (datagram) => toServer(datagram),
    spoof: (datagram) => toServer(datagram, spoofer),
    close: async () => {
      await Promise.all([udp, spoofer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
