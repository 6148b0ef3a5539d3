/**
 * A loopback UDP relay between one client and one server that drops, duplicates, holds back
 * (reorders) and replays datagrams with a seeded PRNG, so a lossy run is the same on every machine.
 * @module
 */
import * as dgram from 'node:dgram';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How the relay treats datagrams that `affects` selects. */
export interface Impairments {
  seed: number;
  drop: number;
  duplicate: number;
  /** Probability that a datagram is held back behind 1 – `maxHold` later ones. */
  reorder: number;
  maxHold: number;
  /** Probability that an old datagram (from the last 200) is sent again after this one. */
  replay: number;
  /** Which datagrams are impaired (default: all). */
  affects?: (datagram: Buffer) => boolean;
}

/** What the relay did to the client → server direction. */
export interface RelayCounts {
  received: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  replayed: number;
}

/** A started relay. */
export interface Relay {
  readonly port: number;
  readonly counts: RelayCounts;
  /** Sends every held datagram now. */
  flush(): void;
  /** Sends `datagram` to the server from the relay's address, as if the client sent it. */
  inject(datagram: Buffer): void;
  /** Every impaired client datagram seen, in order. */
  readonly seen: Buffer[];
  close(): Promise<void>;
}

/** A relay on 127.0.0.1 forwarding to `serverPort`; only client → server datagrams are impaired. */
export async function startRelay(serverPort: number, impairments: Impairments): Promise<Relay> {
  const random = seeded(impairments.seed);
  const udp = dgram.createSocket('udp4');
  const counts: RelayCounts = {
    received: 0,
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    replayed: 0,
  };
  const seen: Buffer[] = [];
  const held: { datagram: Buffer; release: number }[] = [];
  let client: { port: number } | undefined;
  const toServer = (datagram: Buffer, counted = true) => {
    if (counted) counts.forwarded++;
    udp.send(datagram, serverPort, '127.0.0.1');
  };
  const release = () => {
    for (let i = held.length - 1; i >= 0; i--) {
      const h = held[i] as { datagram: Buffer; release: number };
      if (--h.release <= 0) {
        held.splice(i, 1);
        toServer(h.datagram);
      }
    }
  };
  udp.on('message', (msg, rinfo) => {
    if (rinfo.port === serverPort) {
      if (client) udp.send(msg, client.port, '127.0.0.1');
      return;
    }
    client = { port: rinfo.port };
    if (impairments.affects && !impairments.affects(msg)) {
      toServer(msg, false);
      return;
    }
    counts.received++;
    seen.push(msg);
    release();
    if (random() < impairments.drop) {
      counts.dropped++;
      return;
    }
    if (random() < impairments.reorder) {
      counts.reordered++;
      held.push({ datagram: msg, release: 1 + Math.floor(random() * impairments.maxHold) });
    } else {
      toServer(msg);
    }
    if (random() < impairments.duplicate) {
      counts.duplicated++;
      toServer(msg);
    }
    if (random() < impairments.replay && seen.length > 1) {
      counts.replayed++;
      const back = Math.min(seen.length - 1, 1 + Math.floor(random() * 200));
      toServer(seen[seen.length - 1 - back] as Buffer);
    }
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  return {
    port: udp.address().port,
    counts,
    seen,
    flush() {
      for (const h of held.splice(0)) toServer(h.datagram);
    },
    inject: (datagram) => toServer(datagram),
    close: () => new Promise<void>((resolve) => udp.close(() => resolve())),
  };
}
