'use strict';
// bench/preview/versus.js: how soon a pull request has a database it can use, this action
// (`mode: preview`) beside neondatabase/create-branch-action v6's published dist/, both run
// by the same runner simulation against the same Neon emulator (50 ms per API call, 1 s
// control-plane operations, 2 s compute start).
//
// Measured per `opened` event, from the step's start:
//   exit    the step ends (its outputs are visible to the next step);
//   usable  the output URL accepts a connection (`SELECT 1`, polled every 50 ms from the
//           step's end): create-branch-action returns before the compute has started.
// Ours does more inside its step (the PR's migrations applied, lint, schema diff, the PR
// comment); create-branch-action's users run those in later steps, not counted here.
// Also printed: dist/ size gzipped and cold start (a step that only reads its inputs and
// fails), for both.
//
//   node_modules/.bin/node bench/preview/versus.js [rounds=5] [latencyMs=50] [operationMs=1000] [computeStartMs=2000]
// Needs create-branch-action's repository: fetched to /work/.mirror by the tool library,
// or CREATE_BRANCH_ACTION_GIT=<path to its git dir>.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFile, execFileSync } = require('node:child_process');
const { startPostgres } = require('../../tests/support/postgres');
const { startNeonEmulator } = require('../../tests/emulators/neon');
const { startGitHubEmulator } = require('../../tests/emulators/github');
const { runAction } = require('../../tests/support/runner');
const { pullRequestEvent } = require('../../tests/support/events');
const { runPreview } = require('../../tests/support/action-runs');
const { makeWorkspace } = require('../../tests/support/workspace');

const [ROUNDS, LATENCY, OPERATION_MS, COMPUTE_START_MS] = [5, 50, 1000, 2000].map((d, i) => Number(process.argv[2 + i] || d));
const ROOT = path.resolve(__dirname, '../..');
const GIT_DIR = process.env.CREATE_BRANCH_ACTION_GIT || '/work/.mirror/neondatabase+create-branch-action/repo';

/** create-branch-action's action.yml and dist/index.js at its newest commit, in a temp dir. */
function checkoutCreateBranchAction() {
  if (!fs.existsSync(GIT_DIR)) throw new Error(`create-branch-action's repository is not at ${GIT_DIR}: set CREATE_BRANCH_ACTION_GIT`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'create-branch-action-'));
  fs.mkdirSync(path.join(dir, 'dist'));
  for (const f of ['action.yml', 'dist/index.js']) {
    fs.writeFileSync(path.join(dir, f), execFileSync('git', ['--git-dir', GIT_DIR, 'show', `HEAD:${f}`], { maxBuffer: 64 << 20 }));
  }
  const commit = execFileSync('git', ['--git-dir', GIT_DIR, 'rev-parse', '--short', 'HEAD']).toString().trim();
  return { dir, commit };
}

const gzipped = (files) => files.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length, 0);
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

/** Poll `SELECT 1` on `url` until it answers; ms from `from`. Asynchronous: the emulator
 * and its proxy live in this process's event loop. */
async function usableAfter(psql, url, from) {
  for (;;) {
    const ok = await new Promise((resolve) => {
      execFile(psql, ['-XAtq', '-c', 'SELECT 1', url], { env: { ...process.env, PGCONNECT_TIMEOUT: '5' } }, (err, stdout) => resolve(!err && stdout.trim() === '1'));
    });
    if (ok) return Date.now() - from;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const cba = checkoutCreateBranchAction();
  const pg = await startPostgres();
  const neon = await startNeonEmulator({ pg, latencyMs: LATENCY, operationMs: OPERATION_MS, computeStartMs: COMPUTE_START_MS });
  const gh = await startGitHubEmulator();
  gh.faults.latencyMs = LATENCY;
  const psql = path.join(pg.clientBinDir, 'psql');
  await neon.query(neon.defaultBranchId, `CREATE TABLE users (id int PRIMARY KEY, email text);
    INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 1000) g;`);
  const files = {
    'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
    'migrations/002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id int REFERENCES users (id));\n',
  };
  const ws = await makeWorkspace({ files });
  const results = { ours: [], cba: [] };
  const cold = { ours: [], cba: [] };
  try {
    const ours = async (number) => runPreview({
      neon, gh, pgBinDir: pg.clientBinDir, workspace: ws.path, timeoutMs: 300000,
      pr: { action: 'opened', number, headRef: `feature/bench-${number}` },
    });
    const theirs = async (number) => runAction({
      actionDir: cba.dir,
      workspace: ws.path,
      eventName: 'pull_request',
      event: pullRequestEvent({ action: 'opened', number, headRef: `feature/bench-${number}` }),
      githubApiUrl: gh.url,
      githubToken: gh.token,
      inputs: { api_key: neon.apiKey, api_host: neon.apiUrl, project_id: neon.projectId, branch_name: `preview/pr-${number}`, parent_branch: 'main' },
      timeoutMs: 300000,
      // create-branch-action never masks the password in its outputs (no core.setSecret in
      // its source): the suite's leak guard would stop the run. Counted, not fatal, here.
      allowLeaks: true,
    });
    // Warm-up (not measured): the emulators compile their OpenAPI validators on first use.
    for (const [i, run] of [ours, theirs].entries()) {
      const r = await run(900 + i);
      if (r.code !== 0) throw new Error(`warm-up failed:\n${r.stdout}\n${r.stderr}`);
    }
    let number = 1;
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so drift on the shared machine is shared.
      const order = round % 2 ? [['cba', theirs], ['ours', ours]] : [['ours', ours], ['cba', theirs]];
      for (const [who, run] of order) {
        gh.setPullFiles(number, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
        const t0 = Date.now();
        const r = await run(number++);
        const exit = Date.now() - t0;
        if (r.code !== 0 || !r.outputs.db_url) throw new Error(`${who} failed:\n${r.stdout}\n${r.stderr}`);
        results[who].push({ exit, usable: await usableAfter(psql, r.outputs.db_url, t0), leaks: (r.leaks || []).length });
      }
    }
    // Cold start: node starting the bundle up to a failure on its first input check.
    for (let i = 0; i < ROUNDS; i++) {
      for (const [who, dir, inputs] of [['ours', ROOT, { mode: 'preview' }], ['cba', cba.dir, {}]]) {
        const t0 = process.hrtime.bigint();
        const r = await runAction({ actionDir: dir, workspace: ws.path, inputs });
        if (r.code === 0) throw new Error(`${who}: expected a failure on missing inputs`);
        cold[who].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
  } finally {
    ws.cleanup();
    await gh.stop();
    await neon.stop();
    await pg.stop();
    fs.rmSync(cba.dir, { recursive: true, force: true });
  }

  const ourSize = gzipped(fs.readdirSync(path.join(ROOT, 'dist')).map((f) => path.join(ROOT, 'dist', f)));
  const cbaDir = checkoutCreateBranchAction();
  const cbaSize = gzipped([path.join(cbaDir.dir, 'dist/index.js')]);
  fs.rmSync(cbaDir.dir, { recursive: true, force: true });
  const m = (who, k) => median(results[who].map((x) => x[k]));
  const row = (label, a, b, unit = (x) => `${(x / 1000).toFixed(2)} s`) =>
    console.log(`${label.padEnd(34)} ${unit(a).padStart(10)} ${unit(b).padStart(16)} ${(a / b).toFixed(2).padStart(8)}x`);
  console.log(`bench/preview/versus: ${ROUNDS} PRs opened each; ${LATENCY} ms per API call, operations ${OPERATION_MS} ms, compute start ${COMPUTE_START_MS} ms`);
  console.log(`create-branch-action: neondatabase/create-branch-action@${cba.commit} (its published dist/index.js)`);
  console.log('');
  console.log(`${''.padEnd(34)} ${'neon-gitops'.padStart(10)} ${'create-branch'.padStart(16)} ${'ratio'.padStart(9)}`);
  row('step ends (median)', m('ours', 'exit'), m('cba', 'exit'));
  row('URL accepts connections (median)', m('ours', 'usable'), m('cba', 'usable'));
  row('usable after the step ends', m('ours', 'usable') - m('ours', 'exit'), m('cba', 'usable') - m('cba', 'exit'));
  row('cold start (median)', median(cold.ours), median(cold.cba), (x) => `${Math.round(x)} ms`);
  row('dist/ gzipped', ourSize, cbaSize, mb);
  const leaks = (who) => results[who].reduce((n, x) => n + x.leaks, 0);
  console.log(`${'unmasked secrets in outputs/logs'.padEnd(34)} ${String(leaks('ours')).padStart(10)} ${String(leaks('cba')).padStart(16)}`);
  console.log('');
  console.log('neon-gitops\'s step also applies the PR\'s 2 migrations, lints them, diffs the schema and writes the PR comment.');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
