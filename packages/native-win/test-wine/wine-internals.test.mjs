// The Node internals the backend relies on, checked on Windows Node itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBackendFromEnv, createNativeBackend, selfTestNodeInternals } from '../dist/index.js';

describe('Node internals on Windows Node', () => {
  it('pass the self-test (tcp_wrap TCP, manualStart, connect keeps the handle)', () => {
    assert.doesNotThrow(() => selfTestNodeInternals());
  });

  it('let the backend be created without an injected library, and from the environment', async () => {
    const backend = createNativeBackend();
    assert.equal(backend.name, 'native-win');
    await backend.close();
    const fromEnv = createBackendFromEnv({ WSASEC_NATIVE_TARGET_NAME_UNIT: 'bytes' });
    assert.equal(fromEnv.specificationVersion, 'v1');
    await fromEnv.close();
    assert.throws(
      () => createBackendFromEnv({ WSASEC_NATIVE_TARGET_NAME_UNIT: 'words' }),
      (e) => e.code === 'ERR_WSASEC_INVALID_ARGUMENT',
    );
  });

  it('answer WSASocketW with a real SOCKET number Node can adopt', () => {
    const backend = createNativeBackend();
    const socket = backend.createSocket({ family: 'ipv6' });
    assert.equal(socket.destroyed, false);
    socket.destroy();
    return backend.close();
  });
});
