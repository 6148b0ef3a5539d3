/**
 * The datagram man-in-the-middle scenarios: a sim datagram client sends numbered messages, each with
 * a random secret, to a sim datagram server through a {@link DatagramRelay} that attacks one of them.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { SecureDatagramSocket } from '@wsasec/core';
import { DEFAULT_REPLAY_WINDOW, type SimDatagramStats } from '@wsasec/sim';
import { realmBackends } from '../harness/realm.js';
import {
  type DatagramRelay,
  type DatagramTamper,
  PROTECTED_HEADER_SIZE,
  startDatagramRelay,
} from './dgram-relay.js';

/** The server socket counters a datagram can be dropped under. */
export type DropCounter = Exclude<
  keyof SimDatagramStats,
  'sent' | 'delivered' | 'negotiations' | 'retransmissions'
>;

/** Every drop counter, for asserting that the others stayed at zero. */
export const DROP_COUNTERS: readonly DropCounter[] = [
  'droppedReplay',
  'droppedOutOfWindow',
  'droppedIntegrity',
  'droppedNoSa',
  'droppedSpoofed',
  'droppedClear',
  'droppedMalformed',
];

/** One datagram scenario. */
export interface DatagramScenario {
  name: string;
  description: string;
  /** How many messages the client sends. */
  messages: number;
  /** Applied by the relay to each protected client datagram. */
  tamper?: DatagramTamper;
  /** Run once every message was sent and processed. */
  after?: (relay: DatagramRelay, settle: () => Promise<void>) => Promise<void>;
  /** 1-based numbers of the messages the server application must receive, each exactly once. */
  delivered: number[];
  /** The counter the attack must raise, and by how much (absent: every drop counter stays 0). */
  dropped?: { counter: DropCounter; count: number };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function flipBit(datagram: Buffer): Buffer {
  const copy = Buffer.from(datagram);
  const at = PROTECTED_HEADER_SIZE + 1;
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

/** Builds the scenarios (held datagrams live in each scenario's closure, so build afresh per run). */
export function datagramScenarios(): DatagramScenario[] {
  let held: Buffer | undefined;
  const window = DEFAULT_REPLAY_WINDOW;
  return [
    {
      name: 'pass-through',
      description: 'the relay forwards every datagram unchanged',
      messages: 3,
      delivered: [1, 2, 3],
    },
    {
      name: 'replay',
      description: 'protected datagram #2 is sent again after all three were delivered',
      messages: 3,
      after: async (relay) => relay.inject(relay.captured[1] as Buffer),
      delivered: [1, 2, 3],
      dropped: { counter: 'droppedReplay', count: 1 },
    },
    {
      name: 'duplicate',
      description: 'protected datagram #2 is forwarded twice in a row',
      messages: 3,
      tamper: (d, i) => (i === 1 ? [d, d] : [d]),
      delivered: [1, 2, 3],
      dropped: { counter: 'droppedReplay', count: 1 },
    },
    {
      name: 'out-of-window',
      description: `protected datagram #1 is held back while ${window + 6} later ones pass (window ${window}), then forwarded`,
      messages: window + 7,
      tamper: (d, i) => {
        if (i !== 0) return [d];
        held = d;
        return [];
      },
      after: async (relay) => relay.inject(held as Buffer),
      delivered: range(2, window + 7),
      dropped: { counter: 'droppedOutOfWindow', count: 1 },
    },
    {
      name: 'spoofed-source',
      description:
        'protected datagram #2 is withheld and sent from another local port; then the original is forwarded',
      messages: 3,
      tamper: (d, i) => {
        if (i !== 1) return [d];
        held = d;
        return [];
      },
      after: async (relay, settle) => {
        relay.spoof(held as Buffer);
        await settle();
        // The spoofed copy must not have used up the sequence number of the authentic one.
        relay.inject(held as Buffer);
      },
      delivered: [1, 2, 3],
      dropped: { counter: 'droppedSpoofed', count: 1 },
    },
    {
      name: 'flip-bit',
      description: 'one ciphertext bit of protected datagram #2 is flipped',
      messages: 3,
      tamper: (d, i) => (i === 1 ? [flipBit(d)] : [d]),
      delivered: [1, 3],
      dropped: { counter: 'droppedIntegrity', count: 1 },
    },
  ];
}

/** What a datagram run observed. */
export interface DatagramObserved {
  /** The messages the client sent (`#n:<secret hex>`), in order. */
  messages: Buffer[];
  /** What the server application received, in order. */
  received: Buffer[];
  /** The server socket's counters at the end. */
  stats: SimDatagramStats;
  /** Protected datagrams the relay sent to the server. */
  protectedToServer: number;
}

const processed = (s: SimDatagramStats) =>
  s.delivered + DROP_COUNTERS.reduce((sum, counter) => sum + s[counter], 0);

/**
 * Runs one scenario end to end on loopback and closes everything it opened (relay, both backends),
 * even when it fails. Throws if the server has not processed every protected datagram within 10 s.
 */
export async function runDatagramScenario(scenario: DatagramScenario): Promise<DatagramObserved> {
  const backends = realmBackends();
  let relay: DatagramRelay | undefined;
  try {
    const server: SecureDatagramSocket = backends.server.createSocket({ type: 'dgram' });
    server.setSecurity({ guaranteeEncryption: true });
    const { port } = await server.bind({ address: '127.0.0.1' });
    const received: Buffer[] = [];
    server.on('message', (m: Buffer) => received.push(Buffer.from(m)));
    const r = await startDatagramRelay({
      serverPort: port,
      ...(scenario.tamper ? { tamper: scenario.tamper } : {}),
    });
    relay = r;
    const stats = () => server.stats() as SimDatagramStats;
    const client: SecureDatagramSocket = backends.client.createSocket({ type: 'dgram' });
    const settle = async () => {
      const deadline = Date.now() + 10_000;
      const sent = () => (client.stats() as SimDatagramStats).sent;
      while (r.protectedFromClient < sent() || processed(stats()) < r.protectedToServer) {
        if (Date.now() > deadline)
          throw new Error(`${scenario.name}: the server did not process every datagram`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    client.setSecurity({ guaranteeEncryption: true });
    const peer = { address: '127.0.0.1', port: r.port };
    client.setPeerTargetName({ name: 'host/server.contoso.com', peerAddress: peer });
    await client.bind({ address: '127.0.0.1' });
    const messages: Buffer[] = [];
    for (let n = 1; n <= scenario.messages; n++) {
      const message = Buffer.from(`#${n}:${randomBytes(12).toString('hex')}`);
      messages.push(message);
      await client.send(message, peer);
      // Let the relay and the server keep up, so the kernel never drops for lack of buffer.
      if (n % 16 === 0) await settle();
    }
    await settle();
    if (scenario.after) {
      await scenario.after(r, settle);
      await settle();
    }
    return { messages, received, stats: stats(), protectedToServer: r.protectedToServer };
  } finally {
    await relay?.close();
    await backends.close();
  }
}
