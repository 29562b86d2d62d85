'use strict';
// Months of a project's life in a minute, under both readings of Neon's restore
// (restoreParent: 'backup', as documented; 'source', where the docs are silent): eight
// nightly syncs into `twin`; between them three pull requests whose previews have
// `parent: twin` (opened, pushed, one closed), a migrate run rehearsed on the twin, one
// Neon operation that fails and is retried, and one 502 answer to the restore. At the end
// the branch tree is bounded (it does not grow with the number of syncs), nothing is
// orphaned, the twin kept its connection string, and every open preview's last reset saw
// the last sync's data and diffs against the twin.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { runAction, logText } = require('../support/runner');
const { scheduleEvent } = require('../support/events');
const { runPreview, neonInputs } = require('../support/action-runs');
const { makeWorkspace } = require('../support/workspace');
const h = require('./migrate-helpers');

const SYNCS = 8;
const KEEP = 1;

for (const restoreParent of ['backup', 'source']) {
  describe(`a twin's long life (restoreParent: ${restoreParent})`, () => {
    let prodPg;
    let neonPg;
    let neon;
    let gh;
    let prod;
    const workspaces = [];
    const summaries = [];

    before(async () => {
      prodPg = await startPostgres();
      neonPg = await startPostgres();
      neon = await startNeonEmulator({ pg: neonPg, operationMs: 40, computeStartMs: 60, restoreParent });
      gh = await startGitHubEmulator({ repo: 'acme/shop' });
      prod = await h.newDatabase(prodPg, 'prod');
      await prod.psql('CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL); INSERT INTO users VALUES (1, \'a@example.com\'); CREATE TABLE marks (n int PRIMARY KEY)');
    });
    after(async () => {
      for (const ws of workspaces) ws.cleanup();
      await gh?.stop();
      await neon?.stop();
      await neonPg?.stop();
      await prodPg?.stop();
    });

    const names = () => neon.branches().map((b) => b.name).sort();
    const twinOf = () => neon.branches().find((b) => b.name === 'twin');

    async function sync(n) {
      await prod.psql(`INSERT INTO marks VALUES (${n})`);
      const r = await runAction({
        inputs: { mode: 'sync', 'source-url': prod.url, ...neonInputs(neon), 'twin-branch': 'twin', 'keep-backups': String(KEEP) },
        eventName: 'schedule',
        event: scheduleEvent(),
        timeoutMs: 240000,
      });
      assert.equal(r.code, 0, `sync ${n}\n${logText(r)}`);
      summaries.push(r.summary);
      assert.equal((await neon.query(twinOf().id, 'SELECT max(n) FROM marks')).trim(), String(n));
      return r;
    }

    const prs = {};
    async function preview(number, action) {
      let pr = prs[number];
      if (!pr) {
        const ws = await makeWorkspace({ files: { 'README.md': '# shop\n', [`migrations/${number}_a.sql`]: `CREATE TABLE t${number}_a (id int);\n` } });
        workspaces.push(ws);
        pr = prs[number] = { ws, files: [`migrations/${number}_a.sql`], pushes: 0 };
      } else if (action === 'synchronize') {
        pr.pushes += 1;
        const file = `migrations/${number}_p${pr.pushes}.sql`;
        await pr.ws.commit({ [file]: `CREATE TABLE t${number}_p${pr.pushes} (id int);\n` }, 'more');
        pr.files.push(file);
      }
      gh.setPullFiles(number, pr.files.map((filename) => ({ filename, status: 'added' })));
      const r = await runPreview({
        neon, gh, pgBinDir: neonPg.clientBinDir, workspace: pr.ws.path,
        pr: { action, number, headRef: `feature/${number}`, headSha: await pr.ws.head() },
        inputs: { parent: 'twin' },
      });
      assert.equal(r.code, 0, `PR ${number} ${action}\n${logText(r)}`);
      return r;
    }
    const previewBranch = (number) => neon.branches().find((b) => b.name === `preview/pr-${number}-feature/${number}`);

    it('eight syncs with previews, a rehearsed migration and faults in between', async () => {
      await sync(1);
      const twinId = twinOf().id;
      const twinUrl = neon.connectionUri(twinId);

      await preview(101, 'opened');
      await sync(2);
      await preview(102, 'opened');
      await preview(101, 'synchronize');
      assert.equal((await neon.query(previewBranch(101).id, 'SELECT max(n) FROM marks')).trim(), '2', 'a push resets onto the twin as it is now');

      neon.failNextOperation({ action: 'create_timeline', failedMs: 400 });
      const withRetry = await sync(3);
      assert.match(logText(withRetry), /failed.*is being retried by Neon/);

      // A merged migration, rehearsed on a throwaway branch of the twin, then applied.
      const { ws, event } = await h.mergedPr({}, { 'migrations/001_audit.sql': 'CREATE TABLE audit (id int);\n' }, { number: 90 });
      workspaces.push(ws);
      const m = await h.migrate({ ws, db: prod, event, inputs: { 'rehearse-on-branch': 'twin', ...neonInputs(neon) } });
      assert.equal(m.code, 0, h.describeRun(m));

      neon.faults.add({ method: 'POST', path: /\/restore$/, status: 502 });
      const after502 = await sync(4);
      assert.match(logText(after502), /answer to the restore was lost/);
      assert.equal((await neon.query(twinOf().id, "SELECT to_regclass('audit') IS NOT NULL")).trim(), 't');

      await preview(101, 'closed');
      await sync(5);
      await sync(6);
      await preview(103, 'opened');
      await preview(102, 'synchronize');
      await sync(7);
      await sync(SYNCS);
      // The open previews' last reset comes after the last sync.
      const last102 = await preview(102, 'synchronize');
      await preview(103, 'synchronize');

      // The twin is the same branch with the same connection string.
      assert.equal(twinOf().id, twinId);
      assert.equal(neon.connectionUri(twinId), twinUrl);

      // Every open preview saw the last sync, and diffs against the twin.
      for (const n of [102, 103]) {
        assert.equal((await neon.query(previewBranch(n).id, 'SELECT max(n) FROM marks')).trim(), String(SYNCS), `PR ${n}`);
        const [comment] = gh.comments(n);
        assert.match(comment.body, /twin/, `PR ${n}'s comment names the twin`);
        // The schema diff's base is the twin itself, not the copy the preview hangs below.
        const diffs = neon.requests.filter((q) => q.operationId === 'getProjectBranchSchemaComparison' && q.path.includes(`/branches/${previewBranch(n).id}/`));
        assert.ok(diffs.length > 0, `PR ${n}: no schema diff asked for`);
        assert.equal(diffs.at(-1).query.base_branch_id, twinId, JSON.stringify(diffs.at(-1)));
      }
      assert.match(logText(last102), /Resetting preview\/pr-102-feature\/102 to the current state of twin/);

      // Bounded: main, twin, this sync's copy, KEEP earlier copies, the open previews, and
      // what the last sync's summary names as kept by Neon's rules.
      const lastSummary = summaries[summaries.length - 1];
      const kept = [...lastSummary.matchAll(/Kept `([^`]+)` beyond `keep-backups`: branches hang below it \(([^)]+)\), and Neon cannot delete a branch that has children/g)];
      const pinned = kept.map((k) => k[1]).filter((n) => names().includes(n));
      const copies = names().filter((n) => /^twin_(sync|old)_\d{8}T\d{6}Z$/.test(n) && !pinned.includes(n));
      assert.ok(copies.length <= 1 + KEEP, `copies: ${copies.join(', ')}\n${lastSummary}`);
      const expected = ['main', 'twin', 'preview/pr-102-feature/102', 'preview/pr-103-feature/103'];
      const others = names().filter((n) => !expected.includes(n) && !copies.includes(n) && !pinned.includes(n));
      assert.deepEqual(others, [], `unexpected branches; summary:\n${lastSummary}`);
      for (const n of expected) assert.ok(names().includes(n), n);
      assert.ok(names().length <= expected.length + 1 + KEEP + pinned.length);
      assert.ok(pinned.length <= 2, `pinned: ${pinned.join(', ')}`);
      if (process.env.LONG_LIFE_REPORT) console.log(`restoreParent ${restoreParent}: ${names().length} branches after ${SYNCS} syncs: ${names().join(', ')}; pinned: ${pinned.join(', ') || 'none'}`);

      // No orphans: every physical database belongs to a branch, and the reverse.
      const physical = (await neonPg.psql("SELECT datname FROM pg_database WHERE datname LIKE 'neondb\\_\\_%' ORDER BY 1")).trim().split('\n').filter(Boolean).sort();
      assert.deepEqual(physical, neon.branches().map((b) => neon.branchDatabase(b.id)).sort());
      assert.deepEqual(neon.validationErrors, []);
    });
  });
}

describe('the plan\'s branch limit', () => {
  let pg;
  let neon;
  before(async () => {
    pg = await startPostgres();
    neon = await startNeonEmulator({ pg, operationMs: 40, computeStartMs: 60, branchLimit: 3 });
  });
  after(async () => {
    await neon?.stop();
    await pg?.stop();
  });

  it('a sync that needs one branch too many: a clear error naming the limit and what holds the branches; the twin is unchanged', async () => {
    const prod = await h.newDatabase(pg, 'prod');
    await prod.psql('CREATE TABLE marks (n int); INSERT INTO marks VALUES (1)');
    const run = () => runAction({
      inputs: { mode: 'sync', 'source-url': prod.url, ...neonInputs(neon), 'twin-branch': 'twin' },
      eventName: 'schedule',
      event: scheduleEvent(),
      timeoutMs: 240000,
    });
    const first = await run();
    assert.equal(first.code, 0, logText(first));
    const before = neon.branches().map((b) => b.name).sort();
    await prod.psql('INSERT INTO marks VALUES (2)');
    const second = await run();
    assert.equal(second.code, 1, logText(second));
    const error = second.errors.join('\n');
    assert.match(error, /branch limit is reached \(branches limit of 3 exceeded\)/);
    for (const name of before) assert.ok(error.includes(name), `${name} named in: ${error}`);
    assert.deepEqual(neon.branches().map((b) => b.name).sort(), before);
    const twin = neon.branches().find((b) => b.name === 'twin');
    assert.equal((await neon.query(twin.id, 'SELECT max(n) FROM marks')).trim(), '1');
  });
});
