import * as net from 'node:net';

/** One unit of the sim's stream: a negotiation record or a protected frame. */
export interface Unit {
  kind: 'record' | 'frame';
  /** Record type (INIT 1 … HELLO 6) or frame type (DATA 1, REKEY 2, END 3, ABORT 4). */
  type: number;
  bytes: Buffer;
}

/** Splits one direction of a sim connection into records (before DONE/AUTH) and frames (after). */
export class UnitParser {
  #buf = Buffer.alloc(0);
  #records = true;
  /** The record type after which frames start in this direction (AUTH 3 client→server, DONE 4 server→client). */
  readonly #lastRecord: number;

  constructor(lastRecord: number) {
    this.#lastRecord = lastRecord;
  }

  push(chunk: Buffer): Unit[] {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    const out: Unit[] = [];
    for (;;) {
      if (this.#records) {
        if (this.#buf.length < 9) break;
        const len = 9 + this.#buf.readUInt32BE(5);
        if (this.#buf.length < len) break;
        const type = this.#buf[4] as number;
        out.push({ kind: 'record', type, bytes: this.#buf.subarray(0, len) });
        this.#buf = this.#buf.subarray(len);
        if (type === this.#lastRecord) this.#records = false;
      } else {
        if (this.#buf.length < 17) break;
        const len = 17 + this.#buf.readUInt32BE(13) + 16;
        if (this.#buf.length < len) break;
        out.push({ kind: 'frame', type: this.#buf[12] as number, bytes: this.#buf.subarray(0, len) });
        this.#buf = this.#buf.subarray(len);
      }
    }
    return out;
  }
}

/** What the proxy does with one unit: forward it (as given, changed, several, or none). */
export type Rewrite = (unit: Unit, index: number) => Buffer | Buffer[] | null | 'end';

/** A man in the middle between a client and a server, rewriting units in either direction. */
export interface Mitm {
  port: number;
  /** Every unit seen, per direction. */
  seen: { up: Unit[]; down: Unit[] };
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on loopback to `target`. `up` rewrites client→server units, `down`
 * server→client units; returning `'end'` ends that direction (FIN) without forwarding the unit.
 */
export async function startMitm(
  target: number,
  rewrite: { up?: Rewrite; down?: Rewrite } = {},
  opts: { raw?: boolean } = {},
): Promise<Mitm> {
  const sockets = new Set<net.Socket>();
  const seen = { up: [] as Unit[], down: [] as Unit[] };
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    const wire = (from: net.Socket, to: net.Socket, dir: 'up' | 'down', fn: Rewrite | undefined) => {
      if (opts.raw) {
        from.on('data', (chunk: Buffer) => {
          const r = fn?.({ kind: 'frame', type: 0, bytes: chunk }, seen[dir].length) ?? chunk;
          seen[dir].push({ kind: 'frame', type: 0, bytes: chunk });
          if (r === 'end') to.end();
          else if (r) to.write(Array.isArray(r) ? Buffer.concat(r) : r);
        });
      } else {
        const parser = new UnitParser(dir === 'up' ? 3 : 4);
        let ended = false;
        from.on('data', (chunk: Buffer) => {
          for (const unit of parser.push(chunk)) {
            if (ended) return;
            const index = seen[dir].length;
            seen[dir].push({ ...unit, bytes: Buffer.from(unit.bytes) });
            const r = fn ? fn(unit, index) : unit.bytes;
            if (r === 'end') {
              ended = true;
              to.end();
              return;
            }
            if (r) to.write(Array.isArray(r) ? Buffer.concat(r) : r);
          }
        });
      }
      from.on('end', () => to.end());
      from.on('close', () => to.destroy());
    };
    wire(client, upstream, 'up', rewrite.up);
    wire(upstream, client, 'down', rewrite.down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A copy of `bytes` with one bit flipped at `offset`. */
export function flip(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] = (copy[offset] as number) ^ 0x01;
  return copy;
}
