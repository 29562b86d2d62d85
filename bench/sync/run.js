'use strict';
// bench/sync: mode sync vs the seed script vs the raw floor, in one run, on one machine.
//
//   node_modules/.bin/node bench/sync/run.js            # ~1 GB source (pgbench -s 50 + wide table)
//   BENCH_SCALE=10 node_modules/.bin/node bench/sync/run.js   # quicker, ~0.25 GB
//
// Source: pgbench -i -s $BENCH_SCALE plus `wide` (incompressible text, indexes, an FK).
// Target: a Neon emulator branch ("twin") on a second cluster.
//   seed  = pg_dump -Fc -f file && pg_restore --clean --if-exists --no-owner --no-acl (the
//           nightly workflow this mode replaces), into a plain database;
//   floor = pg_dump -Fc -Z0 | pg_restore into an empty database (no verification, no swap);
//   sync  = this action (dist/) through the runner simulation, stream and directory paths,
//           snapshot + verification + swap included.
// Not part of the test suite: it takes minutes.

const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFile, spawn } = require('node:child_process');
const { startPostgres } = require('../../tests/support/postgres');
const { startNeonEmulator } = require('../../tests/emulators/neon');
const { callApi, waitForOperations } = require('../../tests/emulators/neon/helpers');
const { runAction, logText } = require('../../tests/support/runner');
const { scheduleEvent } = require('../../tests/support/events');

const SCALE = Number(process.env.BENCH_SCALE || 50);
const WIDE_ROWS = Number(process.env.BENCH_WIDE_ROWS || Math.round(SCALE * 5000));

function run(file, args, env) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
  });
}

function pipe(a, b, env) {
  return new Promise((resolve, reject) => {
    const p1 = spawn(a[0], a.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const p2 = spawn(b[0], b.slice(1), { env, stdio: [p1.stdout, 'ignore', 'inherit'] });
    let left = 2;
    const done = (code) => { if (code !== 0) reject(new Error(`pipeline exited ${code}`)); else if (--left === 0) resolve(); };
    p1.on('exit', done);
    p2.on('exit', done);
  });
}

async function timed(label, fn) {
  const t0 = Date.now();
  await fn();
  const ms = Date.now() - t0;
  console.log(`${label.padEnd(28)} ${(ms / 1000).toFixed(1).padStart(7)} s`);
  return ms;
}

(async () => {
  const prod = await startPostgres();
  const target = await startPostgres();
  const bin = (n) => path.join(prod.binDir, n);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  try {
    console.log(`building the source: pgbench -i -s ${SCALE} + ${WIDE_ROWS} wide rows ...`);
    await prod.psql('CREATE DATABASE prod');
    await run(bin('pgbench'), ['-i', '-q', '-s', String(SCALE), '--foreign-keys', ...prod.clientArgs('prod')], prod.clientEnv);
    await prod.psql(`CREATE EXTENSION IF NOT EXISTS pgcrypto;
      CREATE TABLE wide (id bigserial PRIMARY KEY, aid int REFERENCES pgbench_accounts(aid), a text, b text, c text, at timestamptz DEFAULT now());
      INSERT INTO wide (aid, a, b, c) SELECT 1 + (i % ${SCALE * 100000}), encode(gen_random_bytes(300), 'base64'), encode(gen_random_bytes(300), 'base64'), md5(i::text) FROM generate_series(1, ${WIDE_ROWS}) i;
      CREATE INDEX ON wide (aid); CREATE INDEX ON wide (c);`, { db: 'prod' });
    await prod.psql('VACUUM ANALYZE', { db: 'prod' });
    const size = (await prod.psql("SELECT pg_size_pretty(pg_database_size('prod'))", { db: 'prod' })).trim();
    console.log(`source size: ${size}\n`);
    const env = { ...process.env, PGPASSWORD: prod.password };
    const prodArgs = prod.clientArgs('prod');
    const tEnv = target.clientEnv;

    // Seed script: -Fc (default compression) to a file, then --clean restore into the dev database.
    await target.psql('CREATE DATABASE dev_seed');
    const seed = await timed('seed script (-Fc + --clean)', async () => {
      const file = path.join(tmp, 'prod.dump');
      await run(bin('pg_dump'), ['-Fc', '-f', file, ...prodArgs], env);
      await run(bin('pg_restore'), ['--clean', '--if-exists', '--no-owner', '--no-acl', ...target.clientArgs('dev_seed'), file], tEnv).catch(() => {}); // exits 1 on harmless --clean errors, as users see
    });

    // Raw floor: no compression, streamed, into an empty database.
    await target.psql('CREATE DATABASE dev_floor');
    const floor = await timed('raw floor (-Z0 | pg_restore)', () => pipe(
      [bin('pg_dump'), '-Fc', '-Z0', ...prodArgs],
      [bin('pg_restore'), '--no-owner', '--no-acl', ...target.clientArgs('dev_floor')],
      { ...env },
    ));
    await target.psql('DROP DATABASE dev_seed');
    await target.psql('DROP DATABASE dev_floor');

    const neon = await startNeonEmulator({ pg: target, operationMs: 100, computeStartMs: 100 });
    const api = (m, p, b) => callApi(neon.apiUrl, neon.apiKey, m, p, b);
    const project = (p) => `/projects/${neon.projectId}${p}`;
    const created = await api('POST', project('/branches'), { branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] });
    await waitForOperations(api, project, created.body.operations);
    const results = {};
    for (const transfer of ['stream', 'directory']) {
      let r;
      results[transfer] = await timed(`this mode (${transfer})`, async () => {
        r = await runAction({
          inputs: { mode: 'sync', 'source-url': prod.url('prod'), 'neon-api-key': neon.apiKey, 'neon-project-id': neon.projectId, 'neon-api-host': neon.apiUrl, 'keep-backups': '0' },
          eventName: 'schedule', event: scheduleEvent(), timeoutMs: 3600000, env: { NEON_GITOPS_SYNC_TRANSFER: transfer },
        });
      });
      if (r.code !== 0) throw new Error(logText(r));
      const phases = [...r.summary.matchAll(/^\| ([a-z +]+) \| ([\d.]+ s) \|$/gm)].map((m) => `${m[1]} ${m[2]}`);
      console.log(`    phases: ${phases.join(', ')}`);
    }
    await neon.stop();
    const best = Math.min(results.stream, results.directory);
    console.log(`\nseed / this mode:  ${(seed / best).toFixed(2)}x faster (goal >= 2x)`);
    console.log(`this mode / floor: ${(best / floor).toFixed(2)}x (goal <= 1.2x; includes snapshot, verification and swap)`);
    console.log(`stream / directory: ${(results.stream / results.directory).toFixed(2)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await target.stop();
    await prod.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
