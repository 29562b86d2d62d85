'use strict';
// Foundation, end to end: dist/ run as the GitHub runner runs it, against a real Postgres
// behind the Neon emulator. Proves the input gate (no network before validation), the one
// retry policy (423/429/503 with backoff and Retry-After), survival of stalls and dropped
// connections, and that a lost create response never yields a second branch.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { runAction } = require('../support/runner');
const { pullRequestEvent } = require('../support/events');
const { promisify } = require('node:util');
const execFile = promisify(require('node:child_process').execFile);
const path = require('node:path');

let pg;
let neon;

before(async () => {
  pg = await startPostgres();
  neon = await startNeonEmulator({ pg, operationMs: 200, computeStartMs: 400 });
});
after(async () => {
  await neon?.stop();
  await pg?.stop();
});

function neonInputs(extra = {}) {
  return {
    mode: 'preview',
    'neon-api-key': neon.apiKey,
    'neon-project-id': neon.projectId,
    'neon-api-host': neon.apiUrl,
    // These tests are about the Neon client: no GitHub here (preview then skips the PR
    // comment and lint with a warning, instead of retrying an unreachable API).
    'github-token': '',
    ...extra,
  };
}

function requestsSince(mark) {
  return neon.requests.slice(mark);
}

function assertCleanFailure(r, mentions) {
  assert.equal(r.code, 1, `exit code; log:\n${r.stdout}${r.stderr}`);
  assert.equal(r.errors.length, 1, `exactly one error line: ${JSON.stringify(r.errors)}`);
  for (const m of mentions) assert.match(r.errors[0], m);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
}

const gateCases = [
  { name: 'unknown mode', inputs: { mode: 'teleport' }, mentions: [/input `mode`/, /preview, migrate, sync/] },
  { name: 'mode missing', inputs: { mode: '' }, mentions: [/input `mode`/, /required/] },
  { name: 'preview without project id', inputs: { 'neon-project-id': '' }, mentions: [/`neon-project-id`/] },
  { name: 'preview without api key on a same-repo PR', inputs: { 'neon-api-key': '' }, mentions: [/`neon-api-key`/] },
  { name: 'preview with an invalid branch-ttl', inputs: { 'branch-ttl': '99d' }, mentions: [/`branch-ttl`/, /30d/] },
  { name: 'preview on a push event', inputs: {}, eventName: 'push', event: { ref: 'refs/heads/main', repository: { full_name: 'acme/shop' } }, mentions: [/pull_request/, /push/] },
  { name: 'migrate without database-url', inputs: { mode: 'migrate' }, mentions: [/`database-url`/] },
  { name: 'sync without source-url', inputs: { mode: 'sync' }, mentions: [/`source-url`/] },
];

for (const c of gateCases) {
  test(`fails cleanly before any network call: ${c.name}`, async () => {
    const mark = neon.requests.length;
    const r = await runAction({
      inputs: neonInputs(c.inputs),
      eventName: c.eventName || 'pull_request',
      event: c.event || pullRequestEvent({ action: 'opened', number: 7 }),
    });
    assertCleanFailure(r, c.mentions);
    assert.deepEqual(requestsSince(mark), [], 'no call reached the Neon API');
  });
}

test('fork PR without an API key: one notice, exit 0, no API call', async () => {
  const mark = neon.requests.length;
  const r = await runAction({
    inputs: neonInputs({ 'neon-api-key': '' }),
    eventName: 'pull_request',
    event: pullRequestEvent({ action: 'opened', number: 8, fork: true }),
  });
  assert.equal(r.code, 0, r.stdout);
  assert.equal(r.commands.filter((c) => c.command === 'notice').length, 1);
  assert.deepEqual(requestsSince(mark), []);
});

test('retries 423, 429 (Retry-After) and 503 with growing, jittered backoff', async () => {
  neon.faults.clear();
  neon.faults.add({ method: 'POST', path: /\/branches$/, times: 2, status: 423 });
  neon.faults.add({ method: 'GET', path: /\/endpoints$/, times: 1, status: 429, retryAfter: 2 });
  neon.faults.add({ method: 'GET', path: /\/roles$/, times: 2, status: 503 });
  const mark = neon.requests.length;
  const r = await runAction({
    inputs: neonInputs(),
    eventName: 'pull_request',
    event: pullRequestEvent({ action: 'opened', number: 11, headRef: 'feature/retries' }),
  });
  neon.faults.clear();
  assert.equal(r.code, 0, `log:\n${r.stdout}${r.stderr}`);
  const log = requestsSince(mark);
  const creates = log.filter((e) => e.method === 'POST' && /\/branches$/.test(e.path));
  assert.deepEqual(creates.map((e) => e.status), [423, 423, 201]);
  const gap = (a, b) => Date.parse(b.at) - Date.parse(a.at);
  // Equal jitter: attempt n waits between half and all of 500ms·2^(n-1).
  assert.ok(gap(creates[0], creates[1]) >= 240, `first retry waited ${gap(creates[0], creates[1])} ms`);
  assert.ok(gap(creates[1], creates[2]) >= 490, `second retry waited ${gap(creates[1], creates[2])} ms`);
  const endpoints = log.filter((e) => e.method === 'GET' && /\/endpoints$/.test(e.path));
  assert.equal(endpoints[0].status, 429);
  assert.ok(gap(endpoints[0], endpoints[1]) >= 1990, `Retry-After honoured: ${gap(endpoints[0], endpoints[1])} ms`);
  const roles = log.filter((e) => e.method === 'GET' && /\/roles$/.test(e.path));
  assert.deepEqual(roles.map((e) => e.status), [503, 503, 200]);
  const named = neon.branches().filter((b) => b.name === 'preview/pr-11-feature/retries');
  assert.equal(named.length, 1, 'exactly one branch');
  assert.equal(r.outputs.branch_id, named[0].id);
  assert.equal(r.outputs.created, 'true');
});

test('survives a stalled request and a dropped connection', async () => {
  neon.faults.clear();
  neon.faults.add({ method: 'GET', path: /\/branches$/, times: 1, stallMs: 8000 });
  neon.faults.add({ method: 'GET', path: /\/databases$/, times: 1, drop: true });
  const mark = neon.requests.length;
  const r = await runAction({
    inputs: neonInputs(),
    env: { NEON_GITOPS_HTTP_TIMEOUT_MS: '1500' },
    eventName: 'pull_request',
    event: pullRequestEvent({ action: 'opened', number: 12, headRef: 'feature/stall' }),
  });
  neon.faults.clear();
  assert.equal(r.code, 0, `log:\n${r.stdout}${r.stderr}`);
  const log = requestsSince(mark);
  assert.ok(log.some((e) => e.fault && e.fault.kind === 'stallMs'), 'the stall was injected');
  assert.ok(log.some((e) => e.fault && e.fault.kind === 'drop'), 'the drop was injected');
  assert.equal(neon.branches().filter((b) => b.name === 'preview/pr-12-feature/stall').length, 1);
  assert.match(r.stdout, /timed out; retrying/);
});

test('a lost create response produces exactly one branch', async () => {
  neon.faults.clear();
  neon.faults.add({ method: 'POST', path: /\/branches$/, times: 1, dropAfterHandling: true });
  const mark = neon.requests.length;
  const r = await runAction({
    inputs: neonInputs(),
    eventName: 'pull_request',
    event: pullRequestEvent({ action: 'opened', number: 13, headRef: 'feature/lost' }),
  });
  neon.faults.clear();
  assert.equal(r.code, 0, `log:\n${r.stdout}${r.stderr}`);
  const creates = requestsSince(mark).filter((e) => e.method === 'POST' && /\/branches$/.test(e.path));
  assert.equal(creates.length, 1, 'the create was not repeated');
  const named = neon.branches().filter((b) => b.name === 'preview/pr-13-feature/lost');
  assert.equal(named.length, 1);
  assert.equal(r.outputs.branch_id, named[0].id);
  // The URL the action hands out really reaches the branch (TLS, SNI, the API's db name).
  const psql = path.join(pg.clientBinDir, 'psql');
  // (async: the proxy runs in this process, a sync child would deadlock it)
  const direct = await execFile(psql, ['-X', '-At', '-c', 'select 1', r.outputs.db_url]);
  assert.equal(direct.stdout.trim(), '1');
  const pooled = await execFile(psql, ['-X', '-At', '-c', 'select 1', r.outputs.db_url_pooled]);
  assert.equal(pooled.stdout.trim(), '1');
  assert.ok(r.masks.some((m) => (m.value || m) === r.outputs.password), 'password masked');
});
