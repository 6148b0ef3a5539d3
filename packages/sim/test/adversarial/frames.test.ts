import { afterEach, describe, expect, it } from 'vitest';
import { flip } from '../support/mitm.js';
import { acceptedOne, closeAll, h, SECRET, TARGET, through, watch, world } from './helpers.js';

afterEach(closeAll);

describe('a man in the middle on the protected stream', () => {
  for (const encryption of [false, true]) {
    const mode = encryption ? 'encrypted' : 'integrity only';

    it(`a flipped payload bit kills the connection, and nothing of that frame is delivered (${mode})`, async () => {
      const w = await world({ encryption });
      let dataFrames = 0;
      const mitm = await through(w, {
        up: (u) => (u.kind === 'frame' && u.type === 1 && ++dataFrames === 2 ? flip(u.bytes, 20) : u.bytes),
      });
      const socket = h.keep(
        await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
      );
      socket.on('error', () => {});
      const peer = watch(await acceptedOne(w));
      socket.write('first frame;');
      await new Promise((r) => setTimeout(r, 20));
      socket.write(`second frame ${SECRET}`);
      const result = await peer.done;
      expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
      expect(peer.data()).toBe('first frame;');
      if (encryption) expect(Buffer.concat(mitm.seen.up.map((u) => u.bytes)).includes(SECRET)).toBe(false);
    });
  }

  it('a flipped header bit (sequence number) is refused', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? flip(u.bytes, 11) : u.bytes),
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write(SECRET);
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/sequence/);
    expect(peer.data()).toBe('');
  });

  it('a replayed frame is refused after the original was delivered', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? [u.bytes, u.bytes] : u.bytes),
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('once');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/replayed|sequence/);
    expect(peer.data()).toBe('once');
  });

  it('reordered frames are refused and the later frame is not delivered', async () => {
    const w = await world();
    let held: Buffer | undefined;
    const mitm = await through(w, {
      up: (u) => {
        if (u.kind !== 'frame' || u.type !== 1) return u.bytes;
        if (!held) {
          held = Buffer.from(u.bytes);
          return null;
        }
        return [u.bytes, held];
      },
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('one;');
    await new Promise((r) => setTimeout(r, 20));
    socket.write('two;');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(peer.data()).toBe('');
  });

  it('a stream cut in the middle of a frame is refused (truncated), nothing of the frame delivered', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => (u.kind === 'frame' && u.type === 1 ? [u.bytes.subarray(0, 30), Buffer.alloc(0)] : u.bytes),
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const accepted = await acceptedOne(w);
    const peer = watch(accepted);
    socket.write(`${SECRET}${SECRET}`);
    await new Promise((r) => setTimeout(r, 30));
    // The attacker ends the client→server direction after the partial frame.
    const mitm2 = mitm;
    expect(mitm2.seen.up.some((u) => u.kind === 'frame')).toBe(true);
    socket.end();
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/truncated/);
    expect(peer.data()).toBe('');
  });

  it('a stream cut between frames (the protected END dropped) is a reset, not a clean end', async () => {
    const w = await world();
    const mitm = await through(w, { up: (u) => (u.kind === 'frame' && u.type === 3 ? 'end' : u.bytes) });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.end('all that was sent');
    const result = await peer.done;
    expect(result.ended).toBe(false);
    expect(result.error?.code).toBe('WSAECONNRESET');
    expect(peer.data()).toBe('all that was sent');
  });

  it('a frame claiming 4 GiB is refused at once, without waiting for (or buffering) its payload', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) => {
        if (u.kind !== 'frame' || u.type !== 1) return u.bytes;
        const forged = Buffer.from(u.bytes.subarray(0, 17));
        forged.writeUInt32BE(0xffff_ffff, 13);
        return forged;
      },
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('x');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(result.error?.message).toMatch(/length 4294967295/);
  });

  it('bytes injected in clear into a protected stream are refused', async () => {
    const w = await world();
    const mitm = await through(w, {
      up: (u) =>
        u.kind === 'frame' && u.type === 1 ? Buffer.from(`GET / HTTP/1.1\r\n\r\n${'x'.repeat(64)}`) : u.bytes,
    });
    const socket = h.keep(
      await w.client.connect({ host: '127.0.0.1', port: mitm.port, peerTargetName: TARGET }),
    );
    socket.on('error', () => {});
    const peer = watch(await acceptedOne(w));
    socket.write('real data');
    const result = await peer.done;
    expect(result.error?.code).toBe('ERR_WSASEC_INTEGRITY');
    expect(peer.data()).toBe('');
  });
});
