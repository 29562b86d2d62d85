'use strict';
// bench/preview: a PR's life (opened → synchronize → closed) through dist/ and the runner
// simulation, against the Neon emulator with 50 ms latency on every API call (GitHub's
// too) and realistic operation durations (control-plane operations ~1 s, compute start
// ~2 s). Prints, per event, the wall time until outputs are ready and the API calls per
// phase, so regressions in round trips show up as numbers.
//
//   node_modules/.bin/node bench/preview/run.js [latencyMs] [operationMs] [computeStartMs] [--trace]
// --trace also prints every API call of every event with its time since the step started.

const path = require('node:path');
const { startPostgres } = require('../../tests/support/postgres');
const { startNeonEmulator } = require('../../tests/emulators/neon');
const { startGitHubEmulator } = require('../../tests/emulators/github');
const { runPreview } = require('../../tests/support/action-runs');
const { makeWorkspace } = require('../../tests/support/workspace');

const args = process.argv.slice(2).filter((a) => a !== '--trace');
const TRACE = process.argv.includes('--trace');
const LATENCY = Number(args[0] || 50);
const OPERATION_MS = Number(args[1] || 1000);
const COMPUTE_START_MS = Number(args[2] || 2000);

const ts = (at) => (typeof at === 'number' ? at : Date.parse(at));

/** Which phase of the action an API call belongs to. */
function phase(e) {
  const p = e.path.replace(/\?.*$/, '');
  if (e.service === 'github') {
    if (/\/pulls\/\d+\/files$/.test(p)) return 'lint (PR files)';
    return 'comment';
  }
  if (/\/operations/.test(p)) return 'wait (operations)';
  if (e.method === 'GET' && /\/branches$/.test(p)) return 'lookup';
  if (e.method === 'POST' && /\/branches$/.test(p)) return 'create';
  if (/\/restore$/.test(p)) return 'reset';
  if (e.method === 'DELETE') return 'delete';
  if (/\/compare_schema$/.test(p)) return 'schema diff';
  if (/\/endpoints$/.test(p)) return 'wait (compute)';
  if (/\/(roles|databases|reveal_password)/.test(p)) return 'connection';
  if (e.method === 'GET' && /\/branches\/[^/]+$/.test(p)) return 'parent';
  return p;
}

async function main() {
  const pg = await startPostgres();
  const neon = await startNeonEmulator({ pg, latencyMs: LATENCY, operationMs: OPERATION_MS, computeStartMs: COMPUTE_START_MS });
  const gh = await startGitHubEmulator();
  gh.faults.latencyMs = LATENCY;
  await neon.query(neon.defaultBranchId, `CREATE TABLE users (id int PRIMARY KEY, email text);
    INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 1000) g;`);
  const files = {
    'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n',
    'migrations/002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id int REFERENCES users (id));\n',
  };
  const ws = await makeWorkspace({ files });
  gh.setPullFiles(1, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
  const rows = [];
  try {
    // Warm-up (not measured): the emulators compile their OpenAPI validators on first use,
    // which would otherwise be counted against the first event.
    for (const action of ['opened', 'closed']) {
      await runPreview({ neon, gh, pgBinDir: pg.clientBinDir, workspace: ws.path, pr: { action, number: 999, headRef: 'warm-up' }, timeoutMs: 300000 });
    }
    for (const action of ['opened', 'synchronize', 'synchronize', 'closed']) {
      const t0 = Date.now();
      const nMark = neon.requests.length;
      const gMark = gh.requests.length;
      const r = await runPreview({
        neon,
        gh,
        pgBinDir: pg.clientBinDir,
        workspace: ws.path,
        pr: { action, number: 1, headRef: 'feature/bench', merged: action === 'closed' },
        timeoutMs: 300000,
      });
      if (r.code !== 0) throw new Error(`${action} failed:\n${r.stdout}\n${r.stderr}`);
      const calls = [
        ...neon.requests.slice(nMark).map((e) => ({ ...e, service: 'neon' })),
        ...gh.requests.slice(gMark).map((e) => ({ ...e, service: 'github' })),
      ];
      if (TRACE) {
        console.log(`-- ${action}`);
        for (const c of calls.sort((a, b) => ts(a.at) - ts(b.at))) {
          console.log(`  ${String(ts(c.at) - t0).padStart(6)} ms  ${c.service.padEnd(6)} ${c.method} ${c.path.replace(/\?.*$/, '')} ${c.status}`);
        }
      }
      const perPhase = {};
      for (const c of calls) perPhase[phase(c)] = (perPhase[phase(c)] || 0) + 1;
      rows.push({ action, ms: Math.round(r.durationMs), calls: calls.length, perPhase });
    }
  } finally {
    ws.cleanup();
    await gh.stop();
    await neon.stop();
    await pg.stop();
  }
  console.log(`bench/preview: ${LATENCY} ms latency per API call, operations ${OPERATION_MS} ms, compute start ${COMPUTE_START_MS} ms`);
  console.log('');
  console.log('event        wall time   API calls   per phase');
  for (const r of rows) {
    const phases = Object.entries(r.perPhase).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`${r.action.padEnd(12)} ${(r.ms / 1000).toFixed(2).padStart(7)} s   ${String(r.calls).padStart(9)}   ${phases}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

module.exports = { phase, path };
