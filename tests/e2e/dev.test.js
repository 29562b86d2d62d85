'use strict';
// mode: dev end to end: dist/ run by the runner simulation on workflow_dispatch and
// schedule events against the Neon emulator. A branch per engineer below the twin,
// refreshed after the nightly sync (mode: sync's `refresh-dev-branches`), listed, pruned
// when idle, and hostile engineer names made inert.

const test = require('node:test');
const assert = require('node:assert/strict');

const { startPostgres } = require('../support/postgres');
const { runAction, logText } = require('../support/runner');
const { scheduleEvent, workflowDispatchEvent } = require('../support/events');
const { neonInputs } = require('../support/action-runs');
const { startNeonEmulator } = require('../emulators/neon');
const { callApi, waitForOperations } = require('../emulators/neon/helpers');

const OWNER_PASSWORD = 'dev-owner-pw-9c2e1f';
const MIN = 60_000;
const DAY = 86_400_000;

let prod;
let neonPg;
let neon;
let twin;
let sourceUrl;
const api = (method, p, body) => callApi(neon.apiUrl, neon.apiKey, method, `/projects/${neon.projectId}${p}`, body);
const byName = (name) => neon.branches().find((b) => b.name === name);
const branchSql = async (name, sql) => (await neon.query(byName(name).id, sql)).trim();
const names = () => neon.branches().map((b) => b.name).sort();
const notices = (r) => r.commands.filter((c) => c.command === 'notice').map((c) => c.message);

function dev(inputs = {}, { sender = 'alice', eventName = 'workflow_dispatch' } = {}) {
  return runAction({
    inputs: { mode: 'dev', ...neonInputs(neon), ...inputs },
    eventName,
    event: eventName === 'schedule' ? scheduleEvent() : workflowDispatchEvent({ sender }),
    timeoutMs: 120000,
  });
}

test.before(async () => {
  prod = await startPostgres();
  await prod.psql(`CREATE ROLE app_owner LOGIN PASSWORD '${OWNER_PASSWORD}'`);
  await prod.psql('CREATE DATABASE prod OWNER app_owner');
  await prod.psql("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO items (name) VALUES ('first')", { db: 'prod', user: 'app_owner' });
  sourceUrl = `postgresql://app_owner:${OWNER_PASSWORD}@127.0.0.1:${prod.port}/prod`;
  neonPg = await startPostgres();
  neon = await startNeonEmulator({ pg: neonPg, operationMs: 100, computeStartMs: 100 });
  const created = await api('POST', '/branches', { branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitForOperations((m, p) => callApi(neon.apiUrl, neon.apiKey, m, p), (p) => `/projects/${neon.projectId}${p}`, created.body.operations);
  twin = created.body.branch;
  await neon.query(twin.id, 'CREATE TABLE stale (x int)');
});

test.after(async () => {
  if (neon) await neon.stop();
  if (neonPg) await neonPg.stop();
  if (prod) await prod.stop();
});

test('workflow_dispatch create: dev/alice below the twin, outputs masked, the neonctl hint; a second create reports it exists', async () => {
  const r = await dev();
  assert.equal(r.code, 0, logText(r));
  const alice = byName('dev/alice');
  assert.ok(alice, names().join(', '));
  assert.equal(alice.parent_id, twin.id);
  assert.equal(r.outputs.branch_name, 'dev/alice');
  assert.equal(r.outputs.branch_id, alice.id);
  assert.equal(r.outputs.created, 'true');
  assert.match(r.outputs.branch_url, new RegExp(`/branches/${alice.id}$`));
  assert.ok(r.outputs.db_host);
  const password = neon.password();
  assert.ok(r.outputs.db_url.includes(password));
  assert.ok(r.maskValues.includes(password), 'password masked');
  assert.ok(r.maskValues.some((v) => v.includes(password) && v.startsWith('postgres')), 'URL masked');
  assert.match(r.summary, /neonctl connection-string dev\/alice --project-id /);
  assert.ok(!r.summary.includes(password) && !logText(r).includes(password), 'no password in summary or log');
  // Annotated: who made it, whose it is, which parent it follows by name.
  const listed = await api('GET', '/branches');
  assert.deepEqual(
    { ...listed.body.annotations[alice.id].value, 'github-repo': undefined },
    { 'created-by': 'neon-gitops', 'neon-gitops-kind': 'dev', 'neon-gitops-engineer': 'alice', 'neon-gitops-parent': 'twin', 'github-repo': undefined },
  );

  const again = await dev();
  assert.equal(again.code, 0, logText(again));
  assert.equal(again.outputs.created, 'false');
  assert.equal(again.outputs.branch_id, alice.id);
  assert.match(logText(again), /dev\/alice .* already exists; it is not recreated/);
  assert.equal(neon.branches().filter((b) => b.name === 'dev/alice').length, 1);
});

test('create without an engineer creates the roster\'s missing branches', async () => {
  const r = await dev({ roster: 'alice\nbob, carol # lead' }, { sender: 'ci-bot' });
  assert.equal(r.code, 0, logText(r));
  for (const n of ['dev/alice', 'dev/bob', 'dev/carol']) assert.equal(byName(n).parent_id, twin.id, n);
  assert.ok(!byName('dev/ci-bot'));
  assert.match(r.summary, /\| alice \| .* \| exists \|/);
  assert.match(r.summary, /\| bob \| .* \| created \|/);
});

test('reset: one engineer\'s branch back to its parent\'s latest state', async () => {
  await branchSql('dev/alice', 'CREATE TABLE scratch (x int)');
  const r = await dev({ 'dev-command': 'reset', engineer: 'alice' });
  assert.equal(r.code, 0, logText(r));
  assert.equal(await branchSql('dev/alice', "SELECT count(*) FROM pg_class WHERE relname = 'scratch'"), '0');
  assert.equal(await branchSql('dev/alice', "SELECT count(*) FROM pg_class WHERE relname = 'stale'"), '1');
  assert.equal(byName('dev/alice').parent_id, twin.id);
});

test('nightly sync with refresh-dev-branches: idle branches get the new rows, an active one is skipped with a notice, backups keep no refreshed branch', async () => {
  const now = Date.now();
  for (const n of ['dev/alice', 'dev/bob']) neon.setActivity(byName(n).id, { computeState: 'idle', lastActive: now - 2 * 60 * MIN });
  neon.setActivity(byName('dev/carol').id, { computeState: 'idle', lastActive: now - MIN });
  await prod.psql("INSERT INTO items (name) VALUES ('brought-by-sync')", { db: 'prod', user: 'app_owner' });

  const r = await runAction({
    inputs: { mode: 'sync', 'source-url': sourceUrl, ...neonInputs(neon), 'twin-branch': 'twin', 'keep-backups': '1', 'refresh-dev-branches': 'dev/*' },
    eventName: 'schedule',
    event: scheduleEvent(),
    timeoutMs: 240000,
  });
  assert.equal(r.code, 0, logText(r));
  for (const n of ['dev/alice', 'dev/bob']) {
    assert.equal(await branchSql(n, "SELECT count(*) FROM items WHERE name = 'brought-by-sync'"), '1', n);
    assert.equal(byName(n).parent_id, twin.id, `${n} follows the twin again`);
  }
  assert.equal(await branchSql('dev/carol', "SELECT count(*) FROM pg_class WHERE relname = 'items'"), '0');
  assert.ok(notices(r).some((m) => /dev\/carol is not refreshed: its compute was active \d+ s ago/.test(m)), JSON.stringify(notices(r)));
  assert.match(r.summary, /\| `dev\/alice` \| reset to the latest state of `twin` \|/);

  // The twin had dev branches below it, so Neon kept a backup and moved them there; the
  // refreshed ones left it before the sync tidied, so only the skipped one still pins it.
  const backups = neon.branches().filter((b) => /^twin_old_\d{8}T\d{6}Z$/.test(b.name));
  assert.equal(backups.length, 1, names().join(', '));
  const devBelow = (id) => neon.branches().filter((b) => b.parent_id === id && b.name.startsWith('dev/')).map((b) => b.name);
  assert.deepEqual(devBelow(backups[0].id), ['dev/carol']);
  for (const w of r.commands.filter((c) => c.command === 'warning').map((c) => c.message)) {
    assert.doesNotMatch(w, /dev\/(alice|bob)/, w);
  }

  // The next night carol is idle too: no dev branch pins any backup afterwards.
  neon.setActivity(byName('dev/carol').id, { computeState: 'idle', lastActive: Date.now() - 2 * 60 * MIN });
  for (const n of ['dev/alice', 'dev/bob']) neon.setActivity(byName(n).id, { computeState: 'idle', lastActive: Date.now() - 2 * 60 * MIN });
  const r2 = await runAction({
    inputs: { mode: 'sync', 'source-url': sourceUrl, ...neonInputs(neon), 'twin-branch': 'twin', 'keep-backups': '1', 'refresh-dev-branches': 'dev/*' },
    eventName: 'schedule',
    event: scheduleEvent(),
    timeoutMs: 240000,
  });
  assert.equal(r2.code, 0, logText(r2));
  for (const b of neon.branches().filter((x) => /^twin_(old|sync)_/.test(x.name))) assert.deepEqual(devBelow(b.id), [], b.name);
  assert.equal(await branchSql('dev/carol', "SELECT count(*) FROM items WHERE name = 'brought-by-sync'"), '1');
});

test('list: a summary table of dev branches with who, parent and whether they follow it', async () => {
  const r = await dev({ 'dev-command': 'list' }, { eventName: 'schedule' });
  assert.equal(r.code, 0, logText(r));
  assert.match(r.summary, /\| alice \| `dev\/alice` \| `twin` \| \d{4}-\d\d-\d\d \| .* \| .* \| .* \| yes \|/);
  const listed = JSON.parse(r.outputs.branches);
  assert.deepEqual(listed.map((b) => b.branch), ['dev/alice', 'dev/bob', 'dev/carol']);
  const none = await dev({ 'dev-command': 'list', 'dev-branches': 'nobody/*' }, { eventName: 'schedule' });
  assert.equal(none.code, 0, logText(none));
  assert.match(none.summary, /No branch matches this pattern/);
});

test('prune idle-for 14d deletes only the idle branch that is not on the roster', async () => {
  const now = Date.now();
  neon.setActivity(byName('dev/alice').id, { computeState: 'idle', lastActive: now - 20 * DAY, createdAt: now - 30 * DAY });
  neon.setActivity(byName('dev/bob').id, { computeState: 'idle', lastActive: now - 15 * DAY, createdAt: now - 30 * DAY });
  neon.setActivity(byName('dev/carol').id, { computeState: 'idle', lastActive: now - DAY, createdAt: now - 30 * DAY });
  const before = names();
  const r = await dev({ 'dev-command': 'prune', 'idle-for': '14d', roster: 'alice' }, { eventName: 'schedule' });
  assert.equal(r.code, 0, logText(r));
  assert.deepEqual(names(), before.filter((n) => n !== 'dev/bob'));
  assert.equal(r.outputs.deleted, 'dev/bob');
  assert.match(r.summary, /\| `dev\/alice` \| kept: on the roster \|/);
  assert.match(r.summary, /\| `dev\/bob` \| deleted: idle for 15 d \|/);
  assert.match(r.summary, /\| `dev\/carol` \| kept: used 24 h ago \|/);
});

test('hostile engineer names give valid branch names or a clear error, and touch nothing else', async () => {
  const before = names();
  const made = [];
  for (const [engineer, want] of [['--help', 'dev/help'], ['a\nb', 'dev/a-b'], ['x'.repeat(300), `dev/${'x'.repeat(63)}`], ['$(touch /tmp/pwned)', 'dev/touch-tmp-pwned']]) {
    const r = await dev({ engineer });
    assert.equal(r.code, 0, logText(r));
    assert.equal(r.outputs.branch_name, want);
    made.push(want);
  }
  assert.deepEqual(names(), [...before, ...made].sort());
  // (An input of only whitespace is no input: the runner trims it, and the actor is used.)
  for (const engineer of ['..', '../..', '-- ..']) {
    const r = await dev({ engineer });
    assert.notEqual(r.code, 0, `${JSON.stringify(engineer)}: ${logText(r)}`);
    assert.match(logText(r), /`engineer`.*no letters or digits/);
  }
  assert.deepEqual(names(), [...before, ...made].sort());
  // Delete is idempotent and only ever names the one branch.
  for (let i = 0; i < 2; i++) {
    const r = await dev({ 'dev-command': 'delete', engineer: '--help' });
    assert.equal(r.code, 0, logText(r));
  }
  assert.ok(!byName('dev/help'));
  assert.ok(byName('twin') && byName('dev/alice'));
});
