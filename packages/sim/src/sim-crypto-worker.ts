/**
 * Opens large encrypted frames on a worker thread, so a connection's decryption runs on a second
 * core while the main thread does I/O and encryption (a TLS socket does both on one). Ciphertext
 * chunks are transferred, not copied; plaintext comes back the same way. One worker per process,
 * started on first use, unref'd.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { debug } from './sim-diagnostics.js';
import type { FrameOpener, OpenJob } from './sim-frames.js';

// The worker's source is a string so the package runs the same from sources (tests) and from dist.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createDecipheriv } = require('node:crypto');
parentPort.on('message', (m) => {
  let out = [];
  let ok = true;
  try {
    const d = createDecipheriv('aes-256-gcm', m.key, m.nonce);
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

class WorkerOpener implements FrameOpener {
  #worker: Worker | undefined;
  #pending = new Map<number, Pending>();
  #nextId = 0;

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

  open(job: OpenJob): Promise<Buffer[] | undefined> {
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const message = {
        id,
        key: job.key,
        nonce: job.nonce,
        header: job.header,
        parts: job.parts,
        tag: job.tag,
      };
      try {
        worker.postMessage(
          message,
          job.parts.map((p) => p.buffer as ArrayBuffer),
        );
      } catch (error) {
        this.#pending.delete(id);
        reject(error as Error);
      }
    });
  }
}

let shared: WorkerOpener | undefined;

/** The process-wide frame opener (one worker thread). */
export function sharedOpener(): FrameOpener {
  shared ??= new WorkerOpener();
  return shared;
}
