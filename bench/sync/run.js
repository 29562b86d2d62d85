'use strict';
// bench/sync: mode sync vs the seed script vs the raw floor, interleaved over a few rounds
// on one machine, medians reported.
//
//   node_modules/.bin/node bench/sync/run.js                  # ~1 GB source (pgbench -s 50 + wide)
//   BENCH_SCALE=10 BENCH_ROUNDS=1 node_modules/.bin/node bench/sync/run.js   # quicker
//
// Source: pgbench -i -s $BENCH_SCALE --foreign-keys plus `wide` (incompressible text, two
// indexes, an FK), on one Postgres cluster. Target: the Neon emulator on a second cluster.
//
// Every contender reads production over TCP + TLS (the action's `source-url`) and writes
// through the emulator's TLS proxy into an emulator branch, as each would in real life:
//   seed   = pg_dump -Fc -f file, then pg_restore --clean --if-exists --no-owner --no-acl
//            into a `dev` branch holding the previous copy (the nightly job this mode
//            replaces; its exit code is ignored, as users have to);
//   floor  = pg_dump -Fc -Z0 | pg_restore --no-owner --no-acl into an empty branch: no
//            compression, no snapshot bookkeeping, no verification, no swap;
//   mode   = this action (dist/ through the runner simulation), `stream` and `directory`,
//            everything included: preparation, snapshot, staging, copy, verification, swap.
// Also shown, for reference: the floor over unix sockets, without TLS or the proxy (what
// the transport costs on this machine).
//
// What is not Neon's: the emulator makes a branch or a restore by copying a physical
// database (CREATE DATABASE … TEMPLATE) and deletes one with DROP DATABASE, inside the API
// call the action waits for. Neon does these copy-on-write / as metadata. The emulator
// times each copy and drop (neon.storageTimings); the bench attributes them to the action
// phase whose API call they ran in and reports the mode both as measured and with that
// time removed. The emulator's TLS proxy also burns CPU on this machine that Neon's proxy
// would burn elsewhere; it is not removed (all contenders pay it), only its CPU is shown.
// CPU seconds per owner (clients, each server, this process) are printed beside wall time:
// on a shared machine they move much less than wall time. Ratios are medians of per-round
// ratios. docs/sync.md has a recorded run and what it says.
// Not part of the test suite: it takes minutes (BENCH_SCALE=50, 3 rounds: ~10 min).

const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFile, spawn } = require('node:child_process');
const { startPostgres } = require('../../tests/support/postgres');
const { neonInputs } = require('../../tests/support/action-runs');
const { startNeonEmulator } = require('../../tests/emulators/neon');
const { callApi, waitForOperations } = require('../../tests/emulators/neon/helpers');
const { runAction, logText } = require('../../tests/support/runner');
const { scheduleEvent } = require('../../tests/support/events');

const SCALE = Number(process.env.BENCH_SCALE || 50);
const WIDE_ROWS = Number(process.env.BENCH_WIDE_ROWS || Math.round(SCALE * 5000));
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const JOBS = process.env.BENCH_JOBS || ''; // the action's `jobs` input; default: runner cores
const ACTION_DIR = process.env.BENCH_ACTION_DIR; // another build of the action; default: this checkout
// An earlier build (a directory with action.yml + dist/) to run beside this one, on its
// default path, in the same rounds: a before/after under the same machine load.
const BASELINE_DIR = process.env.BENCH_BASELINE_DIR;

function run(file, args, env) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(Object.assign(new Error(`${file} ${args.join(' ')}: ${stderr}`), { stderr })) : resolve(stdout)));
  });
}

/** a | b; resolves to the exit codes (a restore's "errors ignored" exit 1 is the caller's call). */
function pipe(a, b, env) {
  return new Promise((resolve) => {
    const p1 = spawn(a[0], a.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const p2 = spawn(b[0], b.slice(1), { env, stdio: [p1.stdout, 'ignore', 'pipe'] });
    let stderr = '';
    p2.stderr.on('data', (d) => { stderr += d; });
    const codes = [];
    let left = 2;
    const done = (i) => (code) => { codes[i] = code; if (--left === 0) resolve({ codes, stderr }); };
    p1.on('exit', done(0));
    p2.on('exit', done(1));
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
const load = () => os.loadavg()[0].toFixed(2);
// /proc/<pid>/stat: utime+stime (own CPU) and cutime+cstime (reaped children's), in ticks.
const stat = (pid) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').map(Number);
const cpuTicks = (pid) => { const f = stat(pid); return f[11] + f[12]; };
const childTicks = (pid) => { const f = stat(pid); return f[13] + f[14]; };
const TICK_MS = 10; // USER_HZ = 100 on Linux

(async () => {
  const prod = await startPostgres();
  const target = await startPostgres();
  const bin = (n) => path.join(prod.clientBinDir, n);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  let neon;
  try {
    console.log(`building the source: pgbench -i -s ${SCALE} + ${WIDE_ROWS} wide rows ...`);
    await prod.psql('CREATE DATABASE prod');
    await run(bin('pgbench'), ['-i', '-q', '-s', String(SCALE), '--foreign-keys', ...prod.clientArgs('prod')], prod.clientEnv);
    await prod.psql(`CREATE EXTENSION IF NOT EXISTS pgcrypto;
      CREATE TABLE wide (id bigserial PRIMARY KEY, aid int REFERENCES pgbench_accounts(aid), a text, b text, c text, at timestamptz DEFAULT now());
      INSERT INTO wide (aid, a, b, c) SELECT 1 + (i % ${SCALE * 100000}), encode(gen_random_bytes(300), 'base64'), encode(gen_random_bytes(300), 'base64'), md5(i::text) FROM generate_series(1, ${WIDE_ROWS}) i;
      CREATE INDEX ON wide (aid); CREATE INDEX ON wide (c);`, { db: 'prod' });
    await prod.psql('VACUUM ANALYZE', { db: 'prod' });
    await prod.psql('CHECKPOINT');
    const size = (await prod.psql("SELECT pg_size_pretty(pg_database_size('prod'))", { db: 'prod' })).trim();
    const expected = (await prod.psql('SELECT (SELECT count(*) FROM pgbench_accounts) || \'/\' || (SELECT count(*) FROM wide)', { db: 'prod' })).trim();
    console.log(`source size: ${size}; ${os.cpus().length} cores; action jobs: ${JOBS || 'default (cores)'}; ${ROUNDS} rounds\n`);

    neon = await startNeonEmulator({ pg: target, operationMs: 100, computeStartMs: 100 });
    const api = (m, p, b) => callApi(neon.apiUrl, neon.apiKey, m, p, b);
    const project = (p) => `/projects/${neon.projectId}${p}`;
    const branch = async (name) => {
      const c = await api('POST', project('/branches'), { branch: { name }, endpoints: [{ type: 'read_write' }] });
      if (c.status !== 201) throw new Error(JSON.stringify(c.body));
      await waitForOperations(api, project, c.body.operations);
      return c.body.branch;
    };
    const dropBranch = async (b) => { const d = await api('DELETE', project(`/branches/${b.id}`)); await waitForOperations(api, project, d.body.operations || []); };
    await branch('twin');
    const dev = await branch('dev');
    const devUrl = neon.connectionUri(dev.id);
    const prodUrl = prod.url('prod'); // TCP; libpq's default sslmode=prefer takes TLS, as the action does
    const env = { ...process.env, PGPASSWORD: prod.password };
    const copied = async (branchId) => (await neon.query(branchId, 'SELECT (SELECT count(*) FROM pgbench_accounts) || \'/\' || (SELECT count(*) FROM wide)')).trim();
    const check = async (label, branchId) => {
      const got = await copied(branchId);
      if (got !== expected) throw new Error(`${label}: target has ${got} rows (accounts/wide), production ${expected}`);
    };

    // Where the CPU goes: client processes (pg_dump, pg_restore, psql, the action's node:
    // all reaped, directly or not, by this process), each server's backends (reaped by its
    // postmaster), and this process itself (the emulator's API and TLS proxy, the runner
    // simulation). On a real runner only the clients' share runs on the runner.
    const postmaster = (pg) => Number(fs.readFileSync(path.join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const pids = { source: postmaster(prod), target: postmaster(target) };
    const cpuNow = () => ({ clients: childTicks(process.pid), source: childTicks(pids.source), target: childTicks(pids.target), bench: cpuTicks(process.pid) });
    // A backend's CPU is added to its postmaster's count when it exits, a few ms after its
    // client: wait for the servers to have no client sessions before reading the counts.
    const sessions = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()";
    const settle = async () => {
      for (let i = 0; i < 50; i++) {
        if (Number((await prod.psql(sessions)).trim()) + Number((await target.psql(sessions)).trim()) === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** Time fn and the CPU spent meanwhile, per owner. */
    const measure = async (fn) => {
      await settle();
      const c0 = cpuNow();
      const t0 = Date.now();
      const value = await fn();
      const ms = Date.now() - t0;
      await settle();
      const c1 = cpuNow();
      return { ms, value, cpu: Object.fromEntries(Object.keys(c0).map((k) => [k, (c1[k] - c0[k]) * TICK_MS])) };
    };

    const contenders = {
      async seed() {
        const file = path.join(tmp, 'prod.dump');
        const m = await measure(async () => {
          await run(bin('pg_dump'), ['-Fc', '-f', file, '-d', prodUrl], env);
          await run(bin('pg_restore'), ['--clean', '--if-exists', '--no-owner', '--no-acl', '-d', devUrl, file], env).catch(() => {});
        });
        fs.rmSync(file, { force: true });
        await check('seed', dev.id);
        return m;
      },
      async floor() {
        const b = await branch(`floor_${Date.now()}`);
        const m = await measure(() => pipe([bin('pg_dump'), '-Fc', '-Z0', '-d', prodUrl], [bin('pg_restore'), '--no-owner', '--no-acl', '-d', neon.connectionUri(b.id)], env));
        if (m.value.codes[0] !== 0) throw new Error(`floor: pg_dump exited ${m.value.codes[0]}`);
        await check('floor', b.id);
        await dropBranch(b);
        return m;
      },
      async 'floor, direct'() {
        await target.psql('CREATE DATABASE floor_direct');
        const m = await measure(() => pipe([bin('pg_dump'), '-Fc', '-Z0', ...prod.clientArgs('prod')], [bin('pg_restore'), '--no-owner', '--no-acl', ...target.clientArgs('floor_direct')], env));
        if (m.value.codes.some((c) => c !== 0)) throw new Error(`floor, direct: exit codes ${m.value.codes}: ${m.value.stderr}`);
        await target.psql('DROP DATABASE floor_direct');
        return m;
      },
    };
    // `verify: counts` beside the default `content`: what the content fingerprints cost.
    const builds = [['stream', ACTION_DIR, 'mode (stream)'], ['directory', ACTION_DIR, 'mode (directory)'], ['stream', ACTION_DIR, 'mode (stream, verify: counts)', { verify: 'counts' }]];
    if (BASELINE_DIR) builds.push([undefined, BASELINE_DIR, 'baseline build (default path)']);
    for (const [transfer, actionDir, label, extra = {}] of builds) {
      contenders[label] = async () => {
        const requestsBefore = neon.requests.length;
        const storageBefore = neon.storageTimings.length;
        const { ms, cpu, value: r } = await measure(() => runAction({
          ...(actionDir ? { actionDir } : {}),
          inputs: { mode: 'sync', 'source-url': prodUrl, ...neonInputs(neon), 'keep-backups': '0', ...(JOBS ? { jobs: JOBS } : {}), ...extra },
          eventName: 'schedule', event: scheduleEvent(), timeoutMs: 3600000, env: transfer ? { NEON_GITOPS_SYNC_TRANSFER: transfer } : {},
        }));
        if (r.code !== 0) throw new Error(logText(r));
        const phases = {};
        for (const m of r.summary.matchAll(/^\| ([a-z +]+) \| ([\d.]+) s \|$/gm)) phases[m[1]] = (phases[m[1]] || 0) + Number(m[2]) * 1000;
        // Emulator storage work, attributed to the phase whose API call it ran inside.
        const requests = neon.requests.slice(requestsBefore);
        const storage = {};
        for (const op of neon.storageTimings.slice(storageBefore)) {
          const req = requests.find((q) => Date.parse(q.at) <= op.startedAt && op.startedAt <= Date.parse(q.at) + q.durationMs);
          const phase = !req ? 'other' : /\/restore$/.test(req.path) || req.method === 'DELETE' ? 'swap' : req.method === 'POST' && /\/branches$/.test(req.path) ? 'staging' : 'other';
          storage[phase] = (storage[phase] || 0) + op.ms;
        }
        const storageMs = Object.values(storage).reduce((a, b) => a + b, 0);
        // "data: 5 units on 2 slots" (this build), "data: 2 streams" (builds before units).
        const m = logText(r).match(/data: (\d+) units on (\d+) slots/) || logText(r).match(/data: (\d+) (streams)/);
        const streams = m ? (m[2] === 'streams' ? `${m[1]} data stream(s)` : `${m[1]} data units on ${m[2]} slots`) : '1 data stream';
        return { ms, cpu, phases, storage, storageMs, streams, outside: ms - Number(r.outputs.duration_ms) };
      };
    }

    const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      const line = [];
      for (const [name, fn] of Object.entries(contenders)) {
        const l = load();
        const res = await fn();
        results[name].push(res);
        line.push(`${name} ${sec(res.ms)}${res.storageMs !== undefined ? ` (emulator storage ${sec(res.storageMs)})` : ''} [load ${l}]`);
      }
      console.log(`round ${round}: ${line.join(' | ')}`);
    }

    const med = (name, f) => median(results[name].map(f));
    console.log(`\nmedians over ${ROUNDS} round(s):\n`);
    console.log('| contender | as measured | emulator storage | without it | CPU: clients | source server | target server | bench process |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const name of Object.keys(contenders)) {
      const m = med(name, (r) => r.ms);
      const s = med(name, (r) => r.storageMs || 0);
      const w = med(name, (r) => r.ms - (r.storageMs || 0));
      const cpu = ['clients', 'source', 'target', 'bench'].map((k) => sec(med(name, (r) => r.cpu[k]))).join(' | ');
      console.log(`| ${name} | ${sec(m)} | ${s ? sec(s) : '—'} | ${sec(w)} | ${cpu} |`);
    }
    console.log('(CPU: target server includes the emulator\'s database copies; the action\'s clients include its node process.)');
    for (const [, , name] of builds) {
      const names = [...new Set(results[name].flatMap((r) => Object.keys(r.phases)))];
      console.log(`\n${name}: phases (medians; ${results[name][0].streams}):\n`);
      console.log("| phase | as measured | emulator storage | action's own |");
      console.log('| --- | ---: | ---: | ---: |');
      for (const p of names) {
        const a = med(name, (r) => r.phases[p] || 0);
        const s = med(name, (r) => r.storage[p] || 0);
        const o = med(name, (r) => (r.phases[p] || 0) - (r.storage[p] || 0));
        console.log(`| ${p} | ${sec(a)} | ${s ? sec(s) : '—'} | ${sec(o)} |`);
      }
      console.log(`| outside the phases (node start, wasm load, report) | ${sec(med(name, (r) => r.outside))} | — | ${sec(med(name, (r) => r.outside))} |`);
    }
    // Ratios per round, then their median: the contenders of one round ran back to back
    // under about the same machine load, which varies a lot between rounds on a shared box.
    const best = ['stream', 'directory'].map((t) => `mode (${t})`).sort((a, b) => med(a, (r) => r.ms) - med(b, (r) => r.ms))[0];
    const ratio = (num, den, numF, denF) => median(results[num].map((r, i) => numF(r) / denF(results[den][i])));
    const wall = (r) => r.ms;
    const own = (r) => r.ms - (r.storageMs || 0);
    const cpuAll = (r) => r.cpu.clients + r.cpu.source + r.cpu.target + r.cpu.bench;
    console.log(`\nbest path: ${best}; ratios are medians of the per-round ratios`);
    console.log('| ratio | as measured | without emulator storage | CPU, all processes | goal |');
    console.log('| --- | ---: | ---: | ---: | --- |');
    const row = (label, num, den, goal) => console.log(`| ${label} | ${ratio(num, den, wall, wall).toFixed(2)}x | ${ratio(num, den, own, own).toFixed(2)}x | ${ratio(num, den, cpuAll, cpuAll).toFixed(2)}x | ${goal} |`);
    row('seed / mode', 'seed', best, '>= 2x');
    row('mode / floor', best, 'floor', '<= 1.2x');
    if (BASELINE_DIR) row('baseline build / mode', 'baseline build (default path)', best, 'before / after');
    row('stream / directory', 'mode (stream)', 'mode (directory)', '');
    row('verify: content / counts (stream)', 'mode (stream)', 'mode (stream, verify: counts)', 'content verification <= 1.15x');
    // On a real runner both databases are remote: the runner's own CPU (the seed's gzip,
    // pg_dump/pg_restore's parsing) decides the wall time, so it is compared on its own.
    const clients = (r) => r.cpu.clients;
    console.log(`\nrunner-side CPU (client processes: pg_dump, pg_restore, psql, the action's node), medians: seed ${sec(med('seed', clients))}, floor ${sec(med('floor', clients))}, mode (stream) ${sec(med('mode (stream)', clients))}, mode (stream, verify: counts) ${sec(med('mode (stream, verify: counts)', clients))}`);
    console.log(`seed / mode (stream), runner-side CPU: ${ratio('seed', 'mode (stream)', clients, clients).toFixed(2)}x (goal >= 2x: at most half the seed's, with content verification on)`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (neon) await neon.stop();
    await target.stop();
    await prod.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
