/**
 * Protected frames, modelled on ESP (RFC 4303) with AES-256-GCM (RFC 4106) or AES-256-GMAC
 * (RFC 4543): the outbound SA that protects frames and the inbound decoder that verifies them.
 * Pure: no sockets, only bytes in and callbacks out. A frame that fails any check (SPI, sequence,
 * length, tag) delivers nothing of itself and stops the decoder for good.
 *
 * ```
 * 0   u32  SPI of the receiver's inbound SA
 * 4   u64  sequence number (1, 2, …; never reused, never skipped)
 * 12  u8   frame type (1 DATA, 2 REKEY, 3 END, 4 ABORT)
 * 13  u32  payload length
 * 17  …    payload (ciphertext with encryption, plaintext with integrity only)
 * …   16   tag (GCM tag over header [+ payload] as AAD)
 * ```
 * @module
 */
import { createCipheriv } from 'node:crypto';
import type { SaKeyMaterial } from '../negotiation/sa-keys.js';
import type { Transform } from '../policy/policy.js';

/** Size of a frame header. */
export const FRAME_HEADER_SIZE = 17;
/** Size of a frame tag. */
export const FRAME_TAG_SIZE = 16;
/** Frame types. */
export const FrameType = { Data: 1, Rekey: 2, End: 3, Abort: 4 } as const;
/** A frame type. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
/** Payload length of a REKEY frame: generation (4), new SPI (4), nonce (16). */
export const REKEY_PAYLOAD_SIZE = 24;

/** Below this average piece size, a frame's payload pieces are joined before sealing. */
const SMALL_PIECE = 4096;

/** The GCM nonce of a frame: the SA salt and the sequence number (RFC 4106). */
export function gcmNonce(salt: Buffer, seq: bigint): Buffer {
  return gcmNonceInto(Buffer.allocUnsafe(12), salt, seq);
}

/**
 * Writes the GCM nonce of a frame into `nonce` (12 bytes) and returns it: for a scratch buffer
 * reused frame after frame, since createCipheriv and createDecipheriv copy the IV at once.
 */
export function gcmNonceInto(nonce: Buffer, salt: Buffer, seq: bigint): Buffer {
  salt.copy(nonce, 0, 0, 4);
  nonce.writeBigUInt64BE(seq, 4);
  return nonce;
}

/** The sending half of a quick-mode SA. */
export class OutboundSa {
  readonly material: SaKeyMaterial;
  readonly transform: Transform;
  /** Sequence number of the last frame sent. */
  seq = 0n;
  /** Payload bytes protected so far. */
  bytes = 0;
  /** When the SA started (ms, from the connection's clock). */
  readonly startedAt: number;
  readonly #nonce = Buffer.allocUnsafe(12);

  constructor(material: SaKeyMaterial, transform: Transform, startedAt: number) {
    this.material = material;
    this.transform = transform;
    this.startedAt = startedAt;
  }

  /**
   * Protects one frame whose payload is `parts` (`length` bytes in total). Returns the buffers to
   * write, in order: header, payload pieces, tag. With integrity only, the payload pieces are the
   * caller's own buffers (or one copy of them, when they were many and small).
   */
  protect(type: FrameType, parts: readonly Buffer[], length: number): Buffer[] {
    const seq = ++this.seq;
    this.bytes += length;
    const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
    header.writeUInt32BE(this.material.spi, 0);
    header.writeBigUInt64BE(seq, 4);
    header[12] = type;
    header.writeUInt32BE(length, 13);
    const cipher = createCipheriv(
      'aes-256-gcm',
      this.material.key,
      gcmNonceInto(this.#nonce, this.material.salt, seq),
    );
    cipher.setAAD(header);
    const out: Buffer[] = [header];
    // Many small pieces (a batch of small writes) are joined first: one AEAD update and one buffer
    // to write instead of one per piece, for a copy of a few KiB.
    const pieces =
      parts.length > 1 && length < parts.length * SMALL_PIECE ? [Buffer.concat(parts, length)] : parts;
    if (this.transform === 'encryption') {
      for (const part of pieces) if (part.length > 0) out.push(cipher.update(part));
    } else {
      for (const part of pieces) {
        if (part.length === 0) continue;
        cipher.setAAD(part);
        out.push(part);
      }
    }
    cipher.final();
    out.push(cipher.getAuthTag());
    return out;
  }
}

/** A data frame handed to a worker for opening (see crypto-worker.ts). */
export interface OpenJob {
  key: SaKeyMaterial['key'];
  nonce: Buffer;
  header: Buffer;
  /** Ciphertext pieces; each owns its whole ArrayBuffer, so it can be transferred. */
  parts: Buffer[];
  tag: Buffer;
}

/** Opens data frames off the main thread; resolves with the plaintext, or undefined when the tag fails. */
export interface FrameOpener {
  open(job: OpenJob): Promise<Buffer[] | undefined>;
}
