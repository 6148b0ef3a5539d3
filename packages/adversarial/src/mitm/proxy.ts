/**
 * A loopback TCP man in the middle for the sim: accepts a client, connects to a server, and passes
 * every wire unit (negotiation record, protected frame, clear bytes) through a tamper function that
 * may forward, alter, hold, drop, inject or cut. It records what it saw, so a handshake can be
 * replayed to a new connection.
 * @module
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type Direction, UnitSplitter, type WireUnit } from './units.js';

/** What a tamper function can see and do for one unit. */
export interface TamperContext {
  direction: Direction;
  /** Index of the proxied connection (0 for the first one). */
  connection: number;
  /** 1-based index of this unit among the units of the same kind and type in this direction. */
  ordinal: number;
  /** Writes bytes back to the sender of the unit (answering in its place). */
  reply(bytes: Buffer): void;
  /** Ends the forward direction after this unit's output (FIN), dropping everything later. */
  cut(): void;
  /** Writes bytes toward the receiver now or at any later time (to trickle a unit). */
  forward(bytes: Buffer): void;
}

/** Returns the buffers to forward instead of `unit` (`[unit.bytes]` to pass it on unchanged). */
export type Tamper = (unit: WireUnit, ctx: TamperContext) => Buffer[];

/** Options of {@link startMitmProxy}. */
export interface MitmProxyOptions {
  /** Port of the server on 127.0.0.1 (per connection, so a scenario can relay elsewhere). */
  target: number | ((connection: number) => number);
  /** Default: pass everything through. */
  tamper?: Tamper;
}

/** A unit as recorded by the proxy. */
export interface RecordedUnit extends WireUnit {
  direction: Direction;
  connection: number;
}

/** A running proxy. */
export interface MitmProxy {
  port: number;
  /** Every unit received from either side, in arrival order, before tampering. */
  recorded: RecordedUnit[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections (both legs) still open. */
  readonly open: number;
  close(): Promise<void>;
}

const passThrough: Tamper = (unit) => [unit.bytes];

/** Starts a proxy on 127.0.0.1 (a free port). */
export async function startMitmProxy(opts: MitmProxyOptions): Promise<MitmProxy> {
  const tamper = opts.tamper ?? passThrough;
  const recorded: RecordedUnit[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const own = (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    return s;
  };
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    own(client);
    const index = connections++;
    const port = typeof opts.target === 'number' ? opts.target : opts.target(index);
    const upstream = own(connect({ host: '127.0.0.1', port, allowHalfOpen: true }));
    client.pause();
    upstream.once('connect', () => client.resume());
    pipeUnits(client, upstream, 'c2s', index);
    pipeUnits(upstream, client, 's2c', index);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('close', closeBoth);
    upstream.once('close', closeBoth);
  });

  function pipeUnits(from: Socket, to: Socket, direction: Direction, connection: number): void {
    const splitter = new UnitSplitter(direction);
    const counts = new Map<string, number>();
    let cut = false;
    const handle = (unit: WireUnit) => {
      if (cut) return;
      recorded.push({ ...unit, direction, connection });
      const key = `${unit.kind}:${unit.type}`;
      const ordinal = (counts.get(key) ?? 0) + 1;
      counts.set(key, ordinal);
      let cutNow = false;
      const out = tamper(unit, {
        direction,
        connection,
        ordinal,
        reply: (bytes) => {
          if (!from.destroyed && from.writable) from.write(bytes);
        },
        cut: () => {
          cutNow = true;
        },
        forward: (bytes) => {
          if (!to.destroyed && to.writable) to.write(bytes);
        },
      });
      if (!to.destroyed && to.writable) for (const b of out) if (b.length > 0) to.write(b);
      if (cutNow) {
        cut = true;
        to.end();
      }
    };
    from.on('data', (chunk: Buffer) => {
      for (const unit of splitter.push(chunk)) handle(unit);
    });
    from.on('end', () => {
      for (const unit of splitter.flush()) handle(unit);
      if (!cut && !to.destroyed) to.end();
    });
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no address');
  return {
    port: address.port,
    recorded,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
