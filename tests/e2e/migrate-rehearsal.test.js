'use strict';
// mode: migrate's rehearsal on a throwaway Neon branch (the Neon emulator over the real
// Postgres): a migration that fails on the twin's data stops the run before production
// is touched, and the rehearsal branch is deleted either way.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../support/postgres');
const { neonInputs } = require('../support/action-runs');
const { startNeonEmulator } = require('../emulators/neon');
const h = require('./migrate-helpers');

let pg;
let neon;
const cleanups = [];
before(async () => {
  pg = await startPostgres();
  neon = await startNeonEmulator({ pg, operationMs: 100, computeStartMs: 100 });
});
after(async () => {
  for (const c of cleanups) c();
  if (neon) await neon.stop();
  if (pg) await pg.stop();
});

const TABLE = 'CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, email text);';

function inputs() {
  return { 'rehearse-on-branch': 'main', ...neonInputs(neon) };
}

function rehearsalBranches() {
  return neon.branches().filter((b) => b.name.startsWith('neon-gitops-rehearsal-'));
}

describe('mode: migrate rehearsal', () => {
  it('a migration that fails on the twin data stops the run; production is untouched; the branch is deleted', async () => {
    await neon.query(neon.defaultBranchId, `${TABLE} DELETE FROM customers; INSERT INTO customers VALUES (1, 'a@x.io'), (2, 'a@x.io');`);
    const db = await h.newDatabase(pg);
    await db.psql(`${TABLE} INSERT INTO customers VALUES (1, 'a@x.io'), (2, 'b@x.io');`);
    const before = await db.dump();
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_unique_email.sql': 'ALTER TABLE customers\n  ADD CONSTRAINT customers_email_key UNIQUE (email);\n',
    });
    cleanups.push(() => ws.cleanup());
    const r = await h.migrate({ ws, db, event, inputs: inputs() });
    assert.equal(r.code, 1, h.describeRun(r));
    const ann = h.errorAnnotations(r).find((a) => a.properties.file === 'migrations/001_unique_email.sql');
    assert.ok(ann, h.describeRun(r));
    assert.match(ann.properties.title, /rehearsal branch of main \(production untouched\)/);
    assert.match(ann.message, /could not create unique index "customers_email_key"/);
    assert.equal(ann.properties.line, '2');
    assert.equal(await db.dump(), before, 'production schema unchanged');
    assert.equal(await h.tracked(db), null, 'production tracking table never created');
    assert.deepEqual(rehearsalBranches(), [], 'rehearsal branch deleted');
    assert.ok(neon.requests.some((q) => q.method === 'DELETE' && /\/branches\/br-/.test(q.path)), 'the branch was deleted through the API');
    assert.match(r.summary, /rehearsal failed, production untouched/);
    assert.deepEqual(neon.validationErrors, []);
  });

  it('a rehearsal that passes is followed by production, and its branch is deleted too', async () => {
    await neon.query(neon.defaultBranchId, `${TABLE} DELETE FROM customers; INSERT INTO customers VALUES (1, 'a@x.io');`);
    const db = await h.newDatabase(pg);
    await db.psql(`${TABLE} INSERT INTO customers VALUES (1, 'a@x.io');`);
    const { ws, event } = await h.mergedPr({}, { 'migrations/001_phone.sql': 'ALTER TABLE customers ADD COLUMN phone text;\n' });
    cleanups.push(() => ws.cleanup());
    const r = await h.migrate({ ws, db, event, inputs: inputs() });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.deepEqual(h.outputs(r).applied, ['001_phone.sql']);
    assert.match(r.summary, /Rehearsed first on a throwaway branch of `main`: all 1 file\(s\) applied there/);
    assert.deepEqual(rehearsalBranches(), []);
    // The twin itself is untouched: the rehearsal ran on a child branch.
    const n = await neon.query(neon.defaultBranchId, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'phone'");
    assert.equal(String(n).trim(), '0');
  });
});
