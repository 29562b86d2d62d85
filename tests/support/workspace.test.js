'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { makeWorkspace } = require('./workspace');

test('builds a real repo with commits, removals and deterministic shas', async (t) => {
  const spec = {
    files: { 'migrations/001_init.sql': 'CREATE TABLE t (id int);\n' },
    commits: [{ files: { 'migrations/002_add.sql': 'ALTER TABLE t ADD c text;\n' }, message: 'Add 002' }],
  };
  const ws = await makeWorkspace(spec);
  const again = await makeWorkspace(spec);
  t.after(() => { ws.cleanup(); again.cleanup(); });
  assert.equal(await ws.head(), await again.head(), 'same script, same shas');
  assert.equal(await ws.git('log', '--format=%s'), 'Add 002\nInitial commit');
  assert.equal(await ws.git('config', 'user.name'), 'Test Author');

  const before = await ws.head();
  const after = await ws.remove(['migrations/001_init.sql']);
  assert.notEqual(after, before);
  assert.equal(fs.existsSync(path.join(ws.path, 'migrations/001_init.sql')), false);
  assert.deepEqual(await ws.diff(before, after), [{ status: 'D', files: ['migrations/001_init.sql'] }]);
  const renamed = await ws.rename('migrations/002_add.sql', 'migrations/003_add.sql');
  assert.deepEqual(await ws.diff(after, renamed), [{ status: 'R100', files: ['migrations/002_add.sql', 'migrations/003_add.sql'] }]);
  ws.cleanup();
  assert.equal(fs.existsSync(ws.path), false);
});

test('PR merge commit with base/head parents, and a depth-1 checkout of it', async (t) => {
  const ws = await makeWorkspace({ files: { 'migrations/001.sql': 'select 1;\n' } });
  t.after(() => ws.cleanup());
  await ws.branch('feature/add-orders');
  const headSha = await ws.commit({ 'migrations/002_orders.sql': 'create table orders(id int);\n' }, 'Add orders');
  await ws.checkout('main');
  const baseSha = await ws.commit({ 'README.md': 'hello\n' }, 'Docs on main');

  const pr = await ws.merge('feature/add-orders', { into: 'main', pr: 12 });
  assert.equal(pr.baseSha, baseSha);
  assert.equal(pr.headSha, headSha);
  assert.equal(await ws.git('rev-list', '--parents', '-n', '1', pr.sha), `${pr.sha} ${baseSha} ${headSha}`);
  assert.equal(await ws.head('main'), baseSha, 'a PR test merge does not move the base');
  assert.equal(await ws.head('refs/pull/12/merge'), pr.sha);

  const checkout = await ws.shallowClone(1, { ref: 'refs/pull/12/merge' });
  assert.equal(await checkout.head(), pr.sha);
  assert.equal(await checkout.isShallow(), true);
  assert.equal(await checkout.git('rev-list', '--count', 'HEAD'), '1', 'fetch-depth 1: one commit of history');
  assert.ok(fs.existsSync(path.join(checkout.path, 'migrations/002_orders.sql')));

  const branchClone = await ws.shallowClone(1, { ref: 'main' });
  assert.equal(await branchClone.currentBranch(), 'main');
  assert.equal(await branchClone.head(), baseSha);

  const full = await ws.shallowClone(0, { ref: 'main' });
  assert.equal(await full.isShallow(), false);

  // A real merge moves main and leaves us on it.
  const merged = await ws.merge('feature/add-orders', { into: 'main' });
  assert.equal(await ws.head('main'), merged.sha);
  assert.equal(await ws.currentBranch(), 'main');
});
