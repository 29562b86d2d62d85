'use strict';
// Acceptance: every squawk rule's documented examples, against this linter and against Postgres.
//
// tests/lint/squawk-docs/<squawk-rule-id>.json holds, per squawk rule (taken from its docs page,
// or from its rule's tests when the page has no SQL): `rule` (our id, a list of ids, or null when
// there is deliberately no counterpart), `setup` (SQL creating what the examples reference),
// `bad` / `good` examples, and `unmatched` examples where this linter and the page disagree on
// purpose (each with `squawk`, `ours` and `why`; `ours` is asserted, so the list stays true).
//
// 1. Lint: each example goes through the shipped bundle (dist/index.js `analyze`, what the action
//    runs) as a migration file of its own, with the rule(s) under test enabled. A bad example must
//    yield a finding of each rule, a good one none. `"lint": "no-transaction"` lints the examples
//    as a Diesel migration with `run_in_transaction = false` (squawk assumes no transaction); an
//    example's own `lint` overrides its rule's.
//    Only the rule(s) under test are enabled: other rules may fire on an example, as they should.
// 2. Postgres: setup + each good example run on a real server, inside a transaction that is rolled
//    back; `"apply": "no-transaction"` runs them statement by statement on a fresh database
//    (CONCURRENTLY, VACUUM, their own BEGIN/COMMIT), `"apply": false` skips with a `reason`,
//    `min_major` skips on older servers.
//
// Needs dist/ built (bash scripts/build.sh). Run: node_modules/.bin/node --test tests/lint/squawk-docs.test.js

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startPostgres } = require('../support/postgres');

const ROOT = path.resolve(__dirname, '../..');
const DIR = path.join(__dirname, 'squawk-docs');
const fixtures = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) }));

const { analyze } = require(path.join(ROOT, 'dist/index.js'));

/** Rule ids of the findings for `sql` linted alone, with `rules` enabled. */
function findings(sql, rules, lint) {
  const file = lint === 'no-transaction'
    ? { path: 'migrations/2024-01-01-000000_squawk/up.sql', text: sql, metadata: 'run_in_transaction = false\n' }
    : { path: 'migrations/0001_squawk.sql', text: sql };
  const res = JSON.parse(analyze(JSON.stringify({ files: [file], config: rules.map((r) => `${r}=error`).join(', ') })));
  assert.ok(res.analysis, `no analysis: ${JSON.stringify(res)}`);
  const f = res.analysis.files[0];
  assert.equal(f.file_error ?? null, null, `file error on:\n${sql}`);
  return f.findings.map((x) => x.rule);
}

const rulesOf = (fx) => (fx.rule === null ? [] : [].concat(fx.rule));

test('there is a fixture for every squawk rule page', () => {
  // squawk's docs pages that are not rules.
  const notRules = new Set(['cli', 'github_app', 'locks', 'quick_start', 'rules-overview', 'safe_migrations', 'troubleshooting', 'web-frameworks']);
  const ids = fixtures.map((f) => f.squawk);
  assert.equal(ids.length, 40, `expected squawk's 40 rule pages, got ${ids.length}`);
  for (const id of ids) assert.ok(!notRules.has(id));
  for (const fx of fixtures) assert.equal(fx.file, `${fx.squawk}.json`);
});

for (const fx of fixtures) {
  const rules = rulesOf(fx);
  test(`lint: ${fx.squawk}${rules.length && rules[0] !== fx.squawk ? ` (ours: ${rules.join(' + ')})` : ''}`, () => {
    for (const ex of fx.bad) {
      const got = findings(ex.sql, rules, ex.lint ?? fx.lint);
      for (const r of rules) assert.ok(got.includes(r), `${r} should flag:\n${ex.sql}\ngot: ${JSON.stringify(got)}`);
    }
    for (const ex of fx.good) {
      const got = findings(ex.sql, rules, ex.lint ?? fx.lint);
      for (const r of rules) assert.ok(!got.includes(r), `${r} should not flag:\n${ex.sql}\ngot: ${JSON.stringify(got)}`);
    }
    for (const ex of fx.unmatched ?? []) {
      assert.ok(ex.why && ex.squawk && ex.ours, `unmatched example needs squawk / ours / why: ${ex.sql}`);
      const got = findings(ex.sql, rules, ex.lint ?? fx.lint);
      if (rules.length === 0) {
        assert.deepEqual(got, [], `no rule stands for ${fx.squawk}: expected no finding at all`);
        continue;
      }
      for (const r of rules) assert.equal(got.includes(r), ex.ours === 'bad', `${r} on an unmatched example (ours: ${ex.ours}):\n${ex.sql}`);
    }
  });
}

// ---------- Postgres ----------

let pg;
let dbCounter = 0;

before(async () => {
  pg = await startPostgres({ ssl: false });
});
after(async () => {
  if (pg) await pg.stop();
});

/** psql reading `sql` from stdin (each statement on its own, as the runner does), stopping at the first error. */
function psql(db, sql) {
  return new Promise((resolve, reject) => {
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', ...pg.clientArgs(db), '-f', '-'];
    const child = execFile(path.join(pg.clientBinDir, 'psql'), args, { env: pg.clientEnv }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stderr });
    });
    child.stdin.end(sql);
  });
}

async function apply(fx, ex) {
  const setup = ex.setup ?? fx.setup ?? '';
  if (ex.apply === 'no-transaction') {
    const db = `squawk_${++dbCounter}`;
    await pg.createDatabase(db);
    try {
      const s = await psql(db, `${setup}\n`);
      assert.equal(s.code, 0, `setup failed for ${fx.squawk}: ${s.stderr}`);
      const r = await psql(db, `${ex.sql}\n;\n`);
      assert.equal(r.code, 0, `Postgres rejects a good example of ${fx.squawk}:\n${ex.sql}\n${r.stderr}`);
    } finally {
      await pg.dropDatabase(db);
    }
    return;
  }
  // A trailing `;` ends an example written without one (the pages often omit it).
  const r = await psql('postgres', `BEGIN;\n${setup}\n;\n${ex.sql}\n;\nROLLBACK;\n`);
  assert.equal(r.code, 0, `Postgres rejects a good example of ${fx.squawk}:\n${ex.sql}\n${r.stderr}`);
}

for (const fx of fixtures) {
  if (fx.good.length === 0) continue;
  test(`postgres: ${fx.squawk} good examples are real SQL`, async (t) => {
    for (const ex of fx.good) {
      if (ex.apply === false) {
        assert.ok(ex.reason, `apply:false needs a reason: ${ex.sql}`);
        t.diagnostic(`not applied: ${ex.reason}`);
        continue;
      }
      if (ex.min_major && pg.major < ex.min_major) {
        t.diagnostic(`not applied on PostgreSQL ${pg.major}: ${ex.reason}`);
        continue;
      }
      await apply(fx, ex);
    }
  });
}
