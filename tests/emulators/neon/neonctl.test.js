'use strict';
// Fidelity check: the official Neon CLI (neonctl) must work against the emulator
// unmodified. If it trips over something, the emulator is wrong, not the test.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEnv } = require('./helpers');

const NEONCTL = path.join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'neonctl');

describe('neon emulator: the official neonctl CLI works against it', () => {
  let env;
  let home;

  before(async () => {
    env = await startEnv({ operationMs: 200, computeStartMs: 300 });
    await env.neon.query(env.neon.defaultBranchId, `
      CREATE TABLE deploys (id serial PRIMARY KEY, sha text NOT NULL);
      INSERT INTO deploys (sha) VALUES ('abc123'), ('def456');`);
    // A throw-away HOME: neonctl must not find (or write) real credentials or config.
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'neonctl-home-'));
  });

  after(async () => {
    if (env) await env.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  /** Run neonctl with JSON output against the emulator; resolves to parsed stdout. */
  function neonctl(args, { json = true } = {}) {
    const env2 = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), NO_COLOR: '1', CI: 'true' };
    const argv = [...args, '--api-host', env.neon.apiUrl, '--api-key', env.neon.apiKey, '--project-id', env.neon.projectId, '--no-analytics', '--no-color'];
    if (json) argv.push('--output', 'json');
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [NEONCTL, ...argv], { env: env2, timeout: 60000, cwd: home }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`neonctl ${args.join(' ')} failed (${err.code}): ${stderr}\n${stdout}`));
        resolve(json ? JSON.parse(stdout) : stdout.trim());
      });
    });
  }

  test('create, list, connection-string (direct and pooled), psql, delete', async () => {
    const { neon, psql } = env;
    const created = await neonctl(['branches', 'create', '--name', 'ci/pr-7']);
    const branch = created.branch;
    assert.match(branch.id, /^br-[a-z]+-[a-z]+-[a-z0-9]{8}$/);
    assert.equal(branch.name, 'ci/pr-7');
    assert.equal(branch.parent_id, neon.defaultBranchId);
    assert.equal(created.endpoints.length, 1);
    assert.equal(created.connection_uris.length, 1);

    const list = await neonctl(['branches', 'list']);
    assert.deepEqual(list.map((b) => b.name).sort(), ['ci/pr-7', 'main']);

    const cs = await neonctl(['connection-string', 'ci/pr-7'], { json: false });
    const url = new URL(cs);
    assert.equal(url.hostname, `${created.endpoints[0].id}.emulator.localhost`);
    assert.equal(url.searchParams.get('sslmode'), 'require');
    assert.equal(url.searchParams.get('channel_binding'), 'require');
    // neonctl does not wait for the compute (its JSON output has no operations):
    // wait until the API reports the endpoint active, as a careful client would.
    for (let i = 0; ; i++) {
      const eps = await env.api('GET', env.project(`/branches/${branch.id}/endpoints`));
      if (eps.body.endpoints[0].current_state === 'active') break;
      assert.ok(i < 200, 'endpoint became active');
      await new Promise((r) => setTimeout(r, 25));
    }
    const rows = await psql(cs, 'SELECT string_agg(sha, \',\' ORDER BY id) FROM deploys');
    assert.equal(rows.code, 0, rows.stderr);
    assert.equal(rows.stdout, 'abc123,def456');
    // SCRAM channel binding really happened end to end.
    const write = await psql(cs, "INSERT INTO deploys (sha) VALUES ('branch-only')");
    assert.equal(write.code, 0, write.stderr);
    assert.equal((await neon.query(neon.defaultBranchId, 'SELECT count(*) FROM deploys')).trim(), '2');

    const pooled = await neonctl(['connection-string', branch.id, '--pooled'], { json: false });
    assert.match(new URL(pooled).hostname, /-pooler\.emulator\.localhost$/);
    assert.equal((await psql(pooled, 'SELECT count(*) FROM deploys')).stdout, '3');

    // (Each neonctl run costs ~1.5 s of CLI start-up, so the rest is checked via the API.)
    const deleted = await neonctl(['branches', 'delete', 'ci/pr-7']);
    assert.equal(deleted.id, branch.id);
    const after1 = await env.api('GET', env.project('/branches'));
    assert.deepEqual(after1.body.branches.map((b) => b.name), ['main']);

    const gone = await psql(cs, 'SELECT 1');
    assert.match(gone.stderr, /endpoint could not be found/);
  });

  test('neonctl stayed within the spec and the emulated operations', () => {
    const { neon } = env;
    assert.deepEqual(neon.validationErrors, []);
    const used = new Set(neon.requests.map((r) => r.operationId));
    for (const op of ['createProjectBranch', 'listProjectBranches', 'listProjectBranchEndpoints', 'getProjectBranchRolePassword', 'deleteProjectBranch']) {
      assert.ok(used.has(op), `neonctl called ${op}`);
    }
  });
});
