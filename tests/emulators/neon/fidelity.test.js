'use strict';
// Neon's documented branch rules, each cited in README.md ("Branch tree rules"): restore
// with and without preserve_under_name under both restoreParent models, expiration
// limits, project-wide operation locking, failed operations that are retried, and the
// plan's branch limit.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEnv } = require('./helpers');

const inDays = (d) => new Date(Date.now() + d * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');

for (const restoreParent of ['backup', 'source']) {
  describe(`neon emulator: branch tree rules (restoreParent: ${restoreParent})`, () => {
    let env;
    before(async () => { env = await startEnv({ operationMs: 60, computeStartMs: 60, restoreParent }); });
    after(async () => { if (env) await env.stop(); });

    const create = async (branch, extra = {}) => {
      const r = await env.api('POST', env.project('/branches'), { branch, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      await env.waitForOperations(r.body.operations);
      return r.body.branch;
    };
    const get = async (id) => (await env.api('GET', env.project(`/branches/${id}`))).body.branch;
    const restore = async (id, body) => {
      const r = await env.api('POST', env.project(`/branches/${id}/restore`), body);
      if (r.status === 200) await env.waitForOperations(r.body.operations);
      return r;
    };

    test('restore from a sibling: without a backup the source is the parent; with one, children move to the backup', async () => {
      const twin = await create({ name: 'twin' }, { endpoints: [{ type: 'read_write' }] });
      const staging = await create({ name: 'staging-1' });
      await env.neon.query(staging.id, 'CREATE TABLE fresh (id int)');
      const plain = await restore(twin.id, { source_branch_id: staging.id });
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      assert.equal((await get(twin.id)).parent_id, staging.id, 'no backup: the source becomes the parent');
      assert.equal(await env.neon.query(twin.id, "SELECT to_regclass('fresh') IS NOT NULL"), 't\n');

      const preview = await create({ name: 'preview-under-twin', parent_id: twin.id });
      const staging2 = await create({ name: 'staging-2' });
      const refused = await restore(twin.id, { source_branch_id: staging2.id });
      assert.equal(refused.status, 400, 'a branch with children needs preserve_under_name');
      const kept = await restore(twin.id, { source_branch_id: staging2.id, preserve_under_name: 'twin_old_1' });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      const backup = env.neon.branches().find((b) => b.name === 'twin_old_1');
      assert.equal(backup.parent_id, staging.id, "the backup keeps the twin's old parent");
      assert.equal((await get(preview.id)).parent_id, backup.id, 'children move to the backup');
      assert.equal((await get(twin.id)).parent_id, restoreParent === 'backup' ? backup.id : staging2.id);
      const del = await env.api('DELETE', env.project(`/branches/${backup.id}`));
      assert.equal(del.status, 422, 'a backup with children cannot be deleted');
      assert.match(del.body.message, new RegExp(preview.id));
    });

    test('expiration: 30 days at most, never with children, no children from an expiring branch', async () => {
      assert.equal((await env.api('POST', env.project('/branches'), { branch: { name: 'too-far', expires_at: inDays(31) } })).status, 400);
      const expiring = await create({ name: 'expiring', expires_at: inDays(29) });
      const child = await env.api('POST', env.project('/branches'), { branch: { name: 'child-of-expiring', parent_id: expiring.id } });
      assert.equal(child.status, 400);
      assert.match(child.body.message, /expiring/);
      const twin = env.neon.branches().find((b) => b.name === 'twin');
      const parent = env.neon.branches().find((b) => b.name === 'twin_old_1'); // has the preview below it
      const onParent = await env.api('PATCH', env.project(`/branches/${parent.id}`), { branch: { expires_at: inDays(1) } });
      assert.equal(onParent.status, 400, 'a branch with children cannot expire');
      // A restore that would make the target a child of an expiring source is refused too.
      const r = await restore(twin.id, { source_branch_id: expiring.id, preserve_under_name: 'twin_old_2' });
      if (restoreParent === 'source') assert.equal(r.status, 400, JSON.stringify(r.body));
      else assert.equal(r.status, 200, 'the backup becomes the parent, not the expiring source');
    });
  });
}

describe('neon emulator: operations and limits', () => {
  let env;
  before(async () => { env = await startEnv({ operationMs: 150, computeStartMs: 150, branchLimit: 4 }); });
  after(async () => { if (env) await env.stop(); });

  test('one running operation locks the whole project (423), not just its branch', async () => {
    const a = await env.api('POST', env.project('/branches'), { branch: { name: 'a' } });
    assert.equal(a.status, 201);
    const b = await env.api('POST', env.project('/branches'), { branch: { name: 'b' } });
    assert.equal(b.status, 423);
    assert.equal(b.body.message, 'project already has running operations, scheduling of new ones is prohibited');
    await env.waitForOperations(a.body.operations);
  });

  test('a failed operation is not terminal: failures_count and retry_at, then it runs again and finishes', async () => {
    env.neon.failNextOperation({ action: 'create_timeline', failedMs: 300 });
    const r = await env.api('POST', env.project('/branches'), { branch: { name: 'flaky' } });
    assert.equal(r.status, 201);
    const op = r.body.operations[0];
    const seen = new Set();
    let last;
    for (let i = 0; i < 100 && (!last || last.status !== 'finished'); i++) {
      last = (await env.api('GET', env.project(`/operations/${op.id}`))).body.operation;
      seen.add(last.status);
      if (last.status === 'failed') { assert.equal(last.failures_count, 1); assert.ok(last.retry_at); }
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.ok(seen.has('failed'), [...seen].join(','));
    assert.equal(last.status, 'finished');
    assert.equal(last.failures_count, 1);
    assert.deepEqual(env.neon.validationErrors, []);
  });

  test("the plan's branch limit: 422 BRANCHES_LIMIT_EXCEEDED", async () => {
    assert.equal(env.neon.branches().length, 3);
    const fourth = await env.api('POST', env.project('/branches'), { branch: { name: 'fourth' } });
    assert.equal(fourth.status, 201);
    await env.waitForOperations(fourth.body.operations);
    const fifth = await env.api('POST', env.project('/branches'), { branch: { name: 'fifth' } });
    assert.equal(fifth.status, 422);
    assert.deepEqual(fifth.body, { code: 'BRANCHES_LIMIT_EXCEEDED', message: 'branches limit of 4 exceeded' });
    const project = await env.api('GET', env.project(''));
    assert.equal(project.body.project.owner.branches_limit, 4);
  });
});

describe('neon emulator: point in time (history kept at checkpoints)', () => {
  let env;
  before(async () => { env = await startEnv({ operationMs: 40, computeStartMs: 40 }); });
  after(async () => { if (env) await env.stop(); });
  const secondAfter = (ms) => new Date(Math.ceil((ms + 1) / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const waitPast = async (iso) => { while (Date.now() < Date.parse(iso) + 100) await new Promise((r) => setTimeout(r, 50)); };

  test('parent_timestamp / parent_lsn / source_timestamp give the state at that point; bad points are 400', async () => {
    const main = env.neon.defaultBranchId;
    await env.neon.query(main, 'CREATE TABLE pit (id int); INSERT INTO pit VALUES (1)');
    const cp = await env.neon.checkpoint(main);
    const at = secondAfter(cp.at);
    await waitPast(at);
    await env.neon.query(main, 'INSERT INTO pit VALUES (2)');
    const rows = async (id) => (await env.neon.query(id, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM pit')).trim();

    const byTime = await env.api('POST', env.project('/branches'), { branch: { name: 'at-time', parent_timestamp: at } });
    assert.equal(byTime.status, 201, JSON.stringify(byTime.body));
    await env.waitForOperations(byTime.body.operations);
    assert.equal(await rows(byTime.body.branch.id), '1');
    assert.equal(byTime.body.branch.parent_timestamp, at);

    const byLsn = await env.api('POST', env.project('/branches'), { branch: { name: 'at-lsn', parent_lsn: cp.lsn } });
    assert.equal(byLsn.status, 201, JSON.stringify(byLsn.body));
    await env.waitForOperations(byLsn.body.operations);
    assert.equal(await rows(byLsn.body.branch.id), '1');

    const head = await env.api('POST', env.project('/branches'), { branch: { name: 'at-head' } });
    await env.waitForOperations(head.body.operations);
    assert.equal(await rows(head.body.branch.id), '1,2');
    const reset = await env.api('POST', env.project(`/branches/${head.body.branch.id}/restore`), { source_branch_id: main, source_timestamp: at });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await env.waitForOperations(reset.body.operations);
    assert.equal(await rows(head.body.branch.id), '1', 'restored to the point in time');

    for (const [spec, why] of [
      [{ parent_timestamp: at, parent_lsn: cp.lsn }, /either an LSN or a timestamp/],
      [{ parent_timestamp: '2099-01-01T00:00:00Z' }, /in the future/],
      [{ parent_timestamp: '2001-01-01T00:00:00Z' }, /before the branch was created/],
      [{ parent_lsn: 'nope' }, /not an LSN/],
    ]) {
      const r = await env.api('POST', env.project('/branches'), { branch: { name: `bad-${Math.random()}`.slice(0, 20), ...spec } });
      assert.equal(r.status, 400, JSON.stringify(spec));
      assert.match(r.body.message, why);
    }
  });
});

describe('neon emulator: Neon Auth and the Data API', () => {
  let env;
  before(async () => { env = await startEnv({ operationMs: 30, computeStartMs: 30 }); });
  after(async () => { if (env) await env.stop(); });

  test('a data branch of a parent with Neon Auth has its own; the Data API is per branch and database; 404 where absent', async () => {
    const main = env.neon.defaultBranchId;
    assert.equal((await env.api('GET', env.project(`/branches/${main}/auth`))).status, 404);
    const enabled = await env.api('POST', env.project(`/branches/${main}/auth`), { auth_provider: 'better_auth' });
    assert.equal(enabled.status, 201, JSON.stringify(enabled.body));
    assert.equal((await env.api('POST', env.project(`/branches/${main}/auth`), { auth_provider: 'better_auth' })).status, 409);
    assert.equal((await env.api('POST', env.project(`/branches/${main}/data-api/neondb`), {})).status, 201);
    const child = await env.api('POST', env.project('/branches'), { branch: { name: 'child' }, endpoints: [{ type: 'read_write' }] });
    await env.waitForOperations(child.body.operations);
    const id = child.body.branch.id;
    const auth = await env.api('GET', env.project(`/branches/${id}/auth`));
    assert.equal(auth.status, 200, 'Neon Auth branches with the data');
    assert.equal(auth.body.branch_id, id);
    assert.ok(auth.body.base_url.startsWith(`https://${child.body.endpoints[0].id}.neonauth.`), auth.body.base_url);
    assert.notEqual(auth.body.base_url, enabled.body.base_url);
    assert.equal((await env.api('GET', env.project(`/branches/${id}/data-api/neondb`))).status, 404, 'no Data API inherited');
    assert.equal((await env.api('GET', env.project(`/branches/${main}/data-api/neondb`))).status, 200);
    assert.equal((await env.api('GET', env.project(`/branches/${main}/data-api/nope`))).status, 404);
  });
});
