'use strict';
// bench/migrate: apply 300 migrations to an empty database three ways and print wall
// times and ratios:
//   1. mode: migrate (dist/ through the runner simulation: node start, planning, lint,
//      one psql session with the lock and tracking rows)
//   2. the seed workflow's loop: one `psql "$URL" < file` process per file
//   3. the floor: one `psql -f` of all files concatenated
// Goal (issue 5): ≥ 5× faster than the seed loop and within 1.3× of the floor.
//
//   node_modules/.bin/node bench/migrate/run.js [count]

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { startPostgres } = require('../../tests/support/postgres');
const { runAction } = require('../../tests/support/runner');
const { workflowDispatchEvent } = require('../../tests/support/events');

const COUNT = Number(process.argv[2] || 300);

// The server's data directory (and the workspace) live in memory when the machine has
// /dev/shm: the bench measures the three ways of driving psql, and on a VM disk the
// server's file creations (300 tables, ~1,500 files per run) stall on the journal for
// seconds at random, which swamps the difference being measured. BENCH_ON_DISK=1 keeps
// the default temp dir.
if (!process.env.BENCH_ON_DISK && fs.existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';

function migration(i) {
  const t = `t${String(i).padStart(4, '0')}`;
  const prev = i > 0 ? `t${String(i - 1).padStart(4, '0')}` : null;
  return [
    `-- ${t}: a table, an index, some rows, and a column on the previous table`,
    `CREATE TABLE ${t} (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`,
    `CREATE INDEX ${t}_name_idx ON ${t} (name);`,
    `INSERT INTO ${t} (name) SELECT 'row ' || g FROM generate_series(1, 50) g;`,
    prev ? `ALTER TABLE ${prev} ADD COLUMN ${t}_id bigint;` : 'SELECT 1;',
    '',
  ].join('\n');
}

function exec(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) { err.message = `${path.basename(file)} failed: ${stderr || err.message}`; return reject(err); }
      resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

(async () => {
  const pg = await startPostgres();
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-bench-'));
  try {
    const files = [];
    fs.mkdirSync(path.join(ws, 'migrations'));
    for (let i = 0; i < COUNT; i++) {
      const f = path.join(ws, 'migrations', `${String(i).padStart(4, '0')}_step.sql`);
      fs.writeFileSync(f, migration(i));
      files.push(f);
    }
    const concat = path.join(ws, 'all.sql');
    fs.writeFileSync(concat, files.map((f) => fs.readFileSync(f, 'utf8')).join('\n'));
    const psql = path.join(pg.clientBinDir, 'psql');
    // Every way connects the same way: TCP + TLS with the password in PGPASSWORD.
    const url = (db) => `postgresql://postgres@127.0.0.1:${pg.port}/${db}?sslmode=require`;
    const env = { ...process.env, PGPASSWORD: pg.password };
    const results = {};
    const runs = Number(process.env.BENCH_RUNS || 5);
    for (let run = 0; run < runs; run++) {
      for (const way of ['mode', 'seed', 'floor']) {
        const db = `bench_${way}_${run}`;
        await pg.createDatabase(db);
        let ms;
        if (way === 'mode') {
          ms = await timed(async () => {
            const r = await runAction({
              workspace: ws,
              eventName: 'workflow_dispatch',
              event: workflowDispatchEvent(),
              inputs: { mode: 'migrate', 'database-url': `postgresql://postgres:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/${db}?sslmode=require`, 'fail-on': 'never' },
              timeoutMs: 600000,
            });
            if (r.code !== 0) throw new Error(`mode: migrate failed:\n${r.stdout}\n${r.stderr}`);
            if (JSON.parse(r.outputs.applied).length !== COUNT) throw new Error('not everything applied');
          });
        } else if (way === 'seed') {
          ms = await timed(async () => {
            for (const f of files) await exec(psql, [url(db)], { env, input: fs.readFileSync(f) });
          });
        } else {
          ms = await timed(() => exec(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', concat, url(db)], { env }));
        }
        (results[way] = results[way] || []).push(ms);
      }
    }
    // Best of N hides a noisy neighbour's load; the median is printed beside it because on a
    // shared machine one lucky run of one way can skew a best-of ratio.
    const best = (w) => Math.min(...results[w]);
    const median = (w) => { const v = [...results[w]].sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
    const [mode, seed, floor] = ['mode', 'seed', 'floor'].map(best);
    const [mMode, mSeed, mFloor] = ['mode', 'seed', 'floor'].map(median);
    console.log(`${COUNT} migrations, best of ${runs} runs (PostgreSQL via TCP+TLS, data in ${os.tmpdir()}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}):`);
    console.log(`  mode: migrate               ${mode.toFixed(0).padStart(7)} ms   (all runs: ${results.mode.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`  seed loop (psql per file)   ${seed.toFixed(0).padStart(7)} ms   (all runs: ${results.seed.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`  floor (one psql -f concat)  ${floor.toFixed(0).padStart(7)} ms   (all runs: ${results.floor.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`  seed loop / mode  = ${(seed / mode).toFixed(2)}x   (goal >= 5x)`);
    console.log(`  mode / floor      = ${(mode / floor).toFixed(2)}x   (goal <= 1.3x)`);
    console.log(`  medians: mode ${mMode.toFixed(0)} ms, seed ${mSeed.toFixed(0)} ms, floor ${mFloor.toFixed(0)} ms -> seed/mode ${(mSeed / mMode).toFixed(2)}x, mode/floor ${(mMode / mFloor).toFixed(2)}x`);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
    await pg.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
