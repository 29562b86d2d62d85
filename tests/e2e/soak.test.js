'use strict';
// Issue 7 §4 soak: 50 pull requests' lives (open → push → push → close, each push adding a
// migration file), back to back against one Neon emulator, one GitHub emulator and one
// Postgres cluster. At the end no preview branch is left (neither in the API nor as a
// physical database), every PR has exactly one comment and it says the branch was
// deleted, and memory stayed flat:
//  * the emulators run in this process: its heap after full GCs, once warmed up, may grow
//    only by a small bound over the remaining lifecycles, and its count of live handles
//    (sockets, servers, timers) not at all. The request/connection logs keep everything
//    by design (kept, they add ~0.2 MB per lifecycle, which the bound catches), so they
//    are emptied after each lifecycle has been checked: what is measured is the
//    emulators' own state (branches, endpoints, operations, comments, proxy sessions).
//    RSS is reported, not asserted: V8 keeps freed heap pages reserved (heapTotal grows
//    in steps while heapUsed stays flat), so RSS creeps up even for runs that do nothing;
//  * each action run is a fresh process: its peak RSS (the runner's VmHWM sample) in the
//    last lifecycles may not exceed the first ones' by more than a small margin.
// SOAK_PRS=<n> runs fewer or more lifecycles (default 50).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { logText } = require('../support/runner');
const { runPreview } = require('../support/action-runs');

const PRS = Number(process.env.SOAK_PRS || 50);
const WARM_UP = Math.max(1, Math.min(5, Math.floor(PRS / 5))); // lifecycles before the memory baseline
const HEAP_GROWTH_LIMIT_MB = 4; // over the measured lifecycles, after full GCs (noise: ±1 MB)
const RSS_GROWTH_LIMIT = 1.15; // last lifecycles' peak RSS vs the first ones', per run

// A full GC on demand, without a command-line flag (node --test starts this file itself).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

let pg;
let neon;
let gh;
before(async () => {
  pg = await startPostgres();
  // Operations and compute starts as short as the emulator allows: the soak is about
  // repetition, not about waiting (preview.test.js covers slow computes).
  neon = await startNeonEmulator({ pg, operationMs: 20, computeStartMs: 20 });
  gh = await startGitHubEmulator({ repo: 'acme/shop' });
  await neon.query(neon.defaultBranchId, `
    CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    INSERT INTO users SELECT i, 'user' || i || '@example.com' FROM generate_series(1, 100) i;
  `);
});
after(async () => {
  await gh?.stop();
  await neon?.stop();
  await pg?.stop();
});

/** The PR's migration files after `pushes` pushes: one at open, one more per push. */
function migrationFiles(n, pushes) {
  const files = {
    [`migrations/${n}_1_table.sql`]: `CREATE TABLE pr${n}_notes (id bigint PRIMARY KEY, user_id int NOT NULL REFERENCES users (id), body text);\n`,
    [`migrations/${n}_2_index.sql`]: `CREATE INDEX CONCURRENTLY pr${n}_notes_user_idx ON pr${n}_notes (user_id);\n`,
    [`migrations/${n}_3_seed.sql`]: `INSERT INTO pr${n}_notes SELECT id, id, 'note ' || id FROM users WHERE id % 10 = ${n % 10};\n`,
  };
  return Object.fromEntries(Object.entries(files).slice(0, pushes + 1));
}

function preview(ws, n, action, headSha) {
  return runPreview({
    neon,
    gh,
    pgBinDir: pg.clientBinDir,
    workspace: ws,
    pr: { action, number: n, headRef: `feature/soak-${n}`, headSha, merged: n % 2 === 0 },
    timeoutMs: 60000,
  });
}

/** One PR's life, checked step by step. Returns the runs' peak RSS in kB. */
async function lifecycle(n) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-soak-'));
  const name = `preview/pr-${n}-feature/soak-${n}`;
  const peaks = [];
  let branchId;
  try {
    const steps = ['opened', 'synchronize', 'synchronize', 'closed'];
    for (const [i, action] of steps.entries()) {
      const files = migrationFiles(n, Math.min(i, 2));
      for (const [rel, sql] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
        fs.writeFileSync(path.join(ws, rel), sql);
      }
      gh.setPullFiles(n, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
      const r = await preview(ws, n, action, `${String(n).padStart(4, '0')}${'ab'.repeat(17)}${Math.min(i, 2)}0`);
      assert.equal(r.code, 0, `PR #${n} ${action}\n${logText(r)}`);
      peaks.push(r.peakRssKb);
      if (action === 'closed') {
        assert.equal(neon.branches().filter((b) => b.name === name).length, 0, `PR #${n}: branch left after close`);
        continue;
      }
      assert.equal(r.outputs.branch_name, name);
      assert.deepEqual(JSON.parse(r.outputs.migrations_applied).map((m) => m.path), Object.keys(files), `PR #${n} ${action}`);
      if (i === 0) branchId = r.outputs.branch_id;
      assert.equal(r.outputs.branch_id, branchId, `PR #${n} ${action}: the same branch throughout`);
      assert.equal(r.outputs.created, i === 0 ? 'true' : 'false');
    }
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
  return peaks;
}

/** Empty the emulators' logs (they keep every request by design) once a lifecycle is checked. */
function dropLogs() {
  for (const log of [neon.requests, neon.connections, gh.requests, neon.storageTimings]) if (Array.isArray(log)) log.length = 0;
}

/** This process's memory after full GCs, in MB: the emulators' heap, and RSS beside it. */
function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, external: m.external / 2 ** 20, rss: m.rss / 2 ** 20, handles: process._getActiveHandles().length };
}

const physicalDatabases = async () => Number((await pg.psql('SELECT count(*) FROM pg_database WHERE NOT datistemplate')).trim());
const clientSessions = async () => Number((await pg.psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")).trim());
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test(`soak: ${PRS} pull requests opened, pushed twice and closed, back to back`, async () => {
  const started = Date.now();
  const databasesBefore = await physicalDatabases();
  const peaks = []; // per lifecycle: the max peak RSS (kB) of its four runs
  const heap = []; // { after: lifecycle, heap, external, rss } in MB
  for (let n = 1; n <= PRS; n++) {
    const runPeaks = await lifecycle(n);
    peaks.push(runPeaks.includes(null) ? null : Math.max(...runPeaks));
    dropLogs();
    if (n === WARM_UP || n % 10 === 0 || n === PRS) heap.push({ after: n, ...memory() });
  }
  const seconds = (Date.now() - started) / 1000;

  // Nothing left behind: no preview branch in the API, no endpoint, no physical database,
  // no session the proxy kept open.
  assert.deepEqual(neon.branches().map((b) => b.name), ['main']);
  assert.equal(neon.endpoints().length, 1);
  assert.equal(await physicalDatabases(), databasesBefore, 'physical databases of deleted branches left on the cluster');
  assert.equal(await clientSessions(), 0, 'sessions left open on the cluster');

  // One comment per PR, and it says the branch is gone (merged or closed).
  for (let n = 1; n <= PRS; n++) {
    const comments = gh.comments(n);
    assert.equal(comments.length, 1, `PR #${n}: ${comments.length} comments`);
    assert.match(comments[0].body, new RegExp(`deleted: the pull request was ${n % 2 === 0 ? 'merged' : 'closed'}`), `PR #${n}`);
    assert.doesNotMatch(comments[0].body, /console\.neon\.tech/, `PR #${n}: the comment still links the deleted branch`);
  }
  assert.deepEqual(neon.validationErrors, []);
  assert.deepEqual(gh.validationErrors, []);

  // Memory. The heap after warm-up vs at the end, after full GCs.
  const baseline = heap.find((h) => h.after === WARM_UP);
  const end = heap.at(-1);
  const tenth = Math.max(1, Math.floor(PRS / 10));
  const early = peaks.slice(WARM_UP, WARM_UP + tenth);
  const late = peaks.slice(-tenth);
  const report = [
    `${PRS} lifecycles (${PRS * 4} action runs) in ${seconds.toFixed(0)} s`,
    `emulators (this process) after GC, heap/external/rss MB: ${heap.map((h) => `#${h.after} ${h.heap.toFixed(1)}/${h.external.toFixed(1)}/${h.rss.toFixed(0)} (${h.handles} handles)`).join(', ')}`,
    `action peak RSS per lifecycle: first ${median(early) / 1024 | 0} MB (median), last ${median(late) / 1024 | 0} MB, max ${Math.max(...peaks) / 1024 | 0} MB`,
  ].join('\n');
  console.log(report);
  if (PRS < 10) return; // too short to say anything about growth
  assert.ok(end.heap - baseline.heap < HEAP_GROWTH_LIMIT_MB, `emulator heap grew by ${(end.heap - baseline.heap).toFixed(1)} MB\n${report}`);
  assert.ok(end.handles <= baseline.handles, `live handles grew from ${baseline.handles} to ${end.handles}\n${report}`);
  if (peaks.every((p) => p !== null)) { // null: no /proc (not Linux)
    assert.ok(Math.max(...late) <= Math.max(...early) * RSS_GROWTH_LIMIT, `action runs' peak RSS grew\n${report}`);
  }
});
