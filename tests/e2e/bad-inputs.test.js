'use strict';
// Issue 7 §3: the bad input matrix. Each case runs dist/ through the runner simulation with
// one thing wrong, on a set-up where ignoring that thing WOULD change something (a pending
// migration, a PR that would get a branch, a twin to refresh), and asserts:
//   * exit 1 (or 0 with one notice where that is the documented behaviour),
//   * exactly one ::error line, naming the input or file and saying what to do,
//   * no stack trace and no panic,
//   * no side effect: no mutating call in the Neon or GitHub emulator's request log
//     (none at all for what is decidable before the network), production's catalog, row
//     counts and tracking table, the Neon project's branches and parent data, and the PR
//     comments all unchanged.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pullRequestEvent, pushEvent, scheduleEvent, workflowDispatchEvent } = require('../support/events');
const { mergedPr } = require('./migrate-helpers');
const { callApi, waitForOperations } = require('../emulators/neon/helpers');
const { startBed, mutating, assertCleanFailure, assertNoCrash, describeRun, run } = require('./hardening-helpers');

let bed;
let migrateWs; // a merged PR bringing one pending migration
let migrateEvent;
let previewWs;
const PENDING = { 'migrations/001_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY);\n' };

before(async () => {
  bed = await startBed();
  ({ ws: migrateWs, event: migrateEvent } = await mergedPr({ 'migrations/.gitkeep': '' }, PENDING));
  bed.defer(() => migrateWs.cleanup());
  ({ ws: previewWs } = await mergedPr({}, PENDING));
  bed.defer(() => previewWs.cleanup());
  await neonApi('POST', '/branches', { branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] });
});
after(async () => { await bed?.stop(); });

// ---------------------------------------------------------------------------
// What each mode's run looks like when nothing is wrong; a case changes one thing.

function migrateRun(c) {
  return {
    workspace: c.workspace ? c.workspace() : migrateWs.path,
    eventName: c.workspace ? 'workflow_dispatch' : 'pull_request',
    event: c.workspace ? workflowDispatchEvent() : migrateEvent,
    inputs: { mode: 'migrate', 'database-url': bed.prod.url, 'pg-bin-dir': bed.pg.clientBinDir, 'lock-wait': '2s', ...c.inputs },
  };
}

let prNumber = 300;
function previewRun(c) {
  const number = ++prNumber;
  bed.gh.setPullFiles(number, Object.keys(PENDING).map((filename) => ({ filename, status: 'added' })));
  return {
    workspace: previewWs.path,
    eventName: 'pull_request',
    event: pullRequestEvent({ action: c.action || 'opened', number, headRef: 'feature/orders' }),
    inputs: {
      mode: 'preview',
      'neon-api-key': bed.neon.apiKey,
      'neon-project-id': bed.neon.projectId,
      'neon-api-host': bed.neon.apiUrl,
      'pg-bin-dir': bed.pg.clientBinDir,
      ...c.inputs,
    },
  };
}

function syncRun(c) {
  return {
    eventName: 'schedule',
    event: scheduleEvent(),
    inputs: {
      mode: 'sync',
      'source-url': bed.prod.url,
      'neon-api-key': bed.neon.apiKey,
      'neon-project-id': bed.neon.projectId,
      'neon-api-host': bed.neon.apiUrl,
      'pg-bin-dir': bed.pg.clientBinDir,
      ...c.inputs,
    },
  };
}

const BASE = { migrate: migrateRun, preview: previewRun, sync: syncRun };

/** A migrate checkout with extra files written into migrations/ (or anything `make` does). */
function migrationsWith(make) {
  return () => {
    // (run on workflow_dispatch: nothing to diff, the checkout is what counts)
    const dir = bed.tempDir('bad-migrations-');
    fs.mkdirSync(path.join(dir, 'migrations'));
    fs.writeFileSync(path.join(dir, 'migrations', '001_orders.sql'), PENDING['migrations/001_orders.sql']);
    make(dir);
    return dir;
  };
}

/**
 * An older PostgreSQL client: each tool answers `--version` with 12.22 and otherwise runs
 * the real one (an old client connects fine; only the version check can stop it).
 */
function oldClients(version = '12.22') {
  const dir = bed.tempDir('old-pg-client-');
  for (const tool of ['psql', 'pg_dump', 'pg_restore']) {
    fs.writeFileSync(path.join(dir, tool), [
      '#!/bin/sh',
      `if [ "$1" = "--version" ] || [ "$1" = "-V" ]; then echo "${tool} (PostgreSQL) ${version}"; exit 0; fi`,
      `exec ${JSON.stringify(path.join(bed.pg.clientBinDir, tool))} "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
  }
  return dir;
}

/** The PR's preview branch exists and someone branched off it by hand. */
async function branchWithChild(opts) {
  const name = `preview/pr-${opts.event.number}-feature/orders`;
  const parent = await neonApi('POST', '/branches', { branch: { name }, endpoints: [{ type: 'read_write' }] });
  await neonApi('POST', '/branches', { branch: { name: 'debug-copy', parent_id: parent.branch.id } });
}

/** A Neon API call made by the test itself, retried while the project is busy (423), operations awaited. */
async function neonApi(method, p, body) {
  for (let attempt = 0; ; attempt++) {
    const res = await callApi(bed.neon.apiUrl, bed.neon.apiKey, method, `/projects/${bed.neon.projectId}${p}`, body);
    if (res.status === 423 && attempt < 50) { await new Promise((r) => setTimeout(r, 100)); continue; }
    assert.ok(res.status < 300, `${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
    await waitForOperations((m, q) => callApi(bed.neon.apiUrl, bed.neon.apiKey, m, q), (q) => `/projects/${bed.neon.projectId}${q}`, res.body.operations || []);
    return res.body;
  }
}

const wrongPassword = () => bed.prod.url.replace(/:\/\/postgres:[^@]+@/, '://postgres:not-the-password@');
const mergedEvent = () => migrateEvent;

// ---------------------------------------------------------------------------
// The matrix. `network`: 'none' (decided before any call), 'read' (reads allowed: an
// API key or a database is only known to be wrong once asked). `error`: what the one
// ::error line must say. `code`/`notice` for the documented exit-0 cases.

const cases = [
  // --- mode ---
  { mode: 'preview', name: 'unknown mode', inputs: { mode: 'teleport' }, error: [/input `mode`/, /preview, migrate, sync/] },
  { mode: 'preview', name: 'mode missing', inputs: { mode: '' }, error: [/input `mode`/, /required/] },
  { mode: 'migrate', name: 'mode with a shell payload', inputs: { mode: 'migrate; rm -rf /' }, error: [/input `mode`/, /preview, migrate, sync/] },

  // --- required inputs, per mode ---
  { mode: 'preview', name: 'preview: neon-api-key missing on a same-repo PR', inputs: { 'neon-api-key': '' }, error: [/`neon-api-key`/, /secrets\.NEON_API_KEY/] },
  { mode: 'preview', name: 'preview: neon-project-id missing', inputs: { 'neon-project-id': '' }, error: [/`neon-project-id`/, /Project ID/] },
  { mode: 'migrate', name: 'migrate: database-url missing', inputs: { 'database-url': '' }, error: [/`database-url`/, /required/] },
  { mode: 'migrate', name: 'migrate: database-url not a URL', inputs: { 'database-url': 'host=db user=app password=hunter22' }, error: [/`database-url`/, /postgres(ql)?:\/\//] },
  { mode: 'migrate', name: 'migrate: rehearse-on-branch without neon-api-key', inputs: { 'rehearse-on-branch': 'twin' }, error: [/`neon-api-key`/, /rehearse-on-branch/] },
  { mode: 'migrate', name: 'migrate: rehearse-on-branch without neon-project-id', inputs: { 'rehearse-on-branch': 'twin', 'neon-api-key': 'napi_0123456789abcdef' }, error: [/`neon-project-id`/, /rehearse-on-branch/] },
  { mode: 'sync', name: 'sync: source-url missing', inputs: { 'source-url': '' }, error: [/`source-url`/, /required/] },
  { mode: 'sync', name: 'sync: neon-api-key missing (no target-url)', inputs: { 'neon-api-key': '' }, error: [/`neon-api-key`/, /target-url/] },
  { mode: 'sync', name: 'sync: neon-project-id missing (no target-url)', inputs: { 'neon-project-id': '' }, error: [/`neon-project-id`/] },

  // --- invalid values ---
  { mode: 'preview', name: 'branch-ttl: 99d', inputs: { 'branch-ttl': '99d' }, error: [/`branch-ttl`/, /30d/] },
  { mode: 'preview', name: 'branch-ttl: forever', inputs: { 'branch-ttl': 'forever' }, error: [/`branch-ttl`/, /e\.g\. .*7d/] },
  { mode: 'preview', name: 'suspend-timeout: 5s (below Neon\'s minimum)', inputs: { 'suspend-timeout': '5s' }, error: [/`suspend-timeout`/, /60s/] },
  { mode: 'preview', name: 'lock-timeout: abc (preview)', inputs: { 'lock-timeout': 'abc' }, error: [/`lock-timeout`/, /30s/] },
  { mode: 'migrate', name: 'lock-timeout: abc (migrate)', inputs: { 'lock-timeout': 'abc' }, error: [/`lock-timeout`/, /30s/] },
  { mode: 'migrate', name: 'lock-retries: -1', inputs: { 'lock-retries': '-1' }, error: [/`lock-retries`/, /whole number/] },
  { mode: 'migrate', name: 'lock-wait: 2 days', inputs: { 'lock-wait': '2d' }, error: [/`lock-wait`/, /maximum/] },
  { mode: 'migrate', name: 'tracking-table: not schema.table', inputs: { 'tracking-table': 'a.b.c; DROP TABLE users' }, error: [/`tracking-table`/] },
  { mode: 'sync', name: 'jobs: 0', inputs: { jobs: '0' }, error: [/`jobs`/, /between 1 and/] },
  { mode: 'sync', name: 'jobs: many', inputs: { jobs: 'many' }, error: [/`jobs`/, /between 1 and/] },
  { mode: 'sync', name: 'keep-backups: lots', inputs: { 'keep-backups': 'lots' }, error: [/`keep-backups`/, /between 0 and 30/] },
  { mode: 'sync', name: 'mask: a rule without a method', inputs: { mask: 'users.email' }, error: [/`mask`/, /line 1/, /fake-email/] },
  { mode: 'sync', name: 'mask: an unknown method', inputs: { mask: 'users.email: fake-email\nusers.phone: scramble' }, error: [/`mask`/, /line 2/, /scramble/] },
  { mode: 'sync', name: 'mask: no column', inputs: { mask: 'users: null' }, error: [/`mask`/, /line 1/] },
  { mode: 'migrate', name: 'lint-rules: unknown rule id', inputs: { 'lint-rules': 'ban-drop-colum=off' }, error: [/`lint-rules`/, /ban-drop-colum/, /ban-drop-column/] },
  { mode: 'preview', name: 'lint-rules: unknown severity', inputs: { 'lint-rules': 'ban-drop-table=loud' }, error: [/`lint-rules`/, /loud/] },
  { mode: 'migrate', name: 'lint-rules: not a rule=severity pair', inputs: { 'lint-rules': 'nonsense' }, error: [/`lint-rules`/, /nonsense/] },
  { mode: 'migrate', name: 'fail-on: sometimes', inputs: { 'fail-on': 'sometimes' }, error: [/`fail-on`/, /error, warning, never/] },
  { mode: 'migrate', name: 'dry-run: maybe', inputs: { 'dry-run': 'maybe' }, error: [/`dry-run`/, /true or false/] },
  { mode: 'migrate', name: 'allow-out-of-order: yes please', inputs: { 'allow-out-of-order': 'yes please' }, error: [/`allow-out-of-order`/, /true or false/] },
  { mode: 'preview', name: 'reset-on-push: sometimes', inputs: { 'reset-on-push': 'sometimes' }, error: [/`reset-on-push`/, /true or false/] },
  { mode: 'sync', name: 'install-client: perhaps', inputs: { 'install-client': 'perhaps' }, error: [/`install-client`/, /true or false/] },
  { mode: 'migrate', name: 'migrate-command with a shell operator', inputs: { 'migrate-command': 'npx prisma migrate deploy && curl evil.example' }, error: [/`migrate-command`/, /shell/] },
  { mode: 'preview', name: 'migrate-command with an unclosed quote', inputs: { 'migrate-command': "npx prisma migrate deploy --schema 'db/x" }, error: [/`migrate-command`/, /quote/] },
  { mode: 'migrate', name: 'migrations-path: character class (unsupported glob)', inputs: { 'migrations-path': 'migrations/[0-9]*.sql' }, error: [/`migrations-path`/, /\*\*/] },
  { mode: 'migrate', name: 'migrations-path: braces (unsupported glob)', inputs: { 'migrations-path': 'migrations/{a,b}/*.sql' }, error: [/`migrations-path`/, /\*\*/] },
  { mode: 'preview', name: 'migrations-path: `**` inside a segment', inputs: { 'migrations-path': 'migrations/a**/*.sql' }, error: [/`migrations-path`/, /\*\*/] },
  { mode: 'migrate', name: 'migrations-path: a directory, not a glob of files', inputs: { 'migrations-path': 'migrations/' }, error: [/`migrations-path`/] },
  { mode: 'migrate', name: 'baseline: a file that does not exist', inputs: { baseline: '2099/nope.sql' }, network: 'read', error: [/`baseline`/, /nope\.sql/] },

  // --- events ---
  { mode: 'preview', name: 'preview on a push event', run: { eventName: 'push', event: pushEvent({}) }, error: [/pull_request/, /`push`/] },
  { mode: 'preview', name: 'preview on a schedule event', run: { eventName: 'schedule', event: scheduleEvent() }, error: [/pull_request/, /`schedule`/] },
  { mode: 'preview', name: 'malformed event JSON', run: { eventRaw: '{"action": "opened", "pull_request": {"number": 3,,}}' }, error: [/GITHUB_EVENT_PATH/, /not valid JSON/] },
  { mode: 'preview', name: 'truncated event JSON', run: () => ({ eventRaw: JSON.stringify(pullRequestEvent({ number: 5 })).slice(0, 700) }), error: [/GITHUB_EVENT_PATH/, /not valid JSON/] },
  { mode: 'migrate', name: 'migrate: truncated event JSON', run: () => ({ eventRaw: JSON.stringify(mergedEvent()).slice(0, 700) }), error: [/GITHUB_EVENT_PATH/, /not valid JSON/] },
  { mode: 'migrate', name: 'migrate: empty event file', run: { eventRaw: '' }, error: [/GITHUB_EVENT_PATH/, /not valid JSON/] },
  { mode: 'preview', name: 'event payload not an object', run: { eventRaw: '[1, 2, 3]' }, error: [/GITHUB_EVENT_PATH/, /JSON object/] },
  { mode: 'preview', name: 'pull_request event without a number', run: () => { const e = pullRequestEvent({ number: 6 }); delete e.number; delete e.pull_request.number; return { event: e }; }, error: [/GITHUB_EVENT_PATH/, /pull request number/] },
  { mode: 'preview', name: 'GITHUB_EVENT_PATH missing', run: { noEventPath: true }, error: [/GITHUB_EVENT_PATH/, /GitHub Actions workflow/] },
  { mode: 'migrate', name: 'migrate: GITHUB_EVENT_PATH missing', run: { noEventPath: true }, error: [/GITHUB_EVENT_PATH/, /GitHub Actions workflow/] },
  { mode: 'migrate', name: 'migrate on a PR closed without merging: notice, exit 0', run: () => ({ event: pullRequestEvent({ action: 'closed', merged: false, number: 7 }) }), code: 0, notice: /closed without being merged/ },
  { mode: 'preview', name: 'fork PR without an API key: notice, exit 0', inputs: { 'neon-api-key': '' }, run: () => ({ event: pullRequestEvent({ number: 8, fork: true }) }), code: 0, notice: /fork/ },

  // --- the Neon API says no ---
  { mode: 'preview', name: 'invalid API key (401)', inputs: { 'neon-api-key': 'napi_revoked0123456789abcdef' }, network: 'read', error: [/401/, /`neon-api-key`/] },
  { mode: 'preview', name: 'closing with a project that does not exist (404 is not "already deleted")', action: 'closed', inputs: { 'neon-project-id': 'wandering-star-87654321' }, network: 'read', error: [/404/, /`neon-project-id`/, /wandering-star-87654321/] },
  { mode: 'preview', name: 'project not found (404)', inputs: { 'neon-project-id': 'wandering-star-12345678' }, network: 'read', error: [/404/, /`neon-project-id`/, /wandering-star-12345678/] },
  // (Neon refuses the DELETE with 422: the one mutating call allowed, because it changes nothing.)
  { mode: 'preview', name: 'closing a branch that has children', action: 'closed', setup: branchWithChild, network: 'read', refused: /^DELETE .*\/branches\/br-[^/]+ → 422$/, error: [/child branches: debug-copy/, /delete/] },
  { mode: 'sync', name: 'sync: invalid API key (401)', inputs: { 'neon-api-key': 'napi_revoked0123456789abcdef' }, network: 'read', error: [/401/, /`neon-api-key`/] },
  { mode: 'migrate', name: 'rehearsal: parent branch not found', inputs: { 'rehearse-on-branch': 'no-such-twin', 'neon-api-key': 'K', 'neon-project-id': 'P' }, prepare: (r) => { r.inputs['neon-api-key'] = bed.neon.apiKey; r.inputs['neon-project-id'] = bed.neon.projectId; r.inputs['neon-api-host'] = bed.neon.apiUrl; }, network: 'read', error: [/no-such-twin/, /`rehearse-on-branch`/] },

  // --- the database cannot be reached ---
  { mode: 'migrate', name: 'database: connection refused', inputs: { 'database-url': 'postgresql://app:pw-refused-123@127.0.0.1:1/prod' }, network: 'read', error: [/`database-url`/, /127\.0\.0\.1/] },
  { mode: 'migrate', name: 'database: wrong password', run: () => ({}), prepare: (r) => { r.inputs['database-url'] = wrongPassword(); }, network: 'read', error: [/`database-url`/, /password authentication failed/] },
  { mode: 'migrate', name: 'database: DNS failure', inputs: { 'database-url': 'postgresql://app:pw-dns-123@db.nonexistent.invalid:5432/prod' }, network: 'read', error: [/`database-url`/, /nonexistent\.invalid/] },
  { mode: 'sync', name: 'sync: source connection refused', inputs: { 'source-url': 'postgresql://app:pw-refused-456@127.0.0.1:1/prod' }, network: 'read', error: [/`source-url`/] },
  // An older psql is only a notice (tests/e2e/versions.test.js); one without `\if` cannot work.
  { mode: 'migrate', name: 'psql too old to run the scripts (migrate)', prepare: (r) => { r.inputs['pg-bin-dir'] = oldClients('9.6.24'); }, network: 'read', error: [/psql 9\.6\.24/, /`\\if`/, /version 10/, /`pg-bin-dir:?`/] },
  // Fail closed: a pattern that matches nothing is never "everything".
  { mode: 'sync', name: 'exclude-table-data pattern with a typo', inputs: { 'exclude-table-data': 'public.audti_*' }, network: 'read', error: [/input `exclude-table-data`: `public\.audti_\*` matches no table in production/, /Nothing was copied/] },
  { mode: 'sync', name: 'tables pattern that matches nothing', inputs: { tables: 'evnts' }, network: 'read', error: [/input `tables`: `evnts` matches no table/] },
  { mode: 'sync', name: 'server newer than the client tools (sync)', prepare: (r) => { r.inputs['pg-bin-dir'] = oldClients(); }, network: 'read', error: [/15 or newer is needed/, /postgresql-client-15/] },
  { mode: 'sync', name: 'server newer than the client tools, first sync (no twin yet)', inputs: { 'twin-branch': 'twin-first' }, prepare: (r) => { r.inputs['pg-bin-dir'] = oldClients(); }, network: 'read', error: [/15 or newer is needed/] },
  { mode: 'migrate', name: 'pg-bin-dir that does not exist', inputs: { 'pg-bin-dir': '/nonexistent/pg/bin' }, error: [/`pg-bin-dir`/, /\/nonexistent\/pg\/bin/] },
  { mode: 'migrate', name: 'pg-bin-dir without psql in it', prepare: (r) => { r.inputs['pg-bin-dir'] = bed.tempDir('empty-bin-'); }, error: [/`pg-bin-dir`/, /psql/] },

  // --- files under migrations-path ---
  { mode: 'migrate', name: 'non-UTF-8 migration file', workspace: migrationsWith((d) => fs.writeFileSync(path.join(d, 'migrations/002_latin1.sql'), Buffer.from('INSERT INTO users VALUES (3, \'Jos\xe9\');\n', 'latin1'))), network: 'read', fileError: /002_latin1\.sql/, error: [/UTF-8/] },
  { mode: 'migrate', name: 'empty migration file', workspace: migrationsWith((d) => fs.writeFileSync(path.join(d, 'migrations/002_empty.sql'), '')), network: 'read', fileError: /002_empty\.sql/, error: [/empty/] },
  { mode: 'migrate', name: 'binary migration file', workspace: migrationsWith((d) => fs.writeFileSync(path.join(d, 'migrations/002_logo.sql'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 1, 2, 3]))), network: 'read', fileError: /002_logo\.sql/, error: [/UTF-8/] },
  { mode: 'migrate', name: 'migration file with NUL bytes', workspace: migrationsWith((d) => fs.writeFileSync(path.join(d, 'migrations/002_nul.sql'), Buffer.from('CREATE TABLE t (id int);\0\0\0\x01\x02 binary tail'))), network: 'read', fileError: /002_nul\.sql/, error: [/NUL/] },
  { mode: 'migrate', name: '50 MB migration file', workspace: migrationsWith((d) => fs.writeFileSync(path.join(d, 'migrations/002_huge.sql'), Buffer.alloc(50 * 1024 * 1024, '-- padding padding padding padding padding padding\n'))), network: 'read', fileError: /002_huge\.sql/, error: [/50(\.0)? MB/, /max-file-size/, /`lint-rules`/] },
  { mode: 'migrate', name: 'migrations path that does not exist', inputs: { 'migrations-path': 'db/migrate/**/*.sql' }, error: [/`migrations-path`/, /db\/migrate/, /actions\/checkout/] },
  { mode: 'migrate', name: 'symlink loop in migrations/', workspace: migrationsWith((d) => { fs.symlinkSync('loop-b.sql', path.join(d, 'migrations/002_loop-a.sql')); fs.symlinkSync('002_loop-a.sql', path.join(d, 'migrations/loop-b.sql')); }), error: [/002_loop-a\.sql/, /symbolic link/, /loop/] },
];

// ---------------------------------------------------------------------------

for (const c of cases) {
  test(`${c.mode}: ${c.name}`, { todo: c.todo }, async () => {
    const base = BASE[c.mode](c);
    const extra = typeof c.run === 'function' ? c.run() : (c.run || {});
    const opts = { ...base, ...extra, inputs: { ...base.inputs } };
    if (c.prepare) c.prepare(opts);
    if (c.setup) await c.setup(opts);
    const snapshotBefore = await bed.snapshot();
    const mark = bed.marks();
    const r = await run(bed, opts);
    const sent = bed.since(mark);
    try {
      check(c, r, sent);
      assert.deepEqual(await bed.snapshot(), snapshotBefore, 'nothing changed');
    } finally {
      // A case that wrongly applied something must not hide the next case's result.
      await bed.prod.psql('DROP TABLE IF EXISTS orders, t, public.neon_gitops_migrations');
    }
  });
}

function check(c, r, sent) {
  if (c.code === 0) {
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.errors, []);
    const notices = r.annotations.filter((a) => a.command === 'notice');
    assert.equal(notices.length, 1, describeRun(r));
    assert.match(notices[0].message, c.notice);
    assertNoCrash(r);
  } else if (c.fileError) {
    // A bad file: one error annotation on the file (where GitHub shows it), saying what
    // is wrong, and the run's verdict; nothing else.
    assert.equal(r.code, 1, describeRun(r));
    const onFile = r.annotations.filter((a) => a.command === 'error' && a.properties.file);
    assert.equal(onFile.length, 1, `one error annotation on a file: ${JSON.stringify(r.annotations, null, 1)}\n${describeRun(r)}`);
    assert.match(onFile[0].properties.file, c.fileError);
    for (const m of c.error) assert.match(onFile[0].message, m, describeRun(r));
    assert.ok(r.errors.length <= 2, `at most the file's error and the verdict: ${JSON.stringify(r.errors, null, 1)}`);
    assertNoCrash(r);
  } else {
    assertCleanFailure(r, c.error);
  }

  if ((c.network || 'none') === 'none') {
    assert.deepEqual(sent.neon.map((e) => `${e.method} ${e.path}`), [], 'no call reached the Neon API');
    assert.deepEqual(sent.gh.map((e) => `${e.method} ${e.path}`), [], 'no call reached the GitHub API');
  }
  assert.deepEqual(mutating(sent.neon, c.refused), [], `no mutating Neon call\n${describeRun(r)}`);
  assert.deepEqual(mutating(sent.gh), [], `no mutating GitHub call\n${describeRun(r)}`);
  assert.deepEqual(bed.neon.validationErrors, []);
}

test('the matrix has at least 40 cases', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});
