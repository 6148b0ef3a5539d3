// Helpers of the Wine suite (runs inside Windows Node under Wine, with node:test).
// - `double`: the control functions of the fwpuclnt.dll test double next to node.exe;
// - `win`: a few Windows functions the tests use to check things independently of the backend;
// - `peer`: the Linux-side peer process started by scripts/wine-test.sh.
import { once } from 'node:events';
import * as http from 'node:http';
import koffi from 'koffi';

const fw = koffi.load('fwpuclnt.dll');
const ws2 = koffi.load('ws2_32.dll');
const advapi = koffi.load('advapi32.dll');
const kernel = koffi.load('kernel32.dll');

export const FN = {
  WSASetSocketSecurity: 1,
  WSASetSocketPeerTargetName: 2,
  WSADeleteSocketPeerTargetName: 3,
  WSAQuerySocketSecurity: 4,
  WSAImpersonateSocketPeer: 5,
  WSARevertImpersonation: 6,
  FwpmEngineOpen0: 7,
  FwpmEngineClose0: 8,
  FwpmTransactionBegin0: 9,
  FwpmTransactionCommit0: 10,
  FwpmTransactionAbort0: 11,
  FwpmProviderContextAdd0: 12,
  FwpmProviderContextDeleteByKey0: 13,
  IkeextSaGetById0: 14,
  FwpmFreeMemory0: 15,
  IPsecSaContextGetById0: 16,
  IPsecSaContextCreateEnumHandle0: 17,
  IPsecSaContextEnum0: 18,
  IPsecSaContextDestroyEnumHandle0: 19,
};
const FN_NAME = Object.fromEntries(Object.entries(FN).map(([k, v]) => [v, k]));

const c = {
  reset: fw.func('int __stdcall wsasec_double_reset()'),
  fail: fw.func('int __stdcall wsasec_double_fail(int fn, int err, int times)'),
  script: fw.func(
    'int __stdcall wsasec_double_script_query(uint32_t flags, int probe, int tokens, int ipsec2)',
  ),
  count: fw.func('int __stdcall wsasec_double_count()'),
  record: fw.func(
    'int __stdcall wsasec_double_record(int index, _Out_ int *fn, _Out_ int64_t *sock, _Out_ uint32_t *len, _Out_ int *flags, _Out_ uint32_t *infoLen, void *data, uint32_t cap)',
  ),
  live: fw.func('int __stdcall wsasec_double_live_tokens()'),
  wfpContexts: fw.func('int __stdcall wsasec_double_wfp_contexts()'),
  saLive: fw.func('int __stdcall wsasec_double_sa_live()'),
  saEnums: fw.func('int __stdcall wsasec_double_sa_enums()'),
  summary: fw.func('int __stdcall wsasec_double_summary(int index, void *out, uint32_t cap)'),
};

function summaryOf(index) {
  const out = Buffer.alloc(256);
  const n = c.summary(index, out, out.length);
  return n > 0 ? out.subarray(0, n).toString('latin1') : '';
}

export const double = {
  reset: () => c.reset(),
  /** Makes the next `times` calls of `fn` (a C name) fail with `err`. */
  fail: (fn, err, times = 1) => c.fail(FN[fn], err, times),
  /** What WSAQuerySocketSecurity answers. */
  scriptQuery: ({ flags = 3, probe = 10040, tokens = true, ipsec2 = false } = {}) =>
    c.script(flags, probe, tokens ? 1 : 0, ipsec2 ? 1 : 0),
  /** Every recorded call: { fn, socket, len, bufferNull, bound, connected, infoNull, infoLen, bytes }. */
  records() {
    const out = [];
    const n = c.count();
    for (let i = 0; i < n; i++) {
      const fn = [0];
      const sock = [0];
      const len = [0];
      const flags = [0];
      const infoLen = [0];
      const data = Buffer.alloc(1024);
      const got = c.record(i, fn, sock, len, flags, infoLen, data, data.length);
      out.push({
        fn: FN_NAME[fn[0]],
        socket: Number(sock[0]),
        len: len[0],
        bufferNull: (flags[0] & 1) !== 0,
        bound: (flags[0] & 2) !== 0,
        connected: (flags[0] & 4) !== 0,
        infoNull: (flags[0] & 8) !== 0,
        infoLen: infoLen[0],
        bytes: data.subarray(0, Math.max(0, got)),
        // WFP records: a pointer outside the recorded span, a security descriptor was passed.
        outside: (flags[0] & 16) !== 0,
        sdSet: (flags[0] & 32) !== 0,
        summary: summaryOf(i),
      });
    }
    return out;
  },
  /** Provider contexts the double holds (committed, or added in the open transaction). */
  wfpContexts: () => c.wfpContexts(),
  /** SA memory (IkeextSaGetById0, IPsecSaContext*) returned and FwpmFreeMemory0 has not freed. */
  saLive: () => c.saLive(),
  /** IPsecSaContext enumeration handles created and not destroyed. */
  saEnums: () => c.saEnums(),
  /** Query token handles still open (checked by handle and token id). */
  liveTokens: () => c.live(),
};

const getsockname = ws2.func('int __stdcall getsockname(intptr_t s, void *name, _Inout_ int *namelen)');
const WSASocketW = ws2.func(
  'intptr_t __stdcall WSASocketW(int af, int type, int protocol, void *info, uint32_t g, uint32_t flags)',
);
const closesocket = ws2.func('int __stdcall closesocket(intptr_t s)');
const OpenThreadToken = advapi.func(
  'int __stdcall OpenThreadToken(intptr_t thread, uint32_t access, int asSelf, _Out_ intptr_t *token)',
);
const CloseHandle = kernel.func('int __stdcall CloseHandle(intptr_t h)');
const GetLastError = kernel.func('uint32_t __stdcall GetLastError()');

export const win = {
  /** The local port of a SOCKET, asked of Winsock directly. */
  localPort(socket) {
    const name = Buffer.alloc(128);
    if (getsockname(socket, name, [128]) !== 0) return undefined;
    return name.readUInt16BE(2);
  },
  /** A blocking, non-overlapped SOCKET of the test's own (for the raw API). */
  blockingSocket: () => WSASocketW(2, 1, 6, null, 0, 0),
  closesocket: (s) => closesocket(s),
  /** Whether the calling thread has an impersonation token right now. */
  threadHasToken() {
    const out = [0];
    if (!OpenThreadToken(-2, 0x8, 1, out)) return { has: false, error: GetLastError() };
    CloseHandle(out[0]);
    return { has: true };
  },
};

export const peer = {
  echoPort: Number(process.env.WSASEC_PEER_ECHO_PORT),
  httpPort: Number(process.env.WSASEC_PEER_HTTP_PORT),
  /** Asks the Linux-side peer to connect to `port`, send `data`, and return what came back. */
  async connectBack(port, data) {
    const body = JSON.stringify({ port, data });
    const req = http.request({
      host: '127.0.0.1',
      port: peer.httpPort,
      method: 'POST',
      path: '/connect',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.end(body);
    const [res] = await once(req, 'response');
    let text = '';
    res.setEncoding('utf8');
    for await (const chunk of res) text += chunk;
    return JSON.parse(text);
  },
};

/** Writes `data` and reads as many bytes back. */
export async function roundTrip(socket, data) {
  const chunks = [];
  let total = 0;
  const done = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= data.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  socket.write(data);
  return done;
}

/** The SOCKET numbers the double saw for one function. */
export function socketsOf(records, fn) {
  return records.filter((r) => r.fn === fn).map((r) => r.socket);
}
