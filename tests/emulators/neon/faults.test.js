'use strict';
// Fault injection through the shared FaultSchedule: each kind behaves as specified
// and shows up in the emulator's request log.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEnv } = require('./helpers');

describe('neon emulator: faults', () => {
  let env;

  before(async () => {
    env = await startEnv({ operationMs: 100, computeStartMs: 100 });
  });

  after(async () => {
    if (env) await env.stop();
  });

  const lastEntry = () => env.neon.requests[env.neon.requests.length - 1];

  test('429 with Retry-After, then normal service', async () => {
    const { api, project, neon } = env;
    neon.faults.add({ method: 'GET', path: /\/branches$/, status: 429, retryAfter: 2 });
    const r = await api('GET', project('/branches'));
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '2');
    assert.equal(typeof r.body.message, 'string');
    assert.equal(typeof r.body.code, 'string');
    assert.deepEqual(lastEntry().fault, { kind: 'status', status: 429, retryAfter: 2, body: r.body });
    assert.equal(lastEntry().status, 429);
    const ok = await api('GET', project('/branches'));
    assert.equal(ok.status, 200);
    assert.equal(lastEntry().fault, null);
    assert.equal(neon.faults.injected, 1);
  });

  test('skip and times: only the chosen matches fail; method and path must match', async () => {
    const { api, project, neon } = env;
    neon.faults.clear();
    neon.faults.add({ method: 'GET', path: '/api/v2/projects/', skip: 1, times: 2, status: 503, body: { code: 'UNAVAILABLE', message: 'try later' } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('GET', project(''))).status);
    assert.deepEqual(statuses, [200, 503, 503, 200]);
    assert.equal((await api('POST', project('/branches/count'))).status, 404); // other method: no fault
  });

  test('stall: the request is accepted and never answered', async () => {
    const { api, project, neon } = env;
    neon.faults.clear();
    neon.validationErrors.length = 0;
    neon.faults.add({ path: /\/endpoints$/, stallMs: 90000 });
    const t0 = Date.now();
    await assert.rejects(api('GET', project('/endpoints'), undefined, { signal: AbortSignal.timeout(400) }), /abort|timeout/i);
    assert.ok(Date.now() - t0 >= 390);
    const entry = neon.requests.find((e) => e.fault && e.fault.kind === 'stallMs');
    assert.ok(entry, 'stall is in the log');
    assert.equal(entry.status, null);
    assert.equal(entry.fault.stallMs, 90000);
  });

  test('drop: the socket is destroyed before anything happens', async () => {
    const { api, project, neon } = env;
    neon.faults.clear();
    neon.faults.add({ method: 'POST', path: /\/branches$/, drop: true });
    await assert.rejects(api('POST', project('/branches'), { branch: { name: 'dropped' } }), /fetch failed/);
    const entry = lastEntry();
    assert.deepEqual(entry.fault, { kind: 'drop', drop: true });
    assert.equal(entry.status, null);
    assert.equal(neon.branches().some((b) => b.name === 'dropped'), false);
  });

  test('dropAfterHandling: the branch is created but the response is lost', async () => {
    const { api, project, neon } = env;
    neon.faults.clear();
    neon.faults.add({ method: 'POST', path: /\/branches$/, dropAfterHandling: true });
    await assert.rejects(api('POST', project('/branches'), { branch: { name: 'lost-response' } }), /fetch failed/);
    const entry = lastEntry();
    assert.equal(entry.fault.kind, 'dropAfterHandling');
    assert.equal(entry.fault.suppressedStatus, 201);
    assert.equal(entry.status, null);
    assert.equal(entry.responseBody.branch.name, 'lost-response'); // what the client never saw
    // The state change happened: a retrying client must look before creating again.
    const list = await api('GET', project('/branches?search=lost-response'));
    assert.deepEqual(list.body.branches.map((b) => b.name), ['lost-response']);
    const retry = await api('POST', project('/branches'), { branch: { name: 'lost-response' } });
    assert.equal(retry.status, 409);
  });

  test('delay and global latency slow calls down without changing them', async () => {
    const { api, project, neon } = env;
    neon.faults.clear();
    neon.faults.add({ path: /\/operations$/, delayMs: 300 });
    let t0 = Date.now();
    const r = await api('GET', project('/operations'));
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 >= 290);
    assert.equal(lastEntry().fault.kind, 'delayMs');
    assert.ok(lastEntry().durationMs >= 290);

    neon.faults.latencyMs = 150;
    t0 = Date.now();
    assert.equal((await api('GET', project(''))).status, 200);
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(lastEntry().fault, null); // latency is not a fault
    neon.faults.latencyMs = 0;
  });

  test('the fault schedule rejects ambiguous rules and counts what it injected', () => {
    const { neon } = env;
    assert.throws(() => neon.faults.add({ status: 500, drop: true }), /exactly one/);
    assert.throws(() => neon.faults.add({ path: /x/ }), /exactly one/);
    const rule = neon.faults.add({ path: '/nowhere', status: 500, times: Infinity });
    for (let i = 0; i < 3; i++) assert.equal(neon.faults.take({ method: 'GET', url: '/nowhere?x=1' }), rule);
    assert.equal(rule.applied, 3);
    assert.equal(neon.faults.take({ method: 'GET', url: '/elsewhere' }), null);
    assert.ok(neon.faults.injected >= 9);
    neon.faults.clear();
    assert.deepEqual(neon.validationErrors.filter((e) => e.kind !== 'route'), []);
  });
});
