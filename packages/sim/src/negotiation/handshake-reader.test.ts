import { describe, expect, it } from 'vitest';
import {
  encodeRecord,
  HandshakeError,
  IKE,
  MAX_HANDSHAKE_BODY,
  MAX_HANDSHAKE_BUFFERED,
  MessageType,
  RecordReader,
} from './handshake.js';

describe('RecordReader bounds', () => {
  it('refuses a 4 GiB record length before buffering its body', () => {
    const reader = new RecordReader();
    const header = encodeRecord(MessageType.Init, Buffer.alloc(0));
    header.writeUInt32BE(0xffff_ffff, 5);
    expect(() => reader.push(header)).toThrow(HandshakeError);
    expect(reader.buffered).toBeLessThanOrEqual(header.length);
  });

  it('holds at most MAX_HANDSHAKE_BUFFERED bytes however much a peer sends behind a valid record', () => {
    const reader = new RecordReader();
    reader.push(encodeRecord(MessageType.Done, Buffer.alloc(MAX_HANDSHAKE_BODY)));
    let refused: unknown;
    try {
      for (let i = 0; i < 64; i++) reader.push(Buffer.alloc(16_384, 0x41));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(HandshakeError);
    expect((refused as HandshakeError).ikeCode).toBe(IKE.ERROR_IPSEC_IKE_INVALID_HEADER);
    expect(reader.buffered).toBeLessThanOrEqual(MAX_HANDSHAKE_BUFFERED + 16_384);
  });

  it('still hands over a record and the protected bytes that follow it in one chunk', () => {
    const reader = new RecordReader();
    const tail = Buffer.alloc(65_536, 0x42);
    reader.push(Buffer.concat([encodeRecord(MessageType.Done, Buffer.from('done')), tail]));
    expect(reader.next()?.type).toBe(MessageType.Done);
    expect(reader.takeRest().equals(tail)).toBe(true);
  });
});
