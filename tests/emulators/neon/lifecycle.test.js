'use strict';
// Branch lifecycle through the emulator's HTTP API (plain fetch) and real psql
// connections through its TLS proxy.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEnv } = require('./helpers');

const BRANCH_ID = /^br-[a-z]+-[a-z]+-[a-z0-9]{8}$/;
const LOCKED = 'project already has running operations, scheduling of new ones is prohibited';

describe('neon emulator: branch lifecycle over HTTP and psql', () => {
  let env;
  let preview; // the branch most steps work on
  let previewUri;
  let mainUri;

  before(async () => {
    // computeStartMs leaves a wide window to observe "not ready" and 423 even on a slow machine.
    env = await startEnv({ operationMs: 300, computeStartMs: 1200 });
    const { neon } = env;
    await neon.query(neon.defaultBranchId, `
      CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');`);
    mainUri = (await env.api('GET', env.project(`/connection_uri?database_name=neondb&role_name=neondb_owner`))).body.uri;
  });

  after(async () => {
    if (env) await env.stop();
  });

  test('project and default branch look like a fresh Neon project', async () => {
    const { api, project, neon } = env;
    const p = await api('GET', project(''));
    assert.equal(p.status, 200);
    assert.equal(p.body.project.id, neon.projectId);
    const list = await api('GET', project('/branches'));
    assert.equal(list.status, 200);
    assert.equal(list.body.branches.length, 1);
    const main = list.body.branches[0];
    assert.equal(main.name, 'main');
    assert.equal(main.default, true);
    assert.match(main.id, BRANCH_ID);
    assert.equal(main.id, neon.defaultBranchId);
    const eps = await api('GET', project(`/branches/${main.id}/endpoints`));
    assert.equal(eps.body.endpoints[0].current_state, 'active');
    assert.match(mainUri, /^postgresql:\/\/neondb_owner:npg_\w+@ep-[a-z]+-[a-z]+-[a-z0-9]{8}\.emulator\.localhost:\d+\/neondb\?sslmode=require$/);
    const main3 = await env.psql(mainUri, 'SELECT count(*) FROM items');
    assert.equal(main3.stdout, '3', main3.stderr);
  });

  test('create branch: 201 with branch, endpoints, operations, roles, databases, connection_uris; compute not ready until its operation finishes', async () => {
    const { api, project, neon, psql } = env;
    const r = await api('POST', project('/branches'), { branch: { name: 'preview/pr-1' }, endpoints: [{ type: 'read_write', suspend_timeout_seconds: 300 }] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    preview = r.body.branch;
    assert.match(preview.id, BRANCH_ID);
    assert.equal(preview.parent_id, neon.defaultBranchId);
    assert.equal(preview.current_state, 'init');
    assert.match(preview.parent_lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
    assert.equal(r.body.endpoints.length, 1);
    const ep = r.body.endpoints[0];
    assert.equal(ep.current_state, 'init');
    assert.equal(ep.suspend_timeout_seconds, 300);
    assert.equal(ep.host, `${ep.id}.emulator.localhost:${neon.proxyPort}`);
    assert.deepEqual(r.body.operations.map((o) => o.action), ['create_timeline', 'start_compute']);
    assert.ok(r.body.operations.every((o) => o.status === 'scheduling'));
    assert.deepEqual(r.body.roles.map((x) => x.name), ['neondb_owner']);
    assert.deepEqual(r.body.databases.map((x) => x.name), ['neondb']);
    previewUri = r.body.connection_uris[0].connection_uri;
    assert.equal(previewUri, `postgresql://neondb_owner:${neon.password()}@${ep.host}/neondb?sslmode=require`);
    assert.equal(r.body.connection_uris[0].connection_parameters.pooler_host, `${ep.id}-pooler.emulator.localhost:${neon.proxyPort}`);

    // The compute is still starting: the proxy refuses like Neon does.
    const early = await psql(previewUri, 'SELECT 1');
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /compute is not ready/);

    // Mutations on a branch with running operations are locked.
    const patch = await api('PATCH', project(`/branches/${preview.id}`), { branch: { name: 'preview/pr-1b' } });
    assert.equal(patch.status, 423);
    assert.equal(patch.body.message, LOCKED);
    const del = await api('DELETE', project(`/branches/${preview.id}`));
    assert.equal(del.status, 423);

    const seen = await env.waitForOperations(r.body.operations);
    for (const statuses of Object.values(seen)) {
      assert.equal(statuses[0], 'scheduling');
      assert.equal(statuses[statuses.length - 1], 'finished');
    }
    const after1 = await api('GET', project(`/branches/${preview.id}`));
    assert.equal(after1.body.branch.current_state, 'ready');
    assert.deepEqual(after1.body.annotation.object, { type: 'console/branch', id: preview.id });
    const eps = await api('GET', project(`/branches/${preview.id}/endpoints`));
    assert.equal(eps.body.endpoints[0].current_state, 'active');
  });

  test('the branch is a real copy: parent rows visible, branch writes stay on the branch', async () => {
    const { psql } = env;
    const rows = await psql(previewUri, 'SELECT string_agg(name, \',\' ORDER BY id) FROM items');
    assert.equal(rows.code, 0, rows.stderr);
    assert.equal(rows.stdout, 'one,two,three');
    const write = await psql(previewUri, "INSERT INTO items VALUES (4, 'four')");
    assert.equal(write.code, 0, write.stderr);
    assert.equal((await psql(previewUri, 'SELECT count(*) FROM items')).stdout, '4');
    assert.equal((await psql(mainUri, 'SELECT count(*) FROM items')).stdout, '3');
    // TLS all the way: the session is encrypted on the client side.
    assert.equal((await psql(previewUri, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).stdout, 't');
  });

  test('pooled host reaches the same branch; unknown endpoints and missing TLS are refused', async () => {
    const { api, project, neon, psql } = env;
    const r = await api('GET', project(`/connection_uri?branch_id=${preview.id}&database_name=neondb&role_name=neondb_owner&pooled=true`));
    assert.equal(r.status, 200);
    assert.match(r.body.uri, /@ep-[a-z0-9-]+-pooler\.emulator\.localhost:\d+\/neondb\?sslmode=require$/);
    const pooled = await psql(r.body.uri, 'SELECT count(*) FROM items');
    assert.equal(pooled.stdout, '4', pooled.stderr);
    const last = neon.connections[neon.connections.length - 1];
    assert.equal(last.pooled, true);
    assert.equal(last.physicalDatabase, neon.branchDatabase(preview.id));

    const bogus = previewUri.replace(/@ep-[a-z0-9-]+\./, '@ep-nope-nope-00000000.');
    const nf = await psql(bogus, 'SELECT 1');
    assert.notEqual(nf.code, 0);
    assert.match(nf.stderr, /The requested endpoint could not be found/);

    const insecure = await psql(previewUri.replace('sslmode=require', 'sslmode=disable'), 'SELECT 1');
    assert.match(insecure.stderr, /connection is insecure/);

    const otherDb = await psql(previewUri.replace('/neondb?', '/postgres?'), 'SELECT 1');
    assert.match(otherDb.stderr, /database "postgres" does not exist/);
  });

  test('a query cancelled with Ctrl-C (CancelRequest through the proxy) stops on the server', async () => {
    const { spawn } = require('node:child_process');
    const path = require('node:path');
    const child = spawn(path.join(env.pg.clientBinDir, 'psql'), ['-X', '-At', '-d', previewUri, '-c', 'SELECT pg_sleep(30)'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    // Wait until the query is really running on the server, then interrupt psql.
    for (let i = 0; i < 200; i++) {
      const running = await env.pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'");
      if (running.trim() === '1') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    assert.ok(Date.now() - t0 < 5000);
    assert.notEqual(code, 0);
    assert.match(stderr, /canceling statement due to user request/);
    assert.ok(env.neon.connections.some((c) => c.cancel), 'the CancelRequest came through the proxy');
  });

  test('schema and compare_schema show a real diff after ALTER TABLE on the branch', async () => {
    const { api, project, psql, neon } = env;
    const same = await api('GET', project(`/branches/${preview.id}/compare_schema?base_branch_id=${neon.defaultBranchId}&db_name=neondb`));
    assert.equal(same.status, 200);
    assert.equal(same.body.diff, '');
    const alter = await psql(previewUri, 'ALTER TABLE items ADD COLUMN price numeric(10,2); CREATE INDEX items_name_idx ON items (name);');
    assert.equal(alter.code, 0, alter.stderr);
    const schema = await api('GET', project(`/branches/${preview.id}/schema?db_name=neondb`));
    assert.match(schema.body.sql, /CREATE TABLE public\.items/);
    assert.match(schema.body.sql, /price numeric\(10,2\)/);
    const json = await api('GET', project(`/branches/${preview.id}/schema?db_name=neondb&format=json`));
    assert.deepEqual(json.body.json.tables[0].columns.map((c) => c.name), ['id', 'name', 'price']);
    // base_branch_id defaults to the parent.
    const cmp = await api('GET', project(`/branches/${preview.id}/compare_schema?db_name=neondb`));
    assert.equal(cmp.status, 200);
    const diff = cmp.body.diff;
    assert.match(diff, /^--- a\/neondb/m);
    assert.match(diff, /^\+\+\+ b\/neondb/m);
    assert.match(diff, /^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    assert.match(diff, /^-\s+name text NOT NULL$/m);
    assert.match(diff, /^\+\s+name text NOT NULL,$/m);
    assert.match(diff, /^\+\s+price numeric\(10,2\)$/m);
    assert.match(diff, /^\+CREATE INDEX items_name_idx ON public\.items USING btree \(name\);$/m);
    assert.doesNotMatch(diff, /restrict/);
  });

  test('restore with preserve_under_name: old state kept under the new name, branch reset to the source', async () => {
    const { api, project, psql, neon } = env;
    const physicalBefore = neon.branchDatabase(preview.id);
    const r = await api('POST', project(`/branches/${preview.id}/restore`), { source_branch_id: neon.defaultBranchId, preserve_under_name: 'preview/pr-1-old' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.branch.id, preview.id);
    assert.ok(r.body.operations.length >= 1);
    // Locked while the compute restarts.
    const again = await api('POST', project(`/branches/${preview.id}/restore`), { source_branch_id: neon.defaultBranchId });
    assert.equal(again.status, 423);
    await env.waitForOperations(r.body.operations);

    const list = await api('GET', project('/branches?search=pr-1-old'));
    assert.equal(list.body.branches.length, 1);
    const backup = list.body.branches[0];
    assert.notEqual(backup.id, preview.id);
    assert.equal(backup.restored_as, preview.id);
    // The backup has the branch's former data (row 4 and the price column) ...
    assert.equal((await neon.query(backup.id, 'SELECT count(*) FROM items')).trim(), '4');
    assert.equal((await neon.query(backup.id, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'")).trim(), '1');
    // ... and the branch, through its unchanged connection string, is a fresh copy of main.
    const rows = await psql(previewUri, 'SELECT count(*) FROM items');
    assert.equal(rows.stdout, '3', rows.stderr);
    const cols = await psql(previewUri, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'");
    assert.equal(cols.stdout, '0');
    const after1 = await api('GET', project(`/branches/${preview.id}`));
    assert.ok(after1.body.branch.last_reset_at);
    assert.notEqual(neon.branchDatabase(preview.id), physicalBefore);
    assert.equal(neon.branchDatabase(backup.id), physicalBefore);
    // A restore from itself needs a point in time.
    const self = await api('POST', project(`/branches/${preview.id}/restore`), { source_branch_id: preview.id });
    assert.equal(self.status, 400);
  });

  test('list branches: search, sort and cursor pagination', async () => {
    const { api, project } = env;
    const all = (await api('GET', project('/branches?sort_by=name&sort_order=asc'))).body;
    assert.deepEqual(all.branches.map((b) => b.name), ['main', 'preview/pr-1', 'preview/pr-1-old']);
    assert.equal(all.pagination.sort_by, 'name');
    const seen = [];
    let cursor;
    let pages = 0;
    do {
      const r = await api('GET', project(`/branches?limit=1&sort_by=created_at&sort_order=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      assert.equal(r.status, 200);
      seen.push(...r.body.branches.map((b) => b.id));
      cursor = r.body.pagination.next;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 3);
    const byId = await api('GET', project(`/branches?search=${preview.id.slice(3, 12)}`));
    assert.deepEqual(byId.body.branches.map((b) => b.id), [preview.id]);
    const count = await api('GET', project('/branches/count?search=preview'));
    assert.equal(count.body.count, 2);
    const bad = await api('GET', project('/branches?sort_by=size'));
    assert.equal(bad.status, 500); // not in the spec's enum: flagged as a request mismatch
    env.neon.validationErrors.length = 0; // that one was deliberate
  });

  test('roles: reveal_password and a real reset_password', async () => {
    const { api, project, psql, neon } = env;
    const reveal = await api('GET', project(`/branches/${preview.id}/roles/neondb_owner/reveal_password`));
    assert.equal(reveal.body.password, neon.password());
    const reset = await api('POST', project(`/branches/${preview.id}/roles/neondb_owner/reset_password`));
    assert.equal(reset.status, 200);
    const newPw = reset.body.role.password;
    assert.notEqual(newPw, reveal.body.password);
    await env.waitForOperations(reset.body.operations);
    const old = await psql(previewUri, 'SELECT 1');
    assert.match(old.stderr, /password authentication failed/);
    previewUri = previewUri.replace(reveal.body.password, newPw);
    assert.equal((await psql(previewUri, 'SELECT 1')).stdout, '1');
    mainUri = mainUri.replace(reveal.body.password, newPw);
    const roles = await api('GET', project(`/branches/${preview.id}/roles`));
    assert.deepEqual(roles.body.roles.map((x) => x.name), ['neondb_owner']);
    assert.equal(roles.body.roles[0].password, undefined);
  });

  test('delete: 422 while the branch has children, then 200, then 404', async () => {
    const { api, project, psql, pg } = env;
    const child = await api('POST', project('/branches'), { branch: { name: 'child-of-pr-1', parent_id: preview.id } });
    assert.equal(child.status, 201);
    assert.equal(child.body.endpoints.length, 0); // no endpoints requested, none created
    assert.equal(child.body.connection_uris, undefined);
    await env.waitForOperations(child.body.operations);
    const blocked = await api('DELETE', project(`/branches/${preview.id}`));
    assert.equal(blocked.status, 422);
    assert.match(blocked.body.message, new RegExp(child.body.branch.id));
    const delChild = await api('DELETE', project(`/branches/${child.body.branch.id}`));
    assert.equal(delChild.status, 200);
    // Neon locks the whole project while an operation runs: the next delete waits for it.
    const locked = await api('DELETE', project(`/branches/${preview.id}`));
    assert.equal(locked.status, 423);
    await env.waitForOperations(delChild.body.operations);
    const physical = env.neon.branchDatabase(preview.id);
    const del = await api('DELETE', project(`/branches/${preview.id}`));
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.deepEqual(del.body.operations.map((o) => o.action), ['suspend_compute', 'delete_timeline']);
    assert.equal((await api('GET', project(`/branches/${preview.id}`))).status, 404);
    const again = await api('DELETE', project(`/branches/${preview.id}`));
    assert.equal(again.status, 404);
    assert.deepEqual(Object.keys(again.body).sort(), ['code', 'message']);
    const gone = await pg.psql(`SELECT count(*) FROM pg_database WHERE datname = '${physical}'`);
    assert.equal(gone.trim(), '0');
    const conn = await psql(previewUri, 'SELECT 1');
    assert.match(conn.stderr, /endpoint could not be found/);
    const delMain = await api('DELETE', project(`/branches/${env.neon.defaultBranchId}`));
    assert.equal(delMain.status, 422);
  });

  test('expires_at: an expired branch is deleted', async () => {
    const { api, project, neon } = env;
    await env.waitForOperations(neon.operations().filter((o) => o.status !== 'finished'));
    const expiresAt = new Date(Date.now() + 1500).toISOString().replace(/\.\d+Z$/, 'Z');
    const r = await api('POST', project('/branches'), { branch: { name: 'short-lived', expires_at: expiresAt } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.branch.expires_at, expiresAt);
    const past = await api('POST', project('/branches'), { branch: { name: 'already-expired', expires_at: '2020-01-01T00:00:00Z' } });
    assert.equal(past.status, 400);
    await new Promise((res) => setTimeout(res, Date.parse(expiresAt) - Date.now() + 100));
    const list = await api('GET', project('/branches?search=short-lived'));
    assert.deepEqual(list.body.branches, []);
    assert.deepEqual(neon.expired.map((e) => e.name), ['short-lived']);
  });

  test('no request or response broke the spec', () => {
    assert.deepEqual(env.neon.validationErrors, []);
  });
});
