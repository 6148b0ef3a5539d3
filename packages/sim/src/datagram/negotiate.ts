/**
 * The stream handshake (INIT, RESP, AUTH, DONE; NOTIFY on failure) carried over UDP, one record per
 * datagram: the initiator retransmits its last record on a doubling timer, bounded in count and
 * time; the responder answers a retransmitted record with the answer it cached, so a lost answer
 * never starts a second negotiation.
 * @module
 */

import {
  decodeNotify,
  encodeNotify,
  encodeRecord,
  HandshakeError,
  type HandshakeRecord,
  IKE,
  MessageType,
} from '../negotiation/handshake.js';
import { Initiator, type Negotiated, type NegotiationParty, Responder } from '../negotiation/negotiation.js';
import type { Account } from '../realm/realm.js';
import { encodeNegotiate } from './wire.js';

/** First retransmission delay (ms); each later one doubles it. */
export const DGRAM_RETRANSMIT_FIRST = 100;
/** Retransmissions of one record before the negotiation is given up. */
export const DGRAM_RETRANSMIT_MAX = 5;

/** Counters the exchanges feed. */
export interface ExchangeCounters {
  retransmissions: number;
}

/** Options of one initiator exchange. */
export interface InitiatorExchangeOptions {
  party: NegotiationParty;
  exchangeId: number;
  /** Bound on the whole negotiation (ms). */
  timeout: number;
  send(datagram: Buffer): void;
  /** Throws (a SecureSocketError) when the authenticated peer machine must be refused. */
  checkPeer(peer: Account): void;
  counters: ExchangeCounters;
}

/** The initiator side of one negotiation with one peer. */
export class InitiatorExchange {
  readonly exchangeId: number;
  readonly promise: Promise<Negotiated>;
  readonly #opts: InitiatorExchangeOptions;
  readonly #initiator: Initiator;
  #resolve!: (n: Negotiated) => void;
  #reject!: (e: unknown) => void;
  #stage: 'resp' | 'auth' | 'done' | 'ended' = 'resp';
  #last: Buffer | undefined;
  #retransmits = 0;
  #retransmitTimer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;

  constructor(opts: InitiatorExchangeOptions) {
    this.#opts = opts;
    this.exchangeId = opts.exchangeId;
    this.promise = new Promise<Negotiated>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => {});
    this.#initiator = new Initiator(opts.party);
    this.#deadline = setTimeout(
      () =>
        this.fail(
          new HandshakeError(
            IKE.ERROR_IPSEC_IKE_TIMED_OUT,
            `the peer did not complete the negotiation within ${opts.timeout} ms`,
          ),
        ),
      opts.timeout,
    );
    this.#transmit(this.#initiator.init());
  }

  #transmit(record: Buffer): void {
    this.#last = encodeNegotiate(this.exchangeId, record);
    this.#retransmits = 0;
    this.#opts.send(this.#last);
    this.#arm(DGRAM_RETRANSMIT_FIRST);
  }

  #arm(delay: number): void {
    clearTimeout(this.#retransmitTimer);
    this.#retransmitTimer = setTimeout(() => {
      if (this.#stage === 'ended' || !this.#last) return;
      if (this.#retransmits >= DGRAM_RETRANSMIT_MAX) {
        this.fail(
          new HandshakeError(
            IKE.ERROR_IPSEC_IKE_TIMED_OUT,
            `the peer did not answer ${DGRAM_RETRANSMIT_MAX + 1} transmissions of the negotiation`,
          ),
        );
        return;
      }
      this.#retransmits++;
      this.#opts.counters.retransmissions++;
      this.#opts.send(this.#last);
      this.#arm(delay * 2);
    }, delay);
  }

  /** Feeds a record from the peer (duplicates of an answer already handled are ignored). */
  receive(record: HandshakeRecord): void {
    if (this.#stage === 'ended') return;
    if (record.type === MessageType.Notify) {
      let code: number = IKE.ERROR_IPSEC_IKE_ERROR;
      try {
        code = decodeNotify(record.body);
      } catch {}
      this.fail(new HandshakeError(code, 'the peer refused the negotiation', true));
      return;
    }
    try {
      if (this.#stage === 'resp' && record.type === MessageType.Resp) {
        const peer = this.#initiator.verifyResp(record);
        try {
          this.#opts.checkPeer(peer);
        } catch (error) {
          this.#notify(IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE);
          this.fail(error);
          return;
        }
        this.#stage = 'auth';
        clearTimeout(this.#retransmitTimer);
        this.#initiator.auth().then(
          (auth) => {
            if (this.#stage !== 'auth') return;
            this.#stage = 'done';
            this.#transmit(auth);
          },
          (error: unknown) => this.fail(error),
        );
      } else if (this.#stage === 'done' && record.type === MessageType.Done) {
        const negotiated = this.#initiator.done(record);
        this.#end();
        this.#resolve(negotiated);
      }
    } catch (error) {
      if (error instanceof HandshakeError) this.#notify(error.ikeCode);
      this.fail(error);
    }
  }

  #notify(code: number): void {
    this.#opts.send(encodeNegotiate(this.exchangeId, encodeRecord(MessageType.Notify, encodeNotify(code))));
  }

  #end(): void {
    this.#stage = 'ended';
    clearTimeout(this.#retransmitTimer);
    clearTimeout(this.#deadline);
  }

  /** Ends the exchange with `error` (idempotent). */
  fail(error: unknown): void {
    if (this.#stage === 'ended') return;
    this.#end();
    this.#reject(error);
  }
}

interface ResponderEntry {
  responder: Responder;
  /** The last answer sent, resent when the same record arrives again. */
  answer: Buffer;
  /** The type of the record `answer` answers. */
  answers: MessageType;
  timer: NodeJS.Timeout;
}

/** Options of {@link ResponderTable}. */
export interface ResponderTableOptions {
  /** This side under the socket's policy (undefined: the socket has no security, answer nothing). */
  party(): NegotiationParty | undefined;
  /** How long an exchange's state is kept (ms). */
  timeout: number;
  /** Exchanges held at once; more INITs are refused with RATELIMIT_DROP. */
  maxExchanges: number;
  counters: ExchangeCounters;
}

/** The responder side of every negotiation a datagram socket is asked for, keyed by peer and exchange. */
export class ResponderTable {
  readonly #opts: ResponderTableOptions;
  readonly #entries = new Map<string, ResponderEntry>();

  constructor(opts: ResponderTableOptions) {
    this.#opts = opts;
  }

  /**
   * Handles a record from `peerKey`; returns the datagram to send back (if any) and, when AUTH was
   * accepted, the keys of the new SA; when AUTH verified but `checkPeer` refused the initiator, the
   * reply is a NOTIFY `AUTHORIZATION_FAILURE` and `refused` is what `checkPeer` threw.
   * `checkPeer` throws (a SecureSocketError) when the initiator machine that authenticated must be
   * refused (it does not hold the target name this socket set for that peer).
   */
  receive(
    peerKey: string,
    exchangeId: number,
    record: HandshakeRecord,
    checkPeer: (peer: Account) => void,
  ): { reply?: Buffer; negotiated?: Negotiated; refused?: unknown } {
    const key = `${peerKey}|${exchangeId}`;
    const entry = this.#entries.get(key);
    const reply = (body: Buffer) => encodeNegotiate(exchangeId, body);
    if (entry && entry.answers === record.type) {
      // A retransmission: our answer was lost.
      this.#opts.counters.retransmissions++;
      return { reply: reply(entry.answer) };
    }
    const party = this.#opts.party();
    if (!party) return {};
    try {
      if (record.type === MessageType.Init && !entry) {
        if (this.#entries.size >= this.#opts.maxExchanges)
          throw new HandshakeError(IKE.ERROR_IPSEC_IKE_RATELIMIT_DROP, 'too many negotiations at once');
        const responder = new Responder(party);
        const answer = responder.respond(record);
        const timer = setTimeout(() => this.#entries.delete(key), this.#opts.timeout);
        timer.unref();
        this.#entries.set(key, { responder, answer, answers: MessageType.Init, timer });
        return { reply: reply(answer) };
      }
      if (record.type === MessageType.Auth && entry?.answers === MessageType.Init) {
        const { done, negotiated } = entry.responder.accept(record);
        try {
          checkPeer(negotiated.peerMachine);
        } catch (refused) {
          // Kept as the answer to AUTH, so a retransmitted AUTH is refused again, not ignored.
          entry.answer = encodeRecord(
            MessageType.Notify,
            encodeNotify(IKE.ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE),
          );
          entry.answers = MessageType.Auth;
          return { reply: reply(entry.answer), refused };
        }
        entry.answer = done;
        entry.answers = MessageType.Auth;
        return { reply: reply(done), negotiated };
      }
      if (record.type === MessageType.Notify) {
        this.#drop(key);
        return {};
      }
      return {};
    } catch (error) {
      this.#drop(key);
      const code = error instanceof HandshakeError ? error.ikeCode : IKE.ERROR_IPSEC_IKE_ERROR;
      return { reply: reply(encodeRecord(MessageType.Notify, encodeNotify(code))) };
    }
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (entry) clearTimeout(entry.timer);
    this.#entries.delete(key);
  }

  /** Forgets every exchange. */
  clear(): void {
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    this.#entries.clear();
  }
}
