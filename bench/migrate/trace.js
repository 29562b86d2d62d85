'use strict';
// bench/migrate/trace.js: the cost of tracing (what production will feel) on the shared
// corpus. For every project with a vanilla apply order, mode: migrate runs with
// `rehearse-on-branch` twice, `trace: true` and `trace: false`: each time the rehearsal
// applies the whole history to a fresh empty branch (then production, the emulator's
// parent branch, gets it too). The two rehearsal psql sessions differ only in the trace;
// their times come from the engine's debug lines. Goal: traced ≤ 1.5× untraced.
//
//   node_modules/.bin/node bench/migrate/trace.js [project ...]
//
// The corpus is used where it lies (../shared/corpus, or NEON_GITOPS_CORPUS), never
// copied into the repository: files are staged in a temp checkout, in the MANIFEST's order.
// BENCH_ROUNDS (default 3): runs per side, the best kept.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startPostgres } = require('../../tests/support/postgres');
const { startNeonEmulator } = require('../../tests/emulators/neon');
const { runAction, REPO_ROOT } = require('../../tests/support/runner');
const { workflowDispatchEvent } = require('../../tests/support/events');
const { neonInputs } = require('../../tests/support/action-runs');

const CORPUS = process.env.NEON_GITOPS_CORPUS || path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
if (!process.env.BENCH_ON_DISK && fs.existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const lines = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : []);

function isPlain(rel, text) {
  const name = path.basename(rel);
  return !(name === 'migration.sql' || name === 'up.sql' || /^[VR]\d*__/.test(name) || /^--\s*migrate:up/m.test(text));
}

/** The project's files in a temp checkout, laid out as its tool expects. */
function stage(dir, order) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-trace-bench-'));
  order.forEach((rel, i) => {
    const src = path.join(dir, rel);
    const plain = isPlain(rel, fs.readFileSync(src, 'utf8'));
    const dest = path.join(ws, 'db', plain ? `${String(i).padStart(4, '0')}/${rel}` : rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
    const meta = path.join(path.dirname(src), 'metadata.toml');
    if (path.basename(rel) === 'up.sql' && fs.existsSync(meta)) fs.copyFileSync(meta, path.join(path.dirname(dest), 'metadata.toml'));
  });
  return ws;
}

function sessionMs(stdout, target) {
  const re = new RegExp(`psql session on ${target} \\((\\d+) file\\(s\\), (\\d+) script bytes\\) took (\\d+) ms`, 'g');
  const all = [...stdout.matchAll(re)];
  const last = all[all.length - 1];
  return last ? { files: Number(last[1]), bytes: Number(last[2]), ms: Number(last[3]) } : null;
}

(async () => {
  if (!fs.existsSync(path.join(CORPUS, 'MANIFEST.md'))) {
    console.error(`no corpus at ${CORPUS} (set NEON_GITOPS_CORPUS)`);
    process.exit(2);
  }
  const wanted = process.argv.slice(2);
  const projects = fs.readdirSync(CORPUS)
    .filter((p) => fs.statSync(path.join(CORPUS, p)).isDirectory())
    .filter((p) => !wanted.length || wanted.includes(p))
    .sort()
    .map((name) => ({ name, dir: path.join(CORPUS, name), order: lines(path.join(CORPUS, name, 'order.txt')) }))
    .filter((p) => p.order.length);
  const pg = await startPostgres();
  const rows = [];
  try {
    for (const p of projects) {
      const once = async (trace) => {
        // A fresh emulator per run: its parent branch (production here) starts empty.
        const neon = await startNeonEmulator({ pg, operationMs: 20, computeStartMs: 20 });
        const ws = stage(p.dir, p.order);
        try {
          const r = await runAction({
            workspace: ws,
            eventName: 'workflow_dispatch',
            event: workflowDispatchEvent(),
            inputs: {
              mode: 'migrate',
              'database-url': neon.connectionUri(),
              'migrations-path': 'db/**/*.sql',
              'tracking-table': 'neon_gitops.migrations',
              'fail-on': 'never',
              'pg-bin-dir': pg.clientBinDir,
              'rehearse-on-branch': 'main',
              trace: String(trace),
              ...neonInputs(neon),
            },
            timeoutMs: 900000,
          });
          if (process.env.BENCH_DEBUG) console.log(r.stdout);
          const s = sessionMs(r.stdout, 'the rehearsal branch');
          if (r.code !== 0 || !s) throw new Error(`${p.name}: run failed (exit ${r.code})\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
          return { ...s, statements: trace ? JSON.parse(r.outputs.trace).statements.length : 0 };
        } finally {
          fs.rmSync(ws, { recursive: true, force: true });
          await neon.stop();
        }
      };
      // Alternate, best of ROUNDS each: the machine's noise is larger than the difference.
      const best = { true: null, false: null };
      for (let i = 0; i < ROUNDS; i++) {
        for (const trace of [false, true]) {
          const s = await once(trace);
          if (!best[trace] || s.ms < best[trace].ms) best[trace] = s;
        }
      }
      const [traced, untraced] = [best.true, best.false];
      rows.push({ name: p.name, files: traced.files, statements: traced.statements, untraced: untraced.ms, traced: traced.ms });
      console.log(`${p.name}: ${traced.files} files, ${traced.statements} statements traced: untraced ${untraced.ms} ms, traced ${traced.ms} ms (${(traced.ms / untraced.ms).toFixed(2)}×)`);
    }
  } finally {
    await pg.stop();
  }
  const sum = (k) => rows.reduce((a, r) => a + r[k], 0);
  console.log('\n| Project | Files | Statements | Untraced psql session | Traced | Ratio |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.files} | ${r.statements} | ${r.untraced} ms | ${r.traced} ms | ${(r.traced / r.untraced).toFixed(2)}× |`);
  if (rows.length) console.log(`| **total** | ${sum('files')} | ${sum('statements')} | ${sum('untraced')} ms | ${sum('traced')} ms | ${(sum('traced') / sum('untraced')).toFixed(2)}× |`);
})().catch((e) => { console.error(e); process.exit(1); });
