/**
 * The negotiation state machines, modelled on IKE/AuthIP and kept free of I/O: the initiator and the
 * responder turn received records into records to send, and finally into the keys of the
 * connection. Main mode: ephemeral X25519, both machines sign the transcript with their realm keys;
 * extended mode: the initiator's user (its logged-on user or explicit credentials) signs it too;
 * quick mode: the transform, SPIs and per-direction keys. Every failure is a {@link HandshakeError}
 * carrying an `ERROR_IPSEC_IKE_*` code.
 * @module
 */

export {
  MIN_FRAME_PAYLOAD,
  type Negotiated,
  type NegotiationParty,
} from './common.js';
export { Initiator } from './initiator.js';
export { Responder } from './responder.js';
