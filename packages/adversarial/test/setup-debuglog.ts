// The suite runs with NODE_DEBUG=wsasec:sim (vitest.config.ts) so that the leak scan reads the human
// log too; its lines go to the sink of the running test instead of the terminal.
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (text.startsWith('WSASEC:SIM ')) {
    globalThis.__wsasecDebugSink?.(text);
    return true;
  }
  return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;
