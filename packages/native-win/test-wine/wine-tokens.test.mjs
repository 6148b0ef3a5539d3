// Tokens for real: the double returns duplicates of the process token, so GetTokenInformation,
// ConvertSidToStringSidW, LookupAccountSidW, ImpersonateLoggedOnUser, AccessCheck and CloseHandle
// all run in Wine's advapi32/kernel32.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { createNativeBackend, createWinsockSecureApi, nativeBackendStats } from '../dist/index.js';
import { double, peer, win } from './support.mjs';

const backend = createNativeBackend();
const opened = new Set();
const TOKEN_QUERY = 0x8;

beforeEach(() => double.reset());
afterEach(() => {
  for (const s of opened) s.destroy();
  opened.clear();
});
after(() => backend.close());

async function connected() {
  const socket = await backend.connect({
    host: '127.0.0.1',
    port: peer.echoPort,
    security: {},
    peerTargetName: 'h/t',
  });
  opened.add(socket);
  return socket;
}

describe('peer tokens', () => {
  it('decodes user SID, name, domain and group SIDs through the real advapi32', async () => {
    const socket = await connected();
    const info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    try {
      const self = backend.currentIdentity();
      for (const token of [info.peerApplicationToken, info.peerMachineToken]) {
        assert.ok(token);
        assert.match(token.user.sid, /^S-1-5-21(-\d+)+$/);
        assert.equal(token.user.sid, self.sid);
        assert.equal(typeof token.user.name, 'string');
        assert.ok(token.user.name.length > 0);
        assert.ok(token.groups.length > 0);
        for (const g of token.groups) assert.match(g.sid, /^S-1-\d+(-\d+)*$/);
      }
      assert.equal(info.peerApplicationToken.kind, 'application');
      assert.equal(info.peerMachineToken.kind, 'machine');
      assert.equal(double.liveTokens(), 2);
      assert.equal(nativeBackendStats(backend).openTokenHandles, 2);
    } finally {
      info.close();
    }
    // CloseHandle ran for real: the double sees neither token any more.
    assert.equal(double.liveTokens(), 0);
    assert.equal(nativeBackendStats(backend).openTokenHandles, 0);
    info.close();
    assert.equal(info.peerApplicationToken.closed, true);
  });

  it('asks for the mask given plus TOKEN_QUERY, and returns no token without a mask', async () => {
    const socket = await connected();
    double.reset();
    const none = socket.querySecurity();
    assert.equal(none.peerApplicationToken, undefined);
    none.close();
    const some = socket.querySecurity({ tokenAccess: 0x4 });
    some.close();
    const templates = double.records().filter((r) => r.fn === 'WSAQuerySocketSecurity' && !r.bufferNull);
    assert.equal(templates.at(-1).bytes.readUInt32LE(136), 0x4 | TOKEN_QUERY);
    assert.equal(double.liveTokens(), 0);
  });

  it('returns no token and flags 0 for a connection that is not secured', async () => {
    const socket = await connected();
    double.scriptQuery({ flags: 0 });
    const info = socket.querySecurity({ tokenAccess: TOKEN_QUERY });
    assert.equal(info.peerApplicationToken, undefined);
    assert.equal(info.secured, false);
    info.close();
    assert.equal(double.liveTokens(), 0);
  });
});

describe('impersonation and access checks', () => {
  it('impersonates the peer token on an adopted socket in the synchronous scope only', async () => {
    const socket = await connected();
    assert.equal(win.threadHasToken().has, false);
    const inside = socket.impersonatePeer(() => ({
      token: win.threadHasToken(),
      who: backend.currentIdentity(),
    }));
    assert.equal(inside.token.has, true);
    assert.equal(inside.who.sid, backend.currentIdentity().sid);
    const outside = win.threadHasToken();
    assert.equal(outside.has, false);
    assert.equal(outside.error, 1008); // ERROR_NO_TOKEN
    assert.equal(double.liveTokens(), 0);
  });

  it('reverts when the callback throws or returns a promise', async () => {
    const socket = await connected();
    assert.throws(
      () =>
        socket.impersonatePeer(() => {
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.equal(win.threadHasToken().has, false);
    assert.throws(
      () => socket.impersonatePeer(async () => 1),
      (e) => e.code === 'ERR_WSASEC_ASYNC_IMPERSONATION',
    );
    assert.equal(win.threadHasToken().has, false);
  });

  it('runs AccessCheck against SDDL with the peer token', async () => {
    const socket = await connected();
    const info = socket.querySecurity({ tokenAccess: TOKEN_QUERY | 0x2 | 0x4 });
    try {
      const token = info.peerApplicationToken;
      const user = token.user.sid;
      assert.deepEqual(backend.accessCheck(token, 'D:(A;;GA;;;WD)', 0x80000000), {
        granted: true,
        grantedAccess: 0x120089,
      });
      assert.equal(backend.accessCheck(token, `D:(D;;GA;;;${user})(A;;GA;;;WD)`, 0x80000000).granted, false);
      assert.equal(backend.accessCheck(token, `O:BAG:BAD:(A;;FR;;;${user})`, 0x1).granted, true);
      assert.equal(backend.accessCheck(token, `O:BAG:BAD:(A;;FR;;;${user})`, 0x2).granted, false);
      assert.throws(
        () => backend.accessCheck(token, 'D:(bogus', 0x1),
        (e) => e.code === 'WSAEINVAL',
      );
    } finally {
      info.close();
    }
    assert.equal(double.liveTokens(), 0);
  });

  it('the raw API impersonates through WSAImpersonateSocketPeer on a blocking SOCKET', () => {
    const api = createWinsockSecureApi();
    const s = win.blockingSocket();
    try {
      const inside = api.impersonateSocketPeer(s, () => win.threadHasToken().has);
      assert.equal(inside, true);
      assert.equal(win.threadHasToken().has, false);
      const calls = double.records().map((r) => r.fn);
      assert.deepEqual(calls, ['WSAImpersonateSocketPeer', 'WSARevertImpersonation']);
      double.fail('WSAImpersonateSocketPeer', 10014);
      assert.throws(
        () => api.impersonateSocketPeer(s, () => 1),
        (e) => e.code === 'WSAEFAULT' && e.syscall === 'WSAImpersonateSocketPeer',
      );
    } finally {
      win.closesocket(s);
    }
  });
});
