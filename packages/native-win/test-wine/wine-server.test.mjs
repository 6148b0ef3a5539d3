// The server path inside Windows Node: listening SOCKET secured before bind, koffi.node.poll +
// non-blocking accept, a query of every accepted SOCKET before Node sees it, and HTTP on top.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { createNativeBackend } from '../dist/index.js';
import { double, peer } from './support.mjs';

const backend = createNativeBackend();
const servers = [];
const webs = [];

beforeEach(() => double.reset());
afterEach(async () => {
  for (const w of webs.splice(0)) {
    w.closeAllConnections();
    await new Promise((resolve) => w.close(resolve));
  }
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});
after(() => backend.close());

async function listen(security = {}) {
  const server = backend.createServer({ security });
  servers.push(server);
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const { port } = server.address();
  return { server, port };
}

/** A secured HTTP server: an ordinary http.Server fed with the backend's accepted sockets. */
async function secureHttp(handler) {
  const { server, port } = await listen({ guaranteeEncryption: true });
  const web = http.createServer(handler);
  webs.push(web);
  server.on('connection', (socket) => web.emit('connection', socket));
  return port;
}

/** An http.Agent whose connections are made by the backend (secured before connect). */
class SecuredAgent extends http.Agent {
  createConnection(options, callback) {
    backend
      .connect({
        host: options.host,
        port: Number(options.port),
        security: { guaranteeEncryption: true },
        peerTargetName: `host/${options.host}`,
      })
      .then((socket) => callback(null, socket), callback);
  }
}

function get(port, agent, path = '/') {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

describe('secured server on Windows Node', () => {
  it('secures the listening SOCKET before bind, and queries each accepted SOCKET before Node sees it', async () => {
    const { server, port } = await listen({ guaranteeEncryption: true });
    const [listenSet] = double.records();
    assert.equal(listenSet.fn, 'WSASetSocketSecurity');
    assert.deepEqual([listenSet.bound, listenSet.connected], [false, false]);
    const seen = [];
    server.on('connection', (socket) => {
      const queriedFirst = double.records().filter((r) => r.fn === 'WSAQuerySocketSecurity');
      seen.push(queriedFirst.length);
      socket.on('data', (d) => socket.end(`secured:${d}`));
    });
    const reply = await peer.connectBack(port, 'hello from linux');
    assert.equal(reply.received, 'secured:hello from linux');
    assert.equal(seen.length, 1);
    assert.ok(seen[0] >= 1, 'the accepted SOCKET was queried before the connection event');
    const query = double.records().find((r) => r.fn === 'WSAQuerySocketSecurity');
    assert.notEqual(query.socket, listenSet.socket);
    assert.equal(query.connected, true);
  });

  it('closes a connection the query says is not secured: nothing reaches the application or the peer', async () => {
    double.scriptQuery({ flags: 0 });
    const { server, port } = await listen({});
    const connections = [];
    const refused = [];
    server.on('connection', (s) => connections.push(s));
    server.on('negotiationError', (e) => refused.push(e));
    const reply = await peer.connectBack(port, 'secret');
    assert.equal(reply.closedWithoutData, true);
    assert.equal(connections.length, 0);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].code, 'ERR_WSASEC_NEGOTIATION_FAILED');
  });

  it('serves the per-connection peer identity over HTTP, through an agent built on the backend', async () => {
    const port = await secureHttp((req, res) => {
      const info = req.socket.querySecurity({ tokenAccess: 0x8 });
      try {
        res.end(
          `${info.encrypted ? 'encrypted' : 'clear'} ${info.peerApplicationToken?.user.sid ?? 'nobody'}`,
        );
      } finally {
        info.close();
      }
    });
    const agent = new SecuredAgent({ keepAlive: true });
    try {
      const first = await get(port, agent);
      const second = await get(port, agent, '/again');
      assert.equal(first.status, 200);
      assert.match(first.body, /^encrypted S-1-5-21/);
      assert.equal(second.body, first.body);
      // Keep-alive reused the one secured connection.
      const clientSockets = double.records().filter((r) => r.fn === 'WSASetSocketPeerTargetName');
      assert.equal(clientSockets.length, 1);
    } finally {
      agent.destroy();
    }
    assert.equal(double.liveTokens(), 0);
  });

  it('an agent built on the backend reaches the Linux-side HTTP server', async () => {
    const agent = new SecuredAgent();
    try {
      const res = await get(peer.httpPort, agent, '/hello');
      assert.deepEqual(res, { status: 200, body: 'hello from linux /hello' });
    } finally {
      agent.destroy();
    }
  });

  it('stops accepting after close', async () => {
    const { server, port } = await listen({});
    await new Promise((resolve) => server.close(resolve));
    servers.splice(servers.indexOf(server), 1);
    const reply = await peer.connectBack(port, 'anyone?');
    assert.equal(reply.closedWithoutData, true);
    const never = await Promise.race([
      once(server, 'connection'),
      new Promise((r) => setTimeout(() => r('none'), 100)),
    ]);
    assert.equal(never, 'none');
  });
});
