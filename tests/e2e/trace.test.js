'use strict';
// Lock tracing (what production will feel), end to end: dist/ run as the runner runs it
// against the Neon emulator (real Postgres). The preview branch is a copy of a parent
// with a 500 000-row `orders` and a 10-row `flags`; the comment, the job summary and the
// `trace` output show locks, rewrites and blocking windows measured there, and
// `max-blocking` fails the check (preview) or stops the run before production (migrate).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { runPreview, neonInputs } = require('../support/action-runs');
const { makeWorkspace } = require('../support/workspace');
const h = require('./migrate-helpers');
const path = require('node:path');
const { spawn } = require('node:child_process');

let pg;
let neon;
let gh;
const cleanups = [];

// Wide enough rows, and indexes to rebuild, that rewriting orders takes well over a
// second on a CI runner.
const SEED = `
  CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, ref text NOT NULL, note text);
  INSERT INTO orders SELECT g, g % 1000, md5(g::text), repeat('x', 300) FROM generate_series(1, 500000) g;
  CREATE INDEX orders_customer_idx ON orders (customer);
  CREATE INDEX orders_ref_idx ON orders (ref);
  CREATE TABLE flags (id int PRIMARY KEY, name text);
  INSERT INTO flags SELECT g, 'f' || g FROM generate_series(1, 10) g;
  ANALYZE orders; ANALYZE flags;
`;

before(async () => {
  pg = await startPostgres();
  neon = await startNeonEmulator({ pg, operationMs: 100, computeStartMs: 100 });
  gh = await startGitHubEmulator({ repo: 'acme/shop' });
  await neon.query(neon.defaultBranchId, SEED);
});
after(async () => {
  for (const c of cleanups) c();
  await gh?.stop();
  await neon?.stop();
  await pg?.stop();
});

async function preview(number, files, inputs = {}) {
  const ws = await makeWorkspace({ files: { 'README.md': '# shop\n', ...files } });
  cleanups.push(() => ws.cleanup());
  gh.setPullFiles(number, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
  const r = await runPreview({
    neon,
    gh,
    pgBinDir: pg.clientBinDir,
    workspace: ws.path,
    pr: { action: 'opened', number, headRef: `feature/t${number}`, headSha: await ws.head() },
    inputs,
    timeoutMs: 300000,
  });
  const comments = gh.comments(number);
  return { r, trace: r.outputs.trace ? JSON.parse(r.outputs.trace) : null, body: comments[0]?.body || '' };
}

const log = (r) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const section = (body) => body.slice(body.indexOf('#### What production will feel'));

test('a volatile default rewrites orders under ACCESS EXCLUSIVE, flags briefly; max-blocking: 1s fails on orders only', async () => {
  const { r, trace, body } = await preview(31, {
    'migrations/001_orders_c.sql': 'ALTER TABLE orders ADD COLUMN c int DEFAULT (random()*10)::int;\n',
    'migrations/002_flags_c.sql': 'ALTER TABLE flags ADD COLUMN c int DEFAULT (random()*10)::int;\n',
  }, { 'max-blocking': '1s' });
  assert.ok(trace, log(r));
  const orders = trace.blockers.find((b) => b.table === 'orders');
  const flags = trace.blockers.find((b) => b.table === 'flags');
  assert.ok(orders && flags, JSON.stringify(trace, null, 1));
  assert.equal(orders.mode, 'ACCESS EXCLUSIVE');
  assert.equal(orders.blocks, 'reads-and-writes');
  assert.equal(orders.rewrite, true);
  assert.ok(orders.bytes > 50e6, `size before: ${orders.bytes}`);
  assert.ok(orders.rows >= 490000, `rows before: ${orders.rows}`);
  assert.ok(orders.window_ms >= orders.statement_ms, JSON.stringify(orders));
  assert.deepEqual(orders.lint, ['adding-field-with-volatile-default']);
  assert.equal(trace.blockers[0].table, 'orders', 'worst first');
  assert.ok(flags.window_ms < 1000 && flags.rewrite, JSON.stringify(flags));
  console.log(`orders: statement ${orders.statement_ms.toFixed(0)} ms, window ${orders.window_ms.toFixed(0)} ms; flags: window ${flags.window_ms.toFixed(1)} ms`);

  // The comment and the job summary show the same table.
  const s = section(body);
  assert.match(s, /\| `migrations\/001_orders_c\.sql:1` `ALTER TABLE orders ADD COLUMN c int DEFAULT \(random\(\)\*10\)::int;` \| ACCESS EXCLUSIVE \| `orders` \(\d+\.\d MB, ~[\d,]+ rows\) \| yes \| 🔴 reads and writes \| [\d.]+ m?s \| `adding-field-with-volatile-default` \|/, s);
  assert.match(s, /`flags` \([^)]*\) \| yes \| 🔴 reads and writes/);
  assert.match(r.summary, /What production will feel[\s\S]*ACCESS EXCLUSIVE \| `orders`/);

  // The gate: orders exceeds 1 s, flags does not.
  assert.equal(r.code, 1, log(r));
  const err = r.stdout.split('\n').find((l) => l.startsWith('::error::') && /max-blocking/.test(l)) || '';
  assert.match(err, /001_orders_c\.sql:1 holds ACCESS EXCLUSIVE on orders for [\d.]+ s/, log(r));
  assert.doesNotMatch(err, /flags/);
  assert.match(err, /1 statement exceeds `max-blocking: 1\.00 s`/);
  // …and an annotation on the statement's line, none on flags'.
  assert.match(r.stdout, /::error title=max-blocking exceeded,file=migrations\/001_orders_c\.sql,line=1::Blocks reads and writes on orders for [\d.]+ s/);
  assert.doesNotMatch(r.stdout, /max-blocking exceeded,file=migrations\/002_flags_c\.sql/);
});

test('CREATE INDEX CONCURRENTLY blocks nothing; a plain CREATE INDEX blocks writes for its window', async () => {
  const { r, trace, body } = await preview(32, {
    'migrations/001_cic.sql': 'CREATE INDEX CONCURRENTLY orders_cic ON orders (customer, id);\n',
    'migrations/002_plain.sql': 'CREATE INDEX orders_plain ON orders (id, customer);\n',
  });
  assert.equal(r.code, 0, log(r));
  assert.equal(trace.blockers.length, 1, JSON.stringify(trace, null, 1));
  const [b] = trace.blockers;
  assert.equal(b.file, 'migrations/002_plain.sql');
  assert.equal(b.mode, 'SHARE');
  assert.equal(b.blocks, 'writes');
  assert.equal(b.rewrite, false);
  assert.ok(b.window_ms >= b.statement_ms && b.window_ms > 0);
  assert.deepEqual(b.lint, ['require-concurrent-index-creation']);
  const s = section(body);
  assert.match(s, /`migrations\/002_plain\.sql:1`[^\n]*\| SHARE \| `orders`[^\n]*\| no \| 🟠 writes \|/);
  assert.doesNotMatch(s, /001_cic/);
  assert.match(s, /1 other statement blocks no reads or writes/);
});

test('a rewrite then a fast ALTER in one file: one window from the rewrite until COMMIT', async () => {
  const { r, trace } = await preview(33, {
    'migrations/001_two.sql': 'ALTER TABLE orders ALTER COLUMN customer TYPE bigint;\nALTER TABLE orders ALTER COLUMN note SET DEFAULT \'\';\n',
  });
  assert.equal(r.code, 0, log(r));
  const [first, second] = trace.statements;
  assert.deepEqual(first.rewrites, ['orders']);
  const on = trace.blockers.filter((b) => b.table === 'orders');
  assert.equal(on.length, 1, JSON.stringify(trace, null, 1));
  assert.equal(on[0].line, 1);
  assert.deepEqual(on[0].lint, ['changing-column-type']);
  assert.ok(on[0].window_ms >= first.ms + second.ms, JSON.stringify(trace, null, 1));
});

test('migrate with rehearse-on-branch and max-blocking: the rehearsal exceeds it, production is untouched', async () => {
  const db = await h.newDatabase(pg);
  await db.psql('CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, ref text NOT NULL, note text);');
  const before = await db.dump();
  const { ws, event } = await h.mergedPr({}, {
    'migrations/001_orders_c.sql': 'ALTER TABLE orders ADD COLUMN c int DEFAULT (random()*10)::int;\n',
  });
  cleanups.push(() => ws.cleanup());
  const r = await h.migrate({ ws, db, event, inputs: { 'rehearse-on-branch': 'main', 'max-blocking': '1s', ...neonInputs(neon) } });
  assert.equal(r.code, 1, h.describeRun(r));
  assert.match(r.stdout, /001_orders_c\.sql:1 holds ACCESS EXCLUSIVE on orders for [\d.]+ s[\s\S]*Production was not touched/);
  assert.equal(await db.dump(), before, 'production schema unchanged');
  assert.equal(await h.tracked(db), null, 'production tracking table never created');
  assert.match(r.summary, /What production will feel[\s\S]*ACCESS EXCLUSIVE \| `orders`/);
  assert.match(r.summary, /rehearsal blocked too long, production untouched/);
  assert.ok(JSON.parse(r.outputs.trace).blockers.some((b) => b.table === 'orders'));
  assert.deepEqual(neon.branches().filter((b) => b.name.startsWith('neon-gitops-rehearsal-')), [], 'rehearsal branch deleted');
});

test('migrate on production: a statement waiting for a lock logs the session holding it, once per attempt', async () => {
  const db = await h.newDatabase(pg);
  await db.psql('CREATE TABLE accounts (id int)');
  const { ws, event } = await h.mergedPr({}, { 'migrations/001_accounts.sql': 'ALTER TABLE accounts ADD COLUMN plan text;\n' });
  cleanups.push(() => ws.cleanup());
  const holder = spawn(path.join(pg.clientBinDir, 'psql'), ['-X', '-q', ...pg.clientArgs(db.name)], {
    env: { ...process.env, ...pg.clientEnv, PGAPPNAME: 'nightly-report' },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  cleanups.push(() => holder.kill('SIGKILL'));
  holder.stdin.write('BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE; SELECT 1;\n');
  for (let i = 0; (await db.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'accounts' AND l.granted AND l.mode = 'AccessExclusiveLock'")) === '0'; i++) {
    assert.ok(i < 400);
    await new Promise((r) => setTimeout(r, 25));
  }
  const holderPid = await db.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'nightly-report'");
  const r = await h.migrate({ ws, db, event, inputs: { 'lock-timeout': '1s', 'lock-retries': '1' } });
  holder.stdin.end('COMMIT;\n');
  assert.equal(r.code, 1, h.describeRun(r));
  const lines = r.stdout.split('\n').filter((l) => /: waiting for a lock on /.test(l));
  assert.equal(lines.length, 2, `one line per attempt:\n${h.describeRun(r)}`);
  for (const l of lines) {
    assert.match(l, new RegExp(`001_accounts\\.sql: waiting for a lock on accounts on production, held by pid ${holderPid} \\(application nightly-report, idle in transaction, query started [^,]+, transaction started [^)]+\\)`));
  }
});
