// Port of node/test/parallel/test-http-agent-abort-controller.js: createSecureServer for http.createServer, SecureAgent for http.Agent (createConnection called as Node's agent allows: synchronously, no callback).
import assert from 'node:assert';
import type { EventEmitter } from 'node:events';
import { getEventListeners, once } from 'node:events';
import { it } from 'vitest';
import { HOST, http, type NodeHttpTest, portOf } from './support.js';

export default function register(current: () => NodeHttpTest): void {
  it('test-http-agent-abort-controller', async () => {
    const t = current();
    const agent = t.agent();
    const server = t.createServer();
    server.listen(
      0,
      HOST,
      t.mustCall(async () => {
        try {
          const port = portOf(server);
          const host = HOST;
          const options = { port, host, _agentKey: agent.getName({ port, host }) };

          async function postCreateConnection() {
            const ac = new AbortController();
            const { signal } = ac;
            const connection = (agent as any).createConnection({ ...options, signal }) as EventEmitter;
            assert.strictEqual(getEventListeners(signal, 'abort').length, 1);
            ac.abort();
            const [err] = await once(connection, 'error');
            assert.strictEqual(err?.name, 'AbortError');
          }

          async function preCreateConnection() {
            const ac = new AbortController();
            const { signal } = ac;
            ac.abort();
            const connection = (agent as any).createConnection({ ...options, signal }) as EventEmitter;
            const [err] = await once(connection, 'error');
            assert.strictEqual(err?.name, 'AbortError');
          }

          async function agentAsParam() {
            const ac = new AbortController();
            const { signal } = ac;
            const request = http.get({ host, port: portOf(server), path: '/hello', agent, signal });
            assert.strictEqual(getEventListeners(signal, 'abort').length, 1);
            ac.abort();
            const [err] = await once(request, 'error');
            assert.strictEqual(err?.name, 'AbortError');
          }

          async function agentAsParamPreAbort() {
            const ac = new AbortController();
            const { signal } = ac;
            ac.abort();
            const request = http.get({ host, port: portOf(server), path: '/hello', agent, signal });
            assert.strictEqual(getEventListeners(signal, 'abort').length, 0);
            const [err] = await once(request, 'error');
            assert.strictEqual(err?.name, 'AbortError');
          }

          await postCreateConnection();
          await preCreateConnection();
          await agentAsParam();
          await agentAsParamPreAbort();
          server.close();
          t.done();
        } catch (error) {
          t.fail(error);
        }
      }),
    );
    await t.end();
  }, 5000);
}
