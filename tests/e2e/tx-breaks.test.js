'use strict';
// dbmate / Diesel wrap each file in a transaction; `COMMIT; CREATE INDEX CONCURRENTLY
// …; BEGIN;` leaves it on purpose to build the index concurrently. The built-in runner
// must run such a file as the tool does, against real Postgres, and the lint must not
// call it transaction nesting.

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

const DBMATE = [
  '-- migrate:up',
  'CREATE TABLE orders (id int PRIMARY KEY, email text);',
  'COMMIT;',
  'CREATE INDEX CONCURRENTLY orders_email_idx ON orders (email);',
  'BEGIN;',
  "INSERT INTO orders VALUES (1, 'ada@example.com');",
  '',
  '-- migrate:down',
  'DROP TABLE orders;',
  '',
].join('\n');

describe('leaving the tool\'s transaction on purpose', () => {
  it('a dbmate file with COMMIT; CREATE INDEX CONCURRENTLY; BEGIN; applies, its index valid, and lints clean', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({ 'db/migrations/.gitkeep': '' }, { 'db/migrations/20240101000000_orders.sql': DBMATE });
    cleanups.push(() => ws.cleanup());
    const r = await h.migrate({ ws, db, event, inputs: { 'migrations-path': 'db/migrations/*.sql' } });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.deepEqual(h.outputs(r).applied, ['20240101000000_orders.sql'], h.describeRun(r));
    assert.equal(await db.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_email_idx'::regclass"), 't');
    assert.equal(await db.psql('SELECT count(*) FROM orders'), '1');
    assert.deepEqual((await h.tracked(db)).map((t) => t[1]), ['applied']);
    // Planned as what it is, and none of the nesting findings.
    assert.match(r.summary, /left for what cannot run in one/, r.summary);
    for (const rule of ['transaction-nesting', 'ban-concurrent-index-in-transaction', 'ban-uncommitted-transaction']) {
      assert.ok(!r.annotations.some((a) => a.properties.title === rule), `${rule}: ${JSON.stringify(r.annotations)}`);
      assert.doesNotMatch(r.summary, new RegExp(rule));
    }
    // Nothing left open: the rerun applies nothing.
    const again = await h.migrate({ ws, db, event, inputs: { 'migrations-path': 'db/migrations/*.sql' } });
    assert.equal(again.code, 0, h.describeRun(again));
    assert.deepEqual(h.outputs(again).applied, []);
  });
});
