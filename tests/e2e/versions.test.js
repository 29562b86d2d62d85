'use strict';
// The version matrix: every mode against PostgreSQL servers 14, 15, 16, 17 and 18, with
// the machine's stock client (psql/pg_dump 15 under /usr/lib/postgresql, as a runner has
// one stock major) unless a case chooses another by absolute path. Servers other than the
// distribution's come from the npm packages `postgres-server-<N>`; the PostgreSQL 18
// client from scripts/pg-client-18.sh (tests/support/postgres.js says how each is found).
//
// Per major, one cluster hosts both "production" databases and the Neon emulator's
// project (its `pg_version` is that major), so each case costs one server start.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres, clientDirs, MAJORS } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { runAction, logText } = require('../support/runner');
const { scheduleEvent } = require('../support/events');
const { runPreview, neonInputs } = require('../support/action-runs');
const { makeWorkspace } = require('../support/workspace');
const h = require('./migrate-helpers');

// The action's own choice of client: the newest under /usr/lib/postgresql (the runner's
// stock one). Read from the machine so the expectations hold wherever the suite runs.
const STOCK = clientDirs().filter((c) => c.dir.startsWith('/usr/lib/postgresql/')).pop();
const NEWEST = clientDirs().pop();

const USERS = `CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) NOT NULL, country text NOT NULL);
INSERT INTO users (email, country) SELECT 'user' || i || '@example.com', 'UK' FROM generate_series(1, 50) i;`;
const MIGRATIONS = {
  'migrations/2024/08/08-01-2024-add-flag-to-users.sql': 'BEGIN;\n\nALTER TABLE users\nADD COLUMN flag VARCHAR(255);\n\nCOMMIT;\n',
  'migrations/2024/08/09-01-2024-index-email.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n',
  'migrations/2024/08/10-01-2024-orders.sql': '-- orders need users\nCREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders\n  ADD COLUMN user_id int REFERENCES no_such_table (id);\n',
};
const FIXED_ORDERS = '-- orders need users\nCREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE orders\n  ADD COLUMN user_id int REFERENCES users (id);\n';

const oldClientNotices = (r) => r.annotations.filter((a) => a.command === 'notice' && /is older than the .* server \(PostgreSQL \d+\)/.test(a.message));

/** The notice says both majors, once per run, only when psql is older than the server. */
function assertClientNotice(r, serverMajor) {
  const notices = oldClientNotices(r);
  if (STOCK.major < serverMajor) {
    assert.equal(notices.length, 1, logText(r));
    assert.match(notices[0].message, new RegExp(`^psql ${STOCK.major} \\(.*\\) is older than the .* server \\(PostgreSQL ${serverMajor}\\)`));
    assert.match(notices[0].message, /install-client: true/);
  } else {
    assert.deepEqual(notices, [], 'no notice when psql is not older than the server');
  }
}

/** mode: sync from `sourceUrl` into the Neon emulator's project. */
function syncInto(neon, sourceUrl, inputs, timeoutMs = 240000) {
  return runAction({
    inputs: { mode: 'sync', 'source-url': sourceUrl, ...neonInputs(neon), ...inputs },
    eventName: 'schedule',
    event: scheduleEvent(),
    timeoutMs,
  });
}

/** Run `act`; it must fail with one error and change nothing in Neon. Returns the error. */
async function refusedBeforeAnyChange(neon, act) {
  const mutations = () => neon.requests.filter((q) => q.method !== 'GET').length;
  const before = { branches: neon.branches().map((b) => b.id).sort(), mutations: mutations() };
  const r = await act();
  assert.equal(r.code, 1, logText(r));
  assert.equal(r.errors.length, 1, r.errors.join('\n'));
  assert.deepEqual(neon.branches().map((b) => b.id).sort(), before.branches);
  assert.equal(mutations(), before.mutations, 'no Neon call changed anything');
  return r.errors[0];
}

for (const major of MAJORS) {
  describe(`PostgreSQL ${major} server, stock psql ${STOCK.major}`, () => {
    let neon;
    let pg;
    let gh;
    const workspaces = [];
    before(async () => {
      neon = await startNeonEmulator({ pgVersion: major, operationMs: 100, computeStartMs: 200 });
      pg = neon.pg;
      gh = await startGitHubEmulator({ repo: 'acme/shop' });
    });
    after(async () => {
      for (const ws of workspaces) ws.cleanup();
      await gh?.stop();
      await neon?.stop();
    });

    it('the server and the emulator project run this major', async () => {
      assert.equal((await pg.psql('SHOW server_version_num')).trim().slice(0, -4), String(major));
      const res = await fetch(`${neon.apiUrl}/projects/${neon.projectId}`, { headers: { authorization: `Bearer ${neon.apiKey}` } });
      assert.equal((await res.json()).project.pg_version, major);
    });

    it('migrate: seed layout, a CONCURRENTLY file, a failing file, then the fixed rerun resumes at it', async () => {
      const db = await h.newDatabase(pg);
      await db.psql(USERS);
      const { ws, event } = await h.mergedPr({ 'migrations/.gitkeep': '' }, MIGRATIONS);
      workspaces.push(ws);

      const r1 = await h.migrate({ ws, db, event });
      assert.equal(r1.code, 1, h.describeRun(r1));
      assertClientNotice(r1, major);
      assert.deepEqual(await h.tracked(db), [
        ['2024/08/08-01-2024-add-flag-to-users.sql', 'applied'],
        ['2024/08/09-01-2024-index-email.sql', 'applied'],
      ]);
      assert.equal(await db.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"), 't');
      const failure = h.errorAnnotations(r1).find((a) => a.properties.file === 'migrations/2024/08/10-01-2024-orders.sql');
      assert.ok(failure, h.describeRun(r1));
      assert.equal(failure.properties.line, '4', 'the line of the missing table');
      assert.match(failure.message, /relation "no_such_table" does not exist/);
      assert.equal(await db.psql("SELECT to_regclass('orders') IS NULL"), 't', 'the failed file rolled back');

      const fix = await h.push(ws, { 'migrations/2024/08/10-01-2024-orders.sql': FIXED_ORDERS }, 'Fix the orders migration');
      const r2 = await h.migrate({ ws, db, ...fix });
      assert.equal(r2.code, 0, h.describeRun(r2));
      assert.deepEqual(h.outputs(r2).applied, ['2024/08/10-01-2024-orders.sql']);
      assertClientNotice(r2, major);

      const r3 = await h.migrate({ ws, db, ...fix });
      assert.equal(r3.code, 0, h.describeRun(r3));
      assert.deepEqual(h.outputs(r3).applied, []);
    });

    it('preview: opened, synchronize, closed on a Neon project of this major', async () => {
      await neon.query(neon.defaultBranchId, USERS);
      const number = 40 + major;
      const name = `preview/pr-${number}-feature/orders`;
      const first = { 'migrations/001_flag.sql': 'ALTER TABLE users ADD COLUMN flag boolean;\n' };
      const second = { ...first, 'migrations/002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id int REFERENCES users (id));\n' };
      const ws = await makeWorkspace({ files: { 'README.md': '# shop\n', ...first } });
      workspaces.push(ws);
      const files = (f) => gh.setPullFiles(number, Object.keys(f).map((filename) => ({ filename, status: 'added' })));
      // No pg-bin-dir: the action picks the runner's stock psql itself.
      const run = (action, headSha) => runPreview({ neon, gh, pgBinDir: '', workspace: ws.path, pr: { action, number, headRef: 'feature/orders', headSha } });

      files(first);
      const opened = await run('opened', await ws.head());
      assert.equal(opened.code, 0, logText(opened));
      assertClientNotice(opened, major);
      const [branch] = neon.branches().filter((b) => b.name === name);
      assert.ok(branch, 'branch created');
      assert.equal((await neon.query(branch.id, 'SELECT count(*) FROM users')).trim(), '50');

      files(second);
      const sha2 = await ws.commit({ 'migrations/002_orders.sql': second['migrations/002_orders.sql'] }, 'orders');
      const pushed = await run('synchronize', sha2);
      assert.equal(pushed.code, 0, logText(pushed));
      assert.deepEqual(JSON.parse(pushed.outputs.migrations_applied).map((m) => m.path).sort(), ['migrations/001_flag.sql', 'migrations/002_orders.sql']);
      assert.equal((await neon.query(branch.id, "SELECT to_regclass('orders') IS NOT NULL")).trim(), 't');

      const closed = await run('closed', sha2);
      assert.equal(closed.code, 0, logText(closed));
      assert.deepEqual(neon.branches().filter((b) => b.name === name), [], 'deleted on close');
    });

    it(`sync: production ${major} into a twin on ${major}, with the client chosen by absolute path`, async () => {
      const prod = await h.newDatabase(pg, 'prod');
      await prod.psql(`${USERS}
        CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int NOT NULL REFERENCES users (id), total numeric(10,2));
        INSERT INTO orders (user_id, total) SELECT 1 + i % 50, i * 1.25 FROM generate_series(1, 300) i;`);
      const client = clientDirs().find((c) => c.major >= major);
      const r = await syncInto(neon, prod.url, { 'twin-branch': 'twin', 'pg-bin-dir': client.dir });
      assert.equal(r.code, 0, logText(r));
      assert.match(logText(r), new RegExp(`production: PostgreSQL ${major}; target: PostgreSQL ${major}; client: ${client.major} \\(${client.dir}\\)`));
      const [twin] = neon.branches().filter((b) => b.name === 'twin');
      const sum = "SELECT count(*) || ':' || sum(total) || ':' || max(id) FROM orders";
      assert.equal((await neon.query(twin.id, sum)).trim(), await prod.psql(sum));
      assert.equal((await neon.query(twin.id, 'SELECT count(*) FROM users')).trim(), '50');
    });

    if (major < 17) {
      it(`sync: pg_restore ${NEWEST.major} cannot restore into ${major} (SET transaction_timeout): one clear error before anything changes`, async () => {
        const prod = await h.newDatabase(pg, 'prod');
        await prod.psql(USERS);
        const error = await refusedBeforeAnyChange(neon, () => syncInto(neon, prod.url, { 'twin-branch': 'twin-new-client', 'pg-bin-dir': NEWEST.dir }, 120000));
        assert.match(error, new RegExp(`pg_restore ${NEWEST.major} cannot restore into the target's PostgreSQL ${major}: .*SET transaction_timeout = 0`));
        assert.match(error, new RegExp(`point \`pg-bin-dir\` at a client of major ${major}`));
      });
    }

    if (major > STOCK.major) {
      it(`sync: the stock pg_dump ${STOCK.major} cannot dump ${major}: one clear error before anything changes`, async () => {
        const prod = await h.newDatabase(pg, 'prod');
        await prod.psql(USERS);
        const error = await refusedBeforeAnyChange(neon, () => syncInto(neon, prod.url, { 'twin-branch': 'twin-stock' }, 120000));
        assert.match(error, new RegExp(`pg_dump ${major} or newer is needed \\(production is PostgreSQL ${major}\\), but the newest client found is ${STOCK.major}`));
        assert.match(error, new RegExp(`\`postgresql-client-${major}\``));
        assert.match(error, /install-client: true/);
      });
    }
  });
}

describe('production on a newer major than the twin', () => {
  let prodPg;
  let neon;
  before(async () => {
    prodPg = await startPostgres({ major: 17 });
    neon = await startNeonEmulator({ pgVersion: 16, operationMs: 100, computeStartMs: 200 });
  });
  after(async () => {
    await neon?.stop();
    await prodPg?.stop();
  });

  const syncNewest = (prod) => syncInto(neon, prod.url, { 'twin-branch': 'twin', 'pg-bin-dir': NEWEST.dir });

  it('17 into 16: a clear error naming both majors and the fix, before the twin is created', async () => {
    const prod = await h.newDatabase(prodPg, 'prod');
    await prod.psql(USERS);
    const r = await syncNewest(prod);
    assert.equal(r.code, 1, logText(r));
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(r.errors[0], /production runs PostgreSQL 17, but the target runs PostgreSQL 16/);
    assert.match(r.errors[0], /create the twin on PostgreSQL 17/);
    assert.match(r.errors[0], /allow-older-target: true/);
    assert.deepEqual(neon.branches().map((b) => b.name), ['main'], 'no twin was created');
    assert.equal(neon.requests.filter((q) => q.method !== 'GET').length, 0, 'no Neon call changed anything');
  });

  it('17 into an existing twin on 16: the same error, and the twin is left as it was', async () => {
    const prod = await h.newDatabase(prodPg, 'prod');
    await prod.psql(USERS);
    const twinRes = await fetch(`${neon.apiUrl}/projects/${neon.projectId}/branches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${neon.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] }),
    });
    assert.equal(twinRes.status, 201);
    const twin = (await twinRes.json()).branch;
    await new Promise((r) => setTimeout(r, 400));
    const mutations = neon.requests.filter((q) => q.method !== 'GET').length;
    const r = await syncNewest(prod);
    assert.equal(r.code, 1, logText(r));
    assert.match(r.errors.join('\n'), /production runs PostgreSQL 17, but the target runs PostgreSQL 16/);
    assert.deepEqual(neon.branches().map((b) => b.name).sort(), ['main', 'twin']);
    assert.equal(neon.branches().find((b) => b.name === 'twin').id, twin.id);
    assert.equal(neon.requests.filter((q) => q.method !== 'GET').length, mutations, 'no Neon call changed anything');
  });
});
