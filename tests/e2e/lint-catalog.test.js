'use strict';
// The lint judged with the preview branch's catalog: a column default's volatility is
// what pg_proc says on the branch (user functions included), and a finding about
// rewriting a table says how big the table is. dist/ run as the runner runs it, against
// the Neon emulator (real Postgres) and the GitHub emulator.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { runPreview, neonInputs } = require('../support/action-runs');
const h = require('./migrate-helpers');
const { makeWorkspace } = require('../support/workspace');

let pg;
let neon;
let gh;
const workspaces = [];

before(async () => {
  pg = await startPostgres();
  neon = await startNeonEmulator({ pg, operationMs: 50, computeStartMs: 100 });
  gh = await startGitHubEmulator({ repo: 'acme/shop' });
  // The parent: a 10-row table (analyzed, so reltuples says so) and a user function.
  await neon.query(neon.defaultBranchId, `
    CREATE TABLE t (id int PRIMARY KEY);
    INSERT INTO t SELECT generate_series(1, 10);
    ANALYZE t;
    CREATE FUNCTION my_fn() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 42';
  `);
});
after(async () => {
  for (const ws of workspaces) ws.cleanup();
  await gh?.stop();
  await neon?.stop();
  await pg?.stop();
});

async function openPreview(number, files) {
  const ws = await makeWorkspace({ files: { 'README.md': '# shop\n', ...files } });
  workspaces.push(ws);
  gh.setPullFiles(number, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
  const r = await runPreview({
    neon,
    gh,
    pgBinDir: pg.clientBinDir,
    workspace: ws.path,
    pr: { action: 'opened', number, headRef: `feature/${number}`, headSha: await ws.head(), merged: false, fork: false },
  });
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return { r, findings: JSON.parse(r.outputs.lint_findings) };
}

const ADD = { 'migrations/001_c.sql': 'ALTER TABLE t ADD COLUMN c int DEFAULT my_fn();\n' };
const volatileDefault = (findings) => findings.filter((f) => f.rule === 'adding-field-with-volatile-default');

test('a default calling a function VOLATILE on the branch is flagged, with the table\'s size', async () => {
  const { r, findings } = await openPreview(41, ADD);
  const [f] = volatileDefault(findings);
  assert.ok(f, r.outputs.lint_findings);
  assert.match(f.message, /judged with the branch's catalog: my_fn\(\) is VOLATILE/);
  assert.match(f.message, /table public\.t: [\d.]+ (bytes|kB), ~10 rows in the branch's catalog/);
  // The same words reach the PR comment.
  const [c] = gh.comments(41);
  assert.match(c.body, /my\\?_fn\(\) is VOLATILE/); // Markdown escapes the _
  assert.match(r.stdout, /judged with the branch's catalog/);
});

test('the same default is not flagged when my_fn is IMMUTABLE on the branch', async () => {
  await neon.query(neon.defaultBranchId, 'ALTER FUNCTION my_fn() IMMUTABLE');
  const { r, findings } = await openPreview(42, ADD);
  assert.deepEqual(volatileDefault(findings), [], r.outputs.lint_findings);
});

test('a function the PR creates itself is judged by its own CREATE FUNCTION', async () => {
  const { findings } = await openPreview(43, {
    'migrations/001_fns.sql': "CREATE FUNCTION pr_pure() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';\nCREATE FUNCTION pr_rand() RETURNS int LANGUAGE sql AS 'SELECT 2';\n",
    'migrations/002_cols.sql': 'ALTER TABLE t ADD COLUMN p int DEFAULT pr_pure();\nALTER TABLE t ADD COLUMN q int DEFAULT pr_rand();\n',
  });
  const flagged = volatileDefault(findings);
  assert.equal(flagged.length, 1, JSON.stringify(findings));
  assert.match(flagged[0].message, /this PR's own CREATE FUNCTION: pr_rand\(\) is VOLATILE/);
});

test('migrate with a rehearsal judges with production\'s catalog; without one, unknown functions count as volatile', async () => {
  const db = await h.newDatabase(pg);
  await db.psql(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10); ANALYZE t;
    CREATE FUNCTION my_fn() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 42';`);
  const { ws, event } = await h.mergedPr({}, ADD);
  workspaces.push(ws);
  const lintOf = (r) => r.annotations.find((a) => a.properties.title === 'adding-field-with-volatile-default');
  // dry-run: judged, not applied, so both runs see the same production.
  const plain = await h.migrate({ ws, db, event, inputs: { 'dry-run': 'true' } });
  assert.equal(plain.code, 0, h.describeRun(plain));
  assert.match(lintOf(plain)?.message ?? '', /judged without a catalog: unknown function my_fn\(\) counts as volatile/, h.describeRun(plain));
  const rehearsed = await h.migrate({ ws, db, event, inputs: { 'dry-run': 'true', 'rehearse-on-branch': 'main', ...neonInputs(neon) } });
  assert.equal(rehearsed.code, 0, h.describeRun(rehearsed));
  const m = lintOf(rehearsed)?.message ?? '';
  assert.match(m, /judged with production's catalog: my_fn\(\) is VOLATILE/, h.describeRun(rehearsed));
  assert.match(m, /table public\.t: [\d.]+ (bytes|kB), ~10 rows in production's catalog/);
});
