/**
 * Opens large encrypted frames on a worker thread, so a connection's decryption runs on a second
 * core while the main thread does I/O and encryption (a TLS socket does both on one). Encryption
 * stays on the main thread: sealing off-thread was measured slower (the plaintext must be copied,
 * and the ciphertext then reaches the kernel from another core's cache). Ciphertext
 * chunks are transferred, not copied; plaintext comes back the same way. One worker per process,
 * started on first use, unref'd.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { debug } from '../diagnostics.js';
import type { FrameOpener, OpenJob } from './frames.js';

// The worker's source is a string so the package runs the same from sources (tests) and from dist.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createDecipheriv } = require('node:crypto');
const keys = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'key') return void keys.set(m.keyId, m.key);
  if (m.op === 'drop') return void keys.delete(m.keyId);
  let out = [];
  let ok = true;
  try {
    const d = createDecipheriv('aes-256-gcm', keys.get(m.keyId), m.nonce);
    d.setAAD(m.header);
    for (const p of m.parts) out.push(d.update(p));
    d.setAuthTag(m.tag);
    d.final();
  } catch {
    ok = false;
    out = [];
  }
  const transfer = [];
  for (const o of out) if (o.byteOffset === 0 && o.byteLength === o.buffer.byteLength) transfer.push(o.buffer);
  parentPort.postMessage({ id: m.id, ok, out }, transfer);
});
`;

interface Pending {
  resolve(plain: Buffer[] | undefined): void;
  reject(error: Error): void;
}

class WorkerCrypto implements FrameOpener {
  #worker: Worker | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 0;
  // Keys go to the worker once per SA (cloning a KeyObject for every frame costs more than the
  // rest of the frame's message) and are dropped there once the SA's KeyObject is collected here.
  #keyIds = new WeakMap<KeyObject, number>();
  #nextKeyId = 0;
  #dropped = new FinalizationRegistry<{ keyId: number; worker: Worker }>(({ keyId, worker }) => {
    if (worker === this.#worker) worker.postMessage({ op: 'drop', keyId });
  });

  #start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'wsasec-sim-crypto' });
    worker.unref();
    worker.on('message', (m: { id: number; ok: boolean; out: Uint8Array[] }) => {
      const job = this.#pending.get(m.id);
      if (!job) return;
      this.#pending.delete(m.id);
      job.resolve(m.ok ? m.out.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)) : undefined);
    });
    const stop = (error: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#keyIds = new WeakMap();
      debug('crypto worker stopped: %s', error.message);
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const job of pending) job.reject(error);
    };
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`the crypto worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #keyId(worker: Worker, key: KeyObject): number {
    let keyId = this.#keyIds.get(key);
    if (keyId === undefined) {
      keyId = this.#nextKeyId++;
      this.#keyIds.set(key, keyId);
      worker.postMessage({ op: 'key', keyId, key });
      this.#dropped.register(key, { keyId, worker });
    }
    return keyId;
  }

  #post(
    key: KeyObject,
    message: Record<string, unknown>,
    transfer: ArrayBuffer[],
  ): Promise<Buffer[] | undefined> {
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...message, id, keyId: this.#keyId(worker, key) }, transfer);
      } catch (error) {
        this.#pending.delete(id);
        reject(error as Error);
      }
    });
  }

  open(job: OpenJob): Promise<Buffer[] | undefined> {
    return this.#post(
      job.key,
      { nonce: job.nonce, header: job.header, parts: job.parts, tag: job.tag },
      job.parts.map((p) => p.buffer as ArrayBuffer),
    );
  }
}

let shared: WorkerCrypto | undefined;

/** The process-wide frame crypto worker (one thread), opening large encrypted frames. */
export function sharedOpener(): FrameOpener {
  shared ??= new WorkerCrypto();
  return shared;
}
