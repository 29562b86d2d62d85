'use strict';
// Issue 7 §4: every mode reaches the same end state under faults as without them.
//
// Each test plays one scenario twice, each time against fresh emulators (one shared
// Postgres cluster underneath): once fault-free, once under a fault schedule on the Neon
// and GitHub emulators (Slack for sync, which talks to no GitHub) that mixes every kind
// of trouble a real API gives: 423 (branch busy), 429 with Retry-After, 503/502,
// latency, a stall longer than the client's timeout (NEON_GITOPS_HTTP_TIMEOUT_MS is
// lowered for the faulty run so it stays quick), a dropped connection, and a lost
// response (the server did the work, the client never heard: the case that turns a
// retried POST into a second branch or a second comment). The schedules are written
// per step of the scenario, so a reader sees which call of which run gets what, and
// every rule must have fired: a schedule that misses its calls fails the test instead
// of proving nothing. After each step the observable state (branches, comment, applied
// migrations and tracking rows, twin contents, outputs) is captured, normalised for
// what legitimately differs between two emulator instances (ids, hosts, timings), and
// the faulty run's captures must equal the fault-free run's.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { startSlackEmulator } = require('../emulators/slack');
const { callApi, waitForOperations } = require('../emulators/neon/helpers');
const { runAction, logText } = require('../support/runner');
const { neonInputs, runPreview } = require('../support/action-runs');
const { pullRequestEvent, scheduleEvent } = require('../support/events');

/** The faulty runs' per-request timeout: well below the stalls, so each stall is abandoned. */
const TIMEOUT_MS = 2500;
const STALL_MS = 6000;

let pg;
const cleanups = [];
before(async () => { pg = await startPostgres(); });
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await pg?.stop();
});

// ---------------------------------------------------------------------------
// Worlds, schedules and normalisation

/** Fresh emulators on the shared cluster; stopped when the test file ends. */
async function startWorld({ slack = false } = {}) {
  const neon = await startNeonEmulator({ pg, operationMs: 60, computeStartMs: 60 });
  const gh = await startGitHubEmulator({ repo: 'acme/shop' });
  const world = { neon, gh, slack: slack ? await startSlackEmulator() : null };
  cleanups.push(async () => {
    await world.slack?.stop();
    await gh.stop();
    await neon.stop();
  });
  return world;
}

/**
 * Arm `world`'s emulators with one step's rules ({neon: [...], github: [...], slack: [...]}).
 * Returns `disarm()`, which clears them and lists the rules that did not fire as often as
 * they say (a schedule that misses its calls proves nothing).
 */
function arm(world, schedule) {
  const armed = [];
  const targets = Object.keys(schedule).map((name) => [name, name === 'github' ? world.gh : world[name]]);
  for (const [name, target] of targets) {
    target.faults.clear();
    for (const rule of schedule[name]) armed.push({ name, rule: target.faults.add({ ...rule }) });
  }
  return function disarm() {
    for (const [, target] of targets) target.faults.clear();
    return armed.filter(({ rule }) => rule.applied !== rule.times)
      .map(({ name, rule }) => `${name}: ${rule.method || '*'} ${rule.path} ${rule.kind} fired ${rule.applied}/${rule.times}`);
  };
}

/** Every kind of fault the issue lists must appear in a mode's schedule, on each emulator. */
function assertCoversEveryKind(schedules, emulators) {
  for (const emulator of emulators) {
    const rules = Object.values(schedules).flatMap((s) => s[emulator] || []);
    const has = {
      423: rules.some((r) => r.status === 423),
      '429 + Retry-After': rules.some((r) => r.status === 429 && r.retryAfter > 0),
      '5xx': rules.some((r) => r.status >= 500),
      latency: rules.some((r) => r.delayMs > 0),
      [`stall > ${TIMEOUT_MS} ms timeout`]: rules.some((r) => r.stallMs > TIMEOUT_MS),
      'dropped connection': rules.some((r) => r.drop),
      'lost response': rules.some((r) => r.dropAfterHandling),
    };
    // 423 is Neon's "branch busy"; GitHub and Slack never send it.
    if (emulator !== 'neon') delete has[423];
    assert.deepEqual(Object.keys(has).filter((k) => !has[k]), [], `${emulator} schedule misses fault kinds`);
  }
}

/** What differs between two emulator instances without meaning anything. */
function normalise(text, { neon }) {
  return String(text)
    .split(neon.projectId).join('<project>')
    .replace(/#issuecomment-\d+/g, '#issuecomment-<id>')
    .replace(/\bbr-[a-z0-9-]+/g, '<branch-id>')
    .replace(/\bep-[a-z0-9-]+(\.emulator\.localhost:\d+)?/g, '<endpoint>')
    .replace(/\b\d+(\.\d+)? ?(ms|s)\b/g, '<t>')
    .replace(/sha256=[0-9a-f]{64}/g, 'sha256=<digest>')
    .replace(/\d{8}T\d{6}Z/gi, '<stamp>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
}

/** DEBUG_FAULTS=1 prints each faulty run's log: what was retried, looked up, or lost. */
function debugLog(faulty, what, r) {
  if (faulty && process.env.DEBUG_FAULTS) console.log(`--- faulty ${what}\n${logText(r)}`);
}

function faultyEnv(faulty) {
  return faulty ? { NEON_GITOPS_HTTP_TIMEOUT_MS: String(TIMEOUT_MS) } : {};
}

/** Errors, warnings and notices as a user sees them, normalised. */
function annotations(r, world) {
  return r.annotations.map((a) => `${a.command}: ${normalise(a.message, world)}`);
}

/** Which retries the action logged: evidence that the faults were met and survived. */
function retries(r) {
  return (r.stdout.match(/retrying in|was lost|checking whether/g) || []).length;
}

const sha = (...parts) => crypto.createHash('sha1').update(parts.join('\0')).digest('hex');

function writeTree(root, files) {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
}

function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------
// preview: a PR's open → push → close

const PR = 31;
const HEAD_REF = 'feature/orders';
const PREVIEW_STEPS = [
  { action: 'opened', add: { 'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n' } },
  { action: 'synchronize', add: { 'migrations/002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));\n' } },
  { action: 'closed', merged: true },
];

// Which call of which run meets which fault. Rules on one route fire in order.
const PREVIEW_FAULTS = {
  opened: {
    neon: [
      { method: 'GET', path: /\/branches$/, status: 429, retryAfter: 1 },          // the lookup: rate limited
      { method: 'POST', path: /\/branches$/, status: 423 },                        // create: busy
      { method: 'POST', path: /\/branches$/, dropAfterHandling: true },            // create: done, answer lost
      { method: 'GET', path: /\/operations\//, status: 503, times: 2 },
      { method: 'GET', path: /\/endpoints$/, stallMs: STALL_MS },                  // abandoned after the timeout
      { method: 'GET', path: /\/reveal_password$/, drop: true },
      { method: 'GET', path: /\/compare_schema$/, delayMs: 700 },
    ],
    github: [
      { method: 'GET', path: /\/pulls\/\d+\/files$/, status: 503 },
      { method: 'GET', path: /\/issues\/\d+\/comments$/, status: 429, retryAfter: 1 },
      { method: 'POST', path: /\/issues\/\d+\/comments$/, dropAfterHandling: true }, // comment made, answer lost
    ],
  },
  synchronize: {
    neon: [
      { method: 'GET', path: /\/branches$/, drop: true },
      { method: 'POST', path: /\/restore$/, status: 423 },
      { method: 'POST', path: /\/restore$/, dropAfterHandling: true },             // reset done, answer lost
      { method: 'GET', path: /\/roles$/, status: 502 },
      { method: 'GET', path: /\/databases$/, delayMs: 500 },
    ],
    github: [
      { method: 'GET', path: /\/pulls\/\d+\/files$/, stallMs: STALL_MS },
      { method: 'GET', path: /\/issues\/\d+\/comments$/, drop: true },
      { method: 'PATCH', path: /\/issues\/comments\/\d+$/, dropAfterHandling: true }, // updated, answer lost
    ],
  },
  closed: {
    neon: [
      { method: 'GET', path: /\/branches$/, stallMs: STALL_MS },
      { method: 'GET', path: /\/branches$/, delayMs: 400 },
      { method: 'DELETE', path: /\/branches\/br-[^/]+$/, status: 423 },
      { method: 'DELETE', path: /\/branches\/br-[^/]+$/, dropAfterHandling: true }, // deleted, answer lost
    ],
    github: [
      { method: 'GET', path: /\/issues\/\d+\/comments$/, delayMs: 600 },
      { method: 'PATCH', path: /\/issues\/comments\/\d+$/, status: 503 },
      { method: 'PATCH', path: /\/issues\/comments\/\d+$/, stallMs: STALL_MS },
    ],
  },
};

async function previewLifecycle({ faulty }) {
  const world = await startWorld();
  const { neon, gh } = world;
  await neon.query(neon.defaultBranchId, `
    CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    INSERT INTO users VALUES (1, 'ada@example.com'), (2, 'grace@example.com');
  `);
  const ws = tempDir('neon-gitops-faults-ws-');
  const files = { 'README.md': '# shop\n' };
  const captures = [];
  for (const step of PREVIEW_STEPS) {
    Object.assign(files, step.add || {});
    writeTree(ws, files);
    const migrations = Object.keys(files).filter((f) => f.startsWith('migrations/'));
    gh.setPullFiles(PR, migrations.map((filename) => ({ filename, status: 'added' })));
    const headSha = sha('head', ...migrations);
    const run = () => runPreview({
      neon,
      gh,
      pgBinDir: pg.clientBinDir,
      workspace: ws,
      pr: { action: step.action, number: PR, headRef: HEAD_REF, headSha, merged: step.merged },
      env: faultyEnv(faulty),
    });
    const disarm = faulty ? arm(world, PREVIEW_FAULTS[step.action]) : () => [];
    const r = await run();
    const missed = disarm();
    debugLog(faulty, step.action, r);
    assert.equal(r.code, 0, `${faulty ? 'faulty' : 'fault-free'} ${step.action}\n${logText(r)}`);
    assert.deepEqual(missed, [], `${step.action}: fault rules that never met their call`);
    captures.push({ step: step.action, state: await previewState(world, r), retries: retries(r) });
  }
  assert.deepEqual(neon.validationErrors, []);
  assert.deepEqual(gh.validationErrors, []);
  return captures;
}

async function previewState(world, r) {
  const { neon, gh } = world;
  const branches = neon.branches().filter((b) => b.name !== 'main');
  const state = {
    branches: branches.map((b) => b.name),
    comments: gh.comments(PR).map((c) => normalise(c.body, world)),
    outputs: {
      branch_name: r.outputs.branch_name,
      created: r.outputs.created,
      migrations_applied: r.outputs.migrations_applied && JSON.parse(r.outputs.migrations_applied).map((m) => m.path),
      comment_url: r.outputs.comment_url && normalise(r.outputs.comment_url, world),
    },
    annotations: annotations(r, world),
  };
  if (branches.length === 1) {
    const q = async (sql) => String(await neon.query(branches[0].id, sql)).trim();
    state.branch = {
      users: await q("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users'"),
      orders: await q("SELECT to_regclass('orders') IS NOT NULL"),
      rows: await q('SELECT count(*) FROM users'),
      tracking: await q("SELECT string_agg(version || ' ' || checksum || ' ' || status, '; ' ORDER BY id) FROM neon_gitops_migrations"),
    };
  }
  return state;
}

test('preview: open → push → close under faults ends exactly like the fault-free run', async () => {
  assertCoversEveryKind(PREVIEW_FAULTS, ['neon', 'github']);
  const clean = await previewLifecycle({ faulty: false });
  const faulty = await previewLifecycle({ faulty: true });
  for (const [i, step] of clean.entries()) {
    assert.deepEqual(faulty[i].state, step.state, `after ${step.step}`);
  }
  // Sanity of the reference itself: one branch while open, none after close, one comment throughout.
  assert.deepEqual(clean.map((c) => c.state.branches.length), [1, 1, 0]);
  assert.deepEqual(clean.map((c) => c.state.comments.length), [1, 1, 1]);
  assert.match(clean[2].state.comments[0], /deleted: the pull request was merged/);
  assert.ok(faulty.every((c) => c.retries > 0), `every faulty run retried: ${faulty.map((c) => c.retries)}`);
});

// ---------------------------------------------------------------------------
// migrate: a history of merges, each rehearsed on a throwaway Neon branch of `main` (which
// plays the twin: it has production's starting point, so each merge's files stand alone)
// first; the checkout has no git history, so the files of each merge come from the GitHub API.

const USERS = "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\nINSERT INTO users VALUES (1, 'ada@example.com'), (2, 'grace@example.com');\n";
const MERGES = [
  {
    number: 41,
    files: {
      'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
      'migrations/002_orders.sql': 'CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  user_id int NOT NULL REFERENCES users (id)\n);\n',
      'migrations/003_orders_idx.sql': 'CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n',
    },
  },
  {
    number: 42,
    files: {
      'migrations/004_flag.sql': 'BEGIN;\nALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;\nCOMMIT;\n',
      'migrations/005_backfill.sql': 'UPDATE users SET flag = id % 2 = 0;\n',
    },
  },
];

const MIGRATE_FAULTS = {
  41: {
    neon: [
      { method: 'GET', path: /\/branches$/, status: 429, retryAfter: 1 },          // resolving rehearse-on-branch
      { method: 'POST', path: /\/branches$/, status: 423 },
      { method: 'POST', path: /\/branches$/, dropAfterHandling: true },            // rehearsal branch made, answer lost
      { method: 'GET', path: /\/operations\//, status: 503 },
      { method: 'GET', path: /\/endpoints$/, stallMs: STALL_MS },
      { method: 'GET', path: /\/reveal_password$/, drop: true },
      { method: 'DELETE', path: /\/branches\/br-[^/]+$/, dropAfterHandling: true }, // deleted, answer lost
    ],
    github: [
      { method: 'GET', path: /\/pulls\/\d+\/files$/, status: 429, retryAfter: 1 },
      { method: 'GET', path: /\/pulls\/\d+\/files$/, stallMs: STALL_MS },
    ],
  },
  42: {
    neon: [
      { method: 'GET', path: /\/branches$/, drop: true },
      { method: 'POST', path: /\/branches$/, drop: true },                         // never reached Neon: created again
      { method: 'GET', path: /\/roles$/, status: 502 },
      { method: 'GET', path: /\/databases$/, delayMs: 500 },
      { method: 'DELETE', path: /\/branches\/br-[^/]+$/, status: 423 },
    ],
    github: [
      { method: 'GET', path: /\/pulls\/\d+\/files$/, status: 503 },
      { method: 'GET', path: /\/pulls\/\d+\/files$/, drop: true },
      { method: 'GET', path: /\/pulls\/\d+\/files$/, dropAfterHandling: true },   // answered, answer lost
      { method: 'GET', path: /\/pulls\/\d+\/files$/, delayMs: 500 },
    ],
  },
};

async function migrateHistory({ faulty }) {
  const world = await startWorld();
  const { neon, gh } = world;
  await neon.query(neon.defaultBranchId, USERS);
  const db = `prod_${faulty ? 'faulty' : 'clean'}`;
  await pg.createDatabase(db);
  await pg.psql(USERS, { db });
  const ws = tempDir('neon-gitops-faults-ws-');
  const captures = [];
  for (const merge of MERGES) {
    writeTree(ws, merge.files);
    gh.setPullFiles(merge.number, Object.keys(merge.files).map((filename) => ({ filename, status: 'added' })));
    const disarm = faulty ? arm(world, MIGRATE_FAULTS[merge.number]) : () => [];
    const r = await runAction({
      workspace: ws,
      eventName: 'pull_request',
      event: pullRequestEvent({ action: 'closed', merged: true, number: merge.number }),
      githubApiUrl: gh.url,
      githubToken: gh.token,
      inputs: {
        mode: 'migrate',
        'database-url': pg.url(db),
        'rehearse-on-branch': 'main',
        ...neonInputs(neon),
        'pg-bin-dir': pg.clientBinDir,
      },
      env: faultyEnv(faulty),
      timeoutMs: 120000,
    });
    const missed = disarm();
    debugLog(faulty, `merge #${merge.number}`, r);
    assert.equal(r.code, 0, `${faulty ? 'faulty' : 'fault-free'} merge #${merge.number}\n${logText(r)}`);
    assert.deepEqual(missed, [], `merge #${merge.number}: fault rules that never met their call`);
    captures.push({ merge: merge.number, state: await migrateState(world, db, r), retries: retries(r) });
  }
  assert.deepEqual(neon.validationErrors, []);
  assert.deepEqual(gh.validationErrors, []);
  return captures;
}

async function migrateState(world, db, r) {
  const q = async (sql) => (await pg.psql(sql, { db })).trim();
  return {
    outputs: { applied: JSON.parse(r.outputs.applied), pending_before: r.outputs.pending_before, skipped: r.outputs.skipped },
    tracking: (await q("SELECT version || ' ' || checksum || ' ' || status || ' ' || applied_by || ' ' || run_url FROM neon_gitops_migrations ORDER BY id")).split('\n'),
    schema: (await pg.dumpSchema(db)).split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n'),
    data: await q("SELECT string_agg(u::text, ',' ORDER BY id) FROM users u"),
    // Rehearsal branches are throwaway: none may be left, whatever was lost on the way.
    neonBranches: world.neon.branches().map((b) => b.name),
    summary: normalise(r.summary, world).replace(/\| (\d+|–) \| (✅|❌|⏸)/g, '| <ms> | $2'),
    annotations: annotations(r, world),
  };
}

test('migrate: a history of merges with rehearsals under faults ends exactly like the fault-free run', async () => {
  assertCoversEveryKind(MIGRATE_FAULTS, ['neon', 'github']);
  const clean = await migrateHistory({ faulty: false });
  const faulty = await migrateHistory({ faulty: true });
  for (const [i, merge] of clean.entries()) {
    assert.deepEqual(faulty[i].state, merge.state, `after merge #${merge.merge}`);
  }
  assert.deepEqual(clean.map((c) => c.state.outputs.applied.length), [3, 2]);
  assert.deepEqual(clean.at(-1).state.neonBranches, ['main']);
  assert.match(clean[0].state.summary, /Rehearsed first on a throwaway branch of `main`/);
  assert.ok(faulty.every((c) => c.retries > 0), `every faulty run retried: ${faulty.map((c) => c.retries)}`);
});

// ---------------------------------------------------------------------------
// sync: a twin refresh (Neon + Slack; sync talks to no GitHub)

const SOURCE_FIXTURE = `
CREATE SCHEMA app;
CREATE TABLE app.users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
CREATE TABLE app.orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES app.users (id), total numeric(10,2) NOT NULL);
CREATE INDEX orders_user_idx ON app.orders (user_id);
CREATE SEQUENCE app.invoice_number START 1000;
INSERT INTO app.users (email, name) SELECT 'person' || i || '@example.com', 'Person ' || i FROM generate_series(1, 150) i;
INSERT INTO app.orders (user_id, total) SELECT 1 + i % 150, i * 1.25 FROM generate_series(1, 400) i;
SELECT nextval('app.invoice_number') FROM generate_series(1, 17);
`;
const SYNC_TABLES = ['app.users', 'app.orders'];

// Slack gets only what a retry may repeat safely: a webhook has no idempotency key, so the
// action does not re-post after a lost answer (it warns instead).
const SYNC_FAULTS = {
  refresh: {
    neon: [
      { method: 'GET', path: /\/branches$/, status: 429, retryAfter: 1 },          // finding the twin
      { method: 'GET', path: /\/endpoints$/, stallMs: STALL_MS },
      { method: 'GET', path: /\/reveal_password$/, drop: true },
      { method: 'POST', path: /\/branches$/, status: 423 },
      { method: 'POST', path: /\/branches$/, dropAfterHandling: true },            // staging made, answer lost
      { method: 'GET', path: /\/operations\//, status: 503, times: 2 },
      { method: 'GET', path: /\/databases$/, delayMs: 500 },
      { method: 'POST', path: /\/restore$/, status: 423 },
      { method: 'POST', path: /\/restore$/, dropAfterHandling: true },             // the swap happened, answer lost
      { method: 'PATCH', path: /\/branches\/br-[^/]+$/, dropAfterHandling: true },
    ],
    slack: [
      { method: 'POST', status: 429, retryAfter: 1 },
      { method: 'POST', status: 503 },
      { method: 'POST', delayMs: 400 },
    ],
  },
};

let sourceUrl;
async function sourceDatabase() {
  if (!sourceUrl) {
    await pg.createDatabase('sync_source');
    await pg.psql(SOURCE_FIXTURE, { db: 'sync_source' });
    sourceUrl = pg.url('sync_source');
  }
  return sourceUrl;
}

async function twinRefresh({ faulty }) {
  const world = await startWorld({ slack: true });
  const { neon, slack } = world;
  const api = (method, p, body) => callApi(neon.apiUrl, neon.apiKey, method, `/projects/${neon.projectId}${p}`, body);
  const created = await api('POST', '/branches', { branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitForOperations((m, p) => callApi(neon.apiUrl, neon.apiKey, m, p), (p) => `/projects/${neon.projectId}${p}`, created.body.operations);
  const twin = created.body.branch;
  await neon.query(twin.id, 'CREATE TABLE stale (x int); INSERT INTO stale SELECT generate_series(1, 7)');
  const twinUri = neon.connectionUri(twin.id);

  const disarm = faulty ? arm(world, SYNC_FAULTS.refresh) : () => [];
  const r = await runAction({
    eventName: 'schedule',
    event: scheduleEvent(),
    inputs: {
      mode: 'sync',
      'source-url': await sourceDatabase(),
      'neon-api-key': neon.apiKey,
      'neon-project-id': neon.projectId,
      'neon-api-host': neon.apiUrl,
      'twin-branch': 'twin',
      'slack-webhook-url': slack.url,
      'pg-bin-dir': pg.clientBinDir,
    },
    env: faultyEnv(faulty),
    timeoutMs: 240000,
  });
  const missed = disarm();
  debugLog(faulty, 'sync', r);
  assert.equal(r.code, 0, `${faulty ? 'faulty' : 'fault-free'} sync\n${logText(r)}`);
  assert.deepEqual(missed, [], 'sync: fault rules that never met their call');
  assert.deepEqual(neon.validationErrors, []);

  const onTwin = async (sql) => String(await neon.query(twin.id, sql)).trim();
  const backup = neon.branches().find((b) => b.name === r.outputs.backup_branch);
  const twinNow = neon.branches().find((b) => b.name === 'twin');
  const fingerprint = {};
  for (const t of SYNC_TABLES) fingerprint[t] = await onTwin(`SELECT count(*) || ':' || md5(string_agg(x::text, '|' ORDER BY x::text)) FROM ${t} x`);
  return {
    state: {
      sameTwinBranch: twinNow?.id === twin.id,
      sameConnectionUri: neon.connectionUri(twin.id) === twinUri,
      fingerprint,
      sequence: await onTwin('SELECT last_value FROM app.invoice_number'),
      staleOnTwin: await onTwin("SELECT count(*) FROM pg_class WHERE relname = 'stale'"),
      staleInBackup: backup ? String(await neon.query(backup.id, 'SELECT count(*) FROM stale')).trim() : null,
      branches: neon.branches().map((b) => normalise(b.name, world)).sort(),
      outputs: { tables: r.outputs.tables, rows: r.outputs.rows, backup_branch: normalise(r.outputs.backup_branch, world) },
      summary: normaliseSizes(normalise(r.summary, world)),
      slack: slack.messages.map((m) => normaliseSizes(normalise(JSON.stringify(m), world))),
      annotations: annotations(r, world),
    },
    retries: retries(r),
  };
}

const normaliseSizes = (text) => text.replace(/\b\d+(\.\d+)? ?(B|kB|KB|MB|GB)\b/g, '<size>');

test('sync: a twin refresh under faults ends exactly like the fault-free run', async () => {
  assertCoversEveryKind(SYNC_FAULTS, ['neon']);
  const clean = await twinRefresh({ faulty: false });
  const faulty = await twinRefresh({ faulty: true });
  assert.deepEqual(faulty.state, clean.state);
  assert.ok(clean.state.sameTwinBranch && clean.state.sameConnectionUri, JSON.stringify(clean.state));
  // Nothing hung below the twin: no backup branch is made (docs/sync.md, "The swap on Neon").
  assert.equal(clean.state.staleInBackup, null);
  assert.equal(clean.state.slack.length, 1);
  assert.ok(faulty.retries > 0, 'the faulty run retried');
});
