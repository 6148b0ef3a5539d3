/**
 * The protected channel of one connection: its outbound SA, its inbound decoder, rekeying at the
 * end of a lifetime (a new unidirectional SA per rekey, announced in-band by a REKEY frame protected
 * under the old one), the quick-mode SA id, and the protected END that makes truncation detectable.
 * No sockets: bytes in, buffers to write and callbacks out.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Negotiated } from '../negotiation/negotiation.js';
import { type Direction, deriveSa, quickModeSaId, type SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Lifetime, Transform } from '../policy/policy.js';
import { FrameDecoder, type FrameFailure } from './frame-decoder.js';
import { type FrameOpener, FrameType, OutboundSa, REKEY_PAYLOAD_SIZE } from './frames.js';

/** What the channel reports to its socket. */
export interface ChannelEvents {
  data(parts: Buffer[]): void;
  end(): void;
  /** The peer closed the connection (ABORT). */
  abort(): void;
  failure(failure: FrameFailure): void;
  /** A new quick-mode SA took over one direction. */
  rekeyed(direction: 'outbound' | 'inbound', qmSaId: bigint): void;
}

/** Options of {@link SecureChannel}. */
export interface ChannelOptions {
  lifetime: Required<Lifetime>;
  now(): number;
  /** Opens large encrypted frames off the main thread. */
  opener?: FrameOpener | undefined;
  /** Smallest encrypted payload handed to the worker (default 1 MiB: see frame-decoder.ts). */
  offloadThreshold?: number;
}

/** The protected channel of one connection. */
export class SecureChannel {
  readonly transform: Transform;
  readonly mmSaId: bigint;
  readonly saLookupContext: string;
  readonly maxPayload: number;
  readonly #negotiated: Negotiated;
  readonly #opts: ChannelOptions;
  readonly #events: ChannelEvents;
  readonly #decoder: FrameDecoder;
  readonly #outDirection: Direction;
  #out: OutboundSa;
  #inGeneration = 0;
  #inSpi: number;
  #qmSaId: bigint;
  #ended = false;
  #aborted = false;
  #framesSent = 0;

  constructor(negotiated: Negotiated, opts: ChannelOptions, events: ChannelEvents) {
    this.#negotiated = negotiated;
    this.#opts = opts;
    this.#events = events;
    this.transform = negotiated.transform;
    this.mmSaId = negotiated.mmSaId;
    this.saLookupContext = negotiated.saLookupContext;
    this.maxPayload = negotiated.maxPayload;
    this.#outDirection =
      negotiated.role === 'initiator' ? 'initiator-to-responder' : 'responder-to-initiator';
    this.#out = new OutboundSa(negotiated.outbound, negotiated.transform, opts.now());
    this.#inSpi = negotiated.inbound.spi;
    this.#qmSaId = quickModeSaId(negotiated.root, 0, 0);
    this.#decoder = new FrameDecoder(
      negotiated.inbound,
      {
        transform: negotiated.transform,
        maxPayload: negotiated.maxPayload,
        opener: opts.opener,
        ...(opts.offloadThreshold !== undefined ? { offloadThreshold: opts.offloadThreshold } : {}),
      },
      {
        data: (parts) => events.data(parts),
        end: () => events.end(),
        abort: () => events.abort(),
        failure: (failure) => events.failure(failure),
        rekey: (payload) => this.#inboundRekey(payload),
      },
    );
  }

  /** The current quick-mode SA id (changes on every rekey, in either direction). */
  get qmSaId(): bigint {
    return this.#qmSaId;
  }

  /** Inbound frames handed to the worker and not yet delivered. */
  get pendingOffloads(): number {
    return this.#decoder.pendingOffloads;
  }

  /** True when no partial inbound frame is buffered. */
  get atBoundary(): boolean {
    return this.#decoder.atBoundary;
  }

  /** True once the decoder stopped (END received or a failure). */
  get stopped(): boolean {
    return this.#decoder.stopped;
  }

  /** Frames protected for sending so far (every type, every generation): what coalescing saves. */
  get framesSent(): number {
    return this.#framesSent;
  }

  /** The current SPIs of each direction and the quick-mode lifetime (what an SA lookup reports). */
  get sa(): { inboundSpi: number; outboundSpi: number; lifetime: Required<Lifetime> } {
    return { inboundSpi: this.#inSpi, outboundSpi: this.#out.material.spi, lifetime: this.#opts.lifetime };
  }

  /** The outbound SA's generation (rekeys so far). */
  get outboundGeneration(): number {
    return this.#out.material.generation;
  }

  /** Feeds bytes received from the peer. */
  feed(chunk: Buffer): void {
    this.#decoder.feed(chunk);
  }

  #generations(): [number, number] {
    const out = this.#out.material.generation;
    return this.#negotiated.role === 'initiator' ? [out, this.#inGeneration] : [this.#inGeneration, out];
  }

  #expired(): boolean {
    const { bytes, seconds } = this.#opts.lifetime;
    return this.#out.bytes >= bytes || this.#opts.now() - this.#out.startedAt >= seconds * 1000;
  }

  #rekeyOutbound(): Buffer[] {
    const generation = this.#out.material.generation + 1;
    const nonce = randomBytes(16);
    const spi = 256 + (randomBytes(4).readUInt32BE(0) % (0xffff_ffff - 256));
    const payload = Buffer.allocUnsafe(REKEY_PAYLOAD_SIZE);
    payload.writeUInt32BE(generation, 0);
    payload.writeUInt32BE(spi, 4);
    nonce.copy(payload, 8);
    // The REKEY frame is the last one protected by the old SA.
    const frame = this.#out.protect(FrameType.Rekey, [payload], payload.length);
    this.#framesSent++;
    const material = deriveSa(this.#negotiated.root, this.#outDirection, generation, spi, nonce);
    this.#out = new OutboundSa(material, this.transform, this.#opts.now());
    this.#qmSaId = quickModeSaId(this.#negotiated.root, ...this.#generations());
    this.#events.rekeyed('outbound', this.#qmSaId);
    return frame;
  }

  #inboundRekey(payload: Buffer): FrameFailure | undefined {
    const generation = payload.readUInt32BE(0);
    const spi = payload.readUInt32BE(4);
    if (generation !== this.#inGeneration + 1 || spi < 256) {
      return { kind: 'integrity', reason: `REKEY to generation ${generation} (SPI ${spi}) is out of order` };
    }
    const direction: Direction =
      this.#outDirection === 'initiator-to-responder' ? 'responder-to-initiator' : 'initiator-to-responder';
    const material: SaKeyMaterial = deriveSa(
      this.#negotiated.root,
      direction,
      generation,
      spi,
      payload.subarray(8, 24),
    );
    this.#decoder.setInbound(material);
    this.#inGeneration = generation;
    this.#inSpi = spi;
    this.#qmSaId = quickModeSaId(this.#negotiated.root, ...this.#generations());
    this.#events.rekeyed('inbound', this.#qmSaId);
    return undefined;
  }

  /**
   * Protects application data: splits it into frames of at most `maxPayload` bytes, rekeying first
   * whenever the outbound SA reached its lifetime. Returns every buffer to write, in order.
   */
  protect(parts: readonly Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    let frame: Buffer[] = [];
    let frameLength = 0;
    const flush = () => {
      if (frameLength === 0) return;
      if (this.#expired()) out.push(...this.#rekeyOutbound());
      out.push(...this.#out.protect(FrameType.Data, frame, frameLength));
      this.#framesSent++;
      frame = [];
      frameLength = 0;
    };
    for (const part of parts) {
      let off = 0;
      while (off < part.length) {
        const n = Math.min(part.length - off, this.maxPayload - frameLength);
        frame.push(off === 0 && n === part.length ? part : part.subarray(off, off + n));
        frameLength += n;
        off += n;
        if (frameLength === this.maxPayload) flush();
      }
    }
    flush();
    return out;
  }

  /** The protected END frame (once; later calls return nothing). */
  protectEnd(): Buffer[] {
    if (this.#ended) return [];
    this.#ended = true;
    this.#framesSent++;
    return this.#out.protect(FrameType.End, [], 0);
  }

  /** The protected ABORT frame: this side closes the connection (once; later calls return nothing). */
  protectAbort(): Buffer[] {
    if (this.#aborted) return [];
    this.#aborted = true;
    this.#framesSent++;
    return this.#out.protect(FrameType.Abort, [], 0);
  }
}
