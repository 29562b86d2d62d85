'use strict';
// Shared by the hardening suites (bad-inputs, hostile, argv-secrets; issue 7): one test bed
// per file (Postgres playing production, the Neon emulator over a second database set, the
// GitHub emulator), a snapshot of everything a run could change, and the checks every
// case makes: exit code, one clear error line, no stack trace, no mutating call.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { runAction } = require('../support/runner');

/** Every user relation with its kind, and the row count of each table: a database's shape. */
const CATALOG_SQL = `
SELECT coalesce(string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;

async function startBed({ neonOptions = {} } = {}) {
  const pg = await startPostgres();
  const neon = await startNeonEmulator({ pg, operationMs: 60, computeStartMs: 60, ...neonOptions });
  const gh = await startGitHubEmulator({ repo: 'acme/shop' });
  const prodName = `prod_${crypto.randomBytes(4).toString('hex')}`;
  await pg.createDatabase(prodName);
  await pg.psql('CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL); INSERT INTO users VALUES (1, \'ada@example.com\'), (2, \'grace@example.com\');', { db: prodName });
  await neon.query(neon.defaultBranchId, 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL); INSERT INTO users VALUES (1, \'ada@example.com\');');
  const cleanups = [];
  const bed = {
    pg,
    neon,
    gh,
    prod: {
      name: prodName,
      url: pg.url(prodName),
      psql: async (sql) => (await pg.psql(sql, { db: prodName })).trim(),
    },
    /** Remember something to remove when the file's tests are done. */
    defer(fn) { cleanups.push(fn); },
    tempDir(prefix = 'hardening-') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    /** Everything a run could change: production, the Neon project and its parent data, PR comments. */
    async snapshot() {
      return {
        production: await bed.prod.psql(CATALOG_SQL),
        productionUsers: await bed.prod.psql('SELECT count(*) FROM users'),
        trackingTable: await bed.prod.psql("SELECT to_regclass('public.neon_gitops_migrations') IS NOT NULL"),
        neonBranches: neon.branches().map((b) => `${b.id}:${b.name}`).sort().join(','),
        neonParent: String(await neon.query(neon.defaultBranchId, CATALOG_SQL)).trim(),
        comments: gh.allComments().map((c) => `${c.id}:${c.updated_at}:${c.body.length}`).join(','),
      };
    },
    /** Request-log positions, to look at what one run sent. */
    marks() {
      return { neon: neon.requests.length, gh: gh.requests.length };
    },
    since(mark) {
      return { neon: neon.requests.slice(mark.neon), gh: gh.requests.slice(mark.gh) };
    },
    async stop() {
      for (const c of cleanups.reverse()) {
        try { await c(); } catch { /* best effort */ }
      }
      await gh.stop();
      await neon.stop();
      await pg.stop();
    },
  };
  return bed;
}

/**
 * Calls that change something: anything but GET/HEAD, as `METHOD path → status`.
 * `refused` (a RegExp) leaves out the ones a case expects the service to refuse.
 */
function mutating(requests, refused) {
  return requests
    .filter((e) => e.method !== 'GET' && e.method !== 'HEAD')
    .map((e) => `${e.method} ${e.path} → ${e.status}`)
    .filter((line) => !(refused && refused.test(line)));
}

const STACK_LINE = /^\s+at (?:.+ \()?(?:file:\/\/|node:|\/|<anonymous>).*\d+(?::\d+)?\)?$/m;

function describeRun(r) {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/**
 * The shape of every clean failure: exit 1, exactly one ::error line, matching every
 * `mentions` pattern, no stack trace or panic anywhere in the output.
 */
function assertCleanFailure(r, mentions, { code = 1 } = {}) {
  assert.equal(r.code, code, `exit code\n${describeRun(r)}`);
  assert.ok(!r.timedOut, 'the run timed out');
  assert.equal(r.errors.length, 1, `exactly one ::error line, got ${r.errors.length}: ${JSON.stringify(r.errors, null, 1)}\n${describeRun(r)}`);
  for (const m of mentions) assert.match(r.errors[0], m, `the error line\n${describeRun(r)}`);
  assertNoCrash(r);
}

function assertNoCrash(r) {
  const all = `${r.stdout}\n${r.stderr}`;
  assert.doesNotMatch(all, STACK_LINE, `no stack trace\n${describeRun(r)}`);
  assert.doesNotMatch(all, /internal error in neon-gitops|panicked at|RuntimeError: unreachable|wasm-function/, `no panic\n${describeRun(r)}`);
}

/**
 * Runs the action with the bed's emulators wired in. NEON_GITOPS_ACTION_DIR runs another
 * checkout's action.yml + dist/ instead (e.g. an older build, to see these tests fail).
 */
function run(bed, { inputs = {}, ...opts }) {
  return runAction({
    actionDir: process.env.NEON_GITOPS_ACTION_DIR || undefined,
    githubApiUrl: bed.gh.url,
    githubToken: bed.gh.token,
    timeoutMs: 90000,
    ...opts,
    inputs,
  });
}

module.exports = { startBed, mutating, assertCleanFailure, assertNoCrash, describeRun, run, CATALOG_SQL };
