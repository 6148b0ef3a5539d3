// The server side against the real sim over loopback: identity and group checks per request,
// 403/401, impersonation inside a handler, and explicit credentials per agent.
import * as http from 'node:http';
import { FILE_GENERIC_READ, GENERIC_READ } from '@wsasec/core';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecureDispatcher,
  fetch,
  getPeerSecurity,
  impersonateRequestPeer,
  requirePeerAccess,
  SecureAgent,
} from '../src/index.js';
import { errorOf, request, type Started, startSecureServer } from './support/http-helpers.js';
import { createSimFixture, SERVER, type SimFixture, WITH_USERS } from './support/sim-fixture.js';

let sim: SimFixture;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => {
  sim = createSimFixture();
});
afterAll(() => sim?.close());

function agentFor(
  backend: SimFixture['alice'],
  options: Partial<ConstructorParameters<typeof SecureAgent>[0]> = {},
) {
  const agent = new SecureAgent({ backend, peerTargetName: SERVER, security: WITH_USERS, ...options });
  cleanups.push(() => agent.destroy());
  return agent;
}

async function serve(handler: http.RequestListener, security: object = WITH_USERS): Promise<Started> {
  const started = await startSecureServer(sim.server, handler, { security });
  cleanups.push(() => started.close());
  return started;
}

describe('per-request identity against the sim', () => {
  it('reports the peer user and machine, with their groups, per request', async () => {
    const started = await serve((req, res) => {
      const info = getPeerSecurity(req);
      res.end(
        JSON.stringify({
          user: info.peerApplicationToken?.user,
          groups: info.peerApplicationToken?.groups.map((g) => g.sid),
          machine: info.peerMachineToken?.user.sid,
          encrypted: info.encrypted,
        }),
      );
    });
    const alice = JSON.parse((await request(started.url, { agent: agentFor(sim.alice) })).body);
    const bob = JSON.parse((await request(started.url, { agent: agentFor(sim.bob) })).body);
    expect(alice.user).toMatchObject({ sid: sim.sids.alice, name: 'alice' });
    expect(alice.groups).toContain(sim.sids.payroll);
    expect(alice.machine).toBe(sim.sids.client);
    expect(bob.user).toMatchObject({ sid: sim.sids.bob, name: 'bob' });
    expect(bob.groups).not.toContain(sim.sids.payroll);
  });

  it('answers 200 to a granted user and 403 — saying nothing — to the others', async () => {
    const app = express();
    app.get(
      '/payroll',
      requirePeerAccess({ sddl: `D:(A;;GR;;;${sim.sids.payroll})`, access: GENERIC_READ }),
      (_req, res) => {
        res.send('the payroll');
      },
    );
    const server = await startSecureServer(sim.server, app, { security: WITH_USERS });
    cleanups.push(() => server.close());
    const url = `${server.url}/payroll`;
    const alice = await request(url, { agent: agentFor(sim.alice) });
    const bob = await request(url, { agent: agentFor(sim.bob) });
    expect([alice.status, alice.body]).toEqual([200, 'the payroll']);
    // A client with no user cannot even connect under a policy that authenticates users.
    const machine = await errorOf(request(url, { agent: agentFor(sim.machine) }));
    expect(machine.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    for (const denied of [bob]) {
      expect([denied.status, denied.body]).toEqual([403, 'Forbidden']);
      const everything = JSON.stringify(denied);
      for (const secret of [sim.sids.payroll, sim.sids.bob, 'bob', 'Payroll', 'D:(']) {
        expect(everything).not.toContain(secret);
      }
    }
  });

  it('checks the machine token when no user was authenticated', async () => {
    const payroll = requirePeerAccess({ sddl: `D:(A;;GR;;;${sim.sids.payroll})`, access: GENERIC_READ });
    const machines = requirePeerAccess({
      sddl: `D:(A;;GR;;;${sim.sids.client})`,
      access: GENERIC_READ,
      token: 'machine',
    });
    const started = await serve((req, res) => {
      const guard = req.url === '/payroll' ? payroll : machines;
      if (guard(req, res)) res.end(`${getPeerSecurity(req).peerApplicationToken === undefined}`);
    }, {});
    const agent = agentFor(sim.machine, { security: undefined });
    expect((await request(`${started.url}/payroll`, { agent })).status).toBe(403);
    const reply = await request(`${started.url}/machines`, { agent });
    expect([reply.status, reply.body]).toEqual([200, 'true']);
  });

  it('checks file rights with the generic mapping, through fetch', async () => {
    const guard = requirePeerAccess({ sddl: `D:(A;;FR;;;${sim.sids.alice})`, access: FILE_GENERIC_READ });
    const started = await serve((req, res) => {
      if (guard(req, res)) res.end('read');
    });
    const statuses: number[] = [];
    for (const backend of [sim.alice, sim.bob]) {
      const dispatcher = createSecureDispatcher({ backend, peerTargetName: SERVER, security: WITH_USERS });
      cleanups.push(() => dispatcher.close());
      statuses.push((await fetch(started.url, { dispatcher })).status);
    }
    expect(statuses).toEqual([200, 403]);
  });

  it('answers 401 to a clear-text connection the server let in with allowInsecure', async () => {
    let secured: boolean | undefined;
    const guard = requirePeerAccess({ sddl: 'D:(A;;GA;;;WD)', access: GENERIC_READ });
    const started = await serve(
      (req, res) => {
        secured = getPeerSecurity(req).secured;
        if (guard(req, res)) res.end('in');
      },
      { allowInsecure: true },
    );
    const plainAgent = new http.Agent();
    cleanups.push(() => plainAgent.destroy());
    const reply = await request(started.url, { agent: plainAgent });
    expect([reply.status, reply.body, secured]).toEqual([401, 'Unauthorized', false]);
    // The same route over a secured connection is let in (Everyone is granted).
    expect((await request(started.url, { agent: agentFor(sim.alice, { security: undefined }) })).status).toBe(
      200,
    );
  });

  it('impersonates the peer inside a handler, synchronously only, and reverts', async () => {
    let after: string | undefined;
    const started = await serve((req, res) => {
      const inside = impersonateRequestPeer(req, () => sim.server.currentIdentity().sid);
      const outside = sim.server.currentIdentity().sid;
      let refused: string | undefined;
      try {
        impersonateRequestPeer(req, async () => sim.server.currentIdentity());
      } catch (error) {
        refused = (error as { code?: string }).code;
      }
      setImmediate(() => {
        after = sim.server.currentIdentity().sid;
      });
      res.end(JSON.stringify({ inside, outside, refused }));
    });
    const reply = JSON.parse((await request(started.url, { agent: agentFor(sim.alice) })).body);
    expect(reply).toEqual({
      inside: sim.sids.alice,
      outside: sim.sids.server,
      refused: 'ERR_WSASEC_ASYNC_IMPERSONATION',
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(after).toBe(sim.sids.server);
  });

  it('authenticates explicit credentials per agent and per request, in separate pools', async () => {
    const started = await serve((req, res) => {
      res.setHeader('x-remote-port', String(req.socket.remotePort));
      res.end(getPeerSecurity(req).peerApplicationToken?.user.name ?? 'nobody');
    });
    const asBob = {
      ...WITH_USERS,
      ipsec: { ...WITH_USERS.ipsec, credentials: { user: 'CONTOSO\\bob', password: 'battery staple' } },
    };
    const wrong = {
      ...WITH_USERS,
      ipsec: { ...WITH_USERS.ipsec, credentials: { user: 'bob', password: 'wrong' } },
    };
    const agent = agentFor(sim.alice);
    const first = await request(started.url, { agent });
    const second = await request(started.url, { agent, security: asBob });
    const third = await request(started.url, { agent });
    expect([first.body, second.body, third.body]).toEqual(['alice', 'bob', 'alice']);
    expect(first.headers['x-remote-port']).toBe(third.headers['x-remote-port']);
    expect(second.headers['x-remote-port']).not.toBe(first.headers['x-remote-port']);
    const error = await errorOf(request(started.url, { agent, security: wrong }));
    expect(error.code).toBe('ERR_WSASEC_NEGOTIATION_FAILED');
    expect(error.message).not.toContain('wrong');
  });
});
