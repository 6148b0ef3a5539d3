import { Writable } from 'node:stream';
import type { CliIo } from '../src/cli/args.js';

/** A Writable that keeps what was written. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Streams for one in-process run of the command. */
export function captureIo(signal?: AbortSignal): CliIo & { stdout: Capture; stderr: Capture } {
  return { stdout: new Capture(), stderr: new Capture(), env: {}, ...(signal ? { signal } : {}) };
}
