/**
 * `@wsasec/sim/internals`: the sim's decoders and protected-frame primitives, for the project's own
 * adversarial and fuzz suites. **Unstable**: not part of the public contract, and any release may
 * change or remove what is here. Applications use `@wsasec/sim`.
 * @packageDocumentation
 */

export { parseSddl } from './access/sddl.js';
export { DecodeError } from './encoding/codec.js';
export {
  decodeAuth,
  decodeIdentity,
  decodeInit,
  decodeNotify,
  decodeResp,
  HandshakeError,
  MAX_HANDSHAKE_BUFFERED,
  RecordReader,
} from './negotiation/handshake.js';
export type { SaKeyMaterial } from './negotiation/sa-keys.js';
export { FrameDecoder, type FrameFailure } from './protection/frame-decoder.js';
export { FrameType, OutboundSa } from './protection/frames.js';
export { decodeCertificate } from './realm/certificates.js';
