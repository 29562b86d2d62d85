'use strict';
// Switching from squawk (docs/lint-rules.md#switching-from-squawk), end to end: the built
// action (dist/) run by the runner simulation in mode: migrate against a real Postgres,
// on a repository that keeps its squawk config and comments.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres');
const h = require('./migrate-helpers');

let pg;
const cleanups = [];
before(async () => { pg = await startPostgres(); });
after(async () => {
  for (const c of cleanups) c();
  if (pg) await pg.stop();
});
function track(ws) { cleanups.push(() => ws.cleanup()); return ws; }

const findings = (r, rule) => r.annotations.filter((a) => a.properties.title === rule);

describe('switching from squawk', () => {
  it('.squawk.toml excluded_rules and squawk-ignore comments suppress findings; an unused squawk-ignore is reported like ours', async () => {
    const db = await h.newDatabase(pg);
    await db.psql('CREATE TABLE accounts (id int PRIMARY KEY, legacy text); CREATE TABLE old_stuff (id int);');
    const { ws, event } = await h.mergedPr({
      '.squawk.toml': '# squawk config, unchanged\nexcluded_rules = [\n  "ban-drop-column",\n]\n[upload_to_github]\nfail_on_violations = true\n',
    }, {
      'migrations/001_drop_column.sql': 'ALTER TABLE accounts DROP COLUMN legacy;\n',
      'migrations/002_drop_table.sql': '-- squawk-ignore ban-drop-table -- agreed in review\nDROP TABLE old_stuff;\n',
      'migrations/003_unused_squawk.sql': '-- squawk-ignore renaming-table\nALTER TABLE accounts ADD COLUMN nick text;\n',
      'migrations/004_unused_ours.sql': '-- neon-gitops-ignore: renaming-table\nALTER TABLE accounts ADD COLUMN bio text;\n',
    });
    track(ws);
    const r = await h.migrate({ ws, db, event });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.equal(JSON.parse(r.outputs.applied).length, 4, h.describeRun(r));
    assert.deepEqual(findings(r, 'ban-drop-column'), [], h.describeRun(r));
    assert.deepEqual(findings(r, 'ban-drop-table'), [], h.describeRun(r));
    const unused = findings(r, 'unused-ignore');
    assert.deepEqual(unused.map((a) => [a.command, a.properties.file, a.properties.line]), [
      ['warning', 'migrations/003_unused_squawk.sql', '1'],
      ['warning', 'migrations/004_unused_ours.sql', '1'],
    ], h.describeRun(r));
    assert.equal(unused[0].message, unused[1].message);
    assert.match(unused[0].message, /ignore for `renaming-table` matched no finding/);
    assert.match(r.stdout, /^Lint config: \.squawk\.toml \(1 excluded rules\) /m, h.describeRun(r));
  });

  it('lint-rules > lint-config file > .squawk.toml; assume_in_transaction makes CONCURRENTLY an error', async () => {
    const db = await h.newDatabase(pg);
    await db.psql('CREATE TABLE accounts (id int PRIMARY KEY, legacy text, email text);');
    const { ws, event } = await h.mergedPr({
      '.squawk.toml': 'excluded_rules = ["ban-drop-column", "require-concurrent-index-creation"]\nassume_in_transaction = true\n',
      'db/lint.conf': '# ours\nban-drop-column=error\n',
    }, {
      'migrations/001_drop.sql': 'ALTER TABLE accounts DROP COLUMN legacy;\n',
      'migrations/002_idx.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email ON accounts (email);\n',
    });
    track(ws);
    // The file turns ban-drop-column back on over .squawk.toml; the input turns it to a
    // warning over the file.
    const r = await h.migrate({ ws, db, event, inputs: { 'lint-config': 'db/lint.conf', 'lint-rules': 'ban-drop-column=warning' } });
    assert.equal(r.code, 1, h.describeRun(r));
    assert.deepEqual(findings(r, 'ban-drop-column').map((a) => a.command), ['warning'], h.describeRun(r));
    assert.deepEqual(findings(r, 'ban-concurrent-index-in-transaction').map((a) => [a.command, a.properties.file]), [['error', 'migrations/002_idx.sql']], h.describeRun(r));
    assert.match(r.stdout, /^Lint config: \.squawk\.toml \(2 excluded rules, assume_in_transaction\), lint-config file db\/lint\.conf, lint-rules input /m);
    assert.equal(await h.tracked(db), null);
  });

  it('a lint-config that does not exist is an error naming it', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, { 'migrations/001.sql': 'CREATE TABLE t (id int);\n' });
    track(ws);
    const r = await h.migrate({ ws, db, event, inputs: { 'lint-config': 'db/nope.conf' } });
    assert.equal(r.code, 1, h.describeRun(r));
    assert.ok(h.errorAnnotations(r).some((a) => /`lint-config`/.test(a.message) && /db\/nope\.conf/.test(a.message)), h.describeRun(r));
    assert.equal(await h.tracked(db), null);
  });
});
