'use strict';
// mode: migrate end to end: the built action (dist/) run by the runner simulation against
// a real Postgres playing production. One test per acceptance item of issue 5 (the
// rehearsal and the corpus replay have their own files).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { startPostgres } = require('../support/postgres');
const h = require('./migrate-helpers');

const SEED_FILE = 'migrations/2024/08/08-01-2024-add-flag-to-users.sql';
const SEED_SQL = 'BEGIN;\n\nALTER TABLE users\nADD COLUMN flag VARCHAR(255);\n\nCOMMIT;\n';
const USERS = `CREATE TABLE users (id serial PRIMARY KEY, first_name varchar(255) NOT NULL, last_name varchar(255) NOT NULL,
  email varchar(255) NOT NULL, country varchar(255) NOT NULL);
INSERT INTO users (first_name, last_name, email, country) VALUES ('Ada', 'Lovelace', 'ada@example.com', 'UK');`;

let pg;
const cleanups = [];
before(async () => { pg = await startPostgres(); });
const q = async (sql) => (await pg.psql(sql)).trim();
after(async () => {
  for (const c of cleanups) c();
  if (pg) await pg.stop();
});
function track(ws) { cleanups.push(() => ws.cleanup()); return ws; }

async function columns(db, table) {
  return (await db.psql(`SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '${table}'`)).split(',');
}

describe('mode: migrate', () => {
  it('applies the seed layout once on a merged pull_request, and nothing on the second run', async () => {
    const db = await h.newDatabase(pg);
    await db.psql(USERS);
    const { ws, event } = await h.mergedPr({ 'migrations/.gitkeep': '' }, { [SEED_FILE]: SEED_SQL });
    track(ws);

    const r1 = await h.migrate({ ws, db, event });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.deepEqual(h.outputs(r1), { applied: ['2024/08/08-01-2024-add-flag-to-users.sql'], pending_before: '1', skipped: '0' });
    assert.ok((await columns(db, 'users')).includes('flag'));
    assert.deepEqual(await h.tracked(db), [['2024/08/08-01-2024-add-flag-to-users.sql', 'applied']]);
    const row = await db.psql("SELECT checksum || ' ' || applied_by || ' ' || run_url FROM neon_gitops_migrations");
    assert.match(row, /^[0-9a-f]{64} [0-9a-f]{40} https:\/\/github.com\/acme\/shop\/actions\/runs\/9876543210$/);
    assert.match(r1.summary, /\| 1 \| `2024\/08\/08-01-2024-add-flag-to-users.sql` \| yes \| as-is \(own transaction\) \| \d+ \| ✅ applied \|/);
    // The password never reaches psql's argv nor the log.
    const shown = (r1.stdout + r1.stderr).split('\n').filter((l) => !l.startsWith('::add-mask::'));
    assert.ok(!shown.some((l) => l.includes(pg.password)), 'password shown in the log');

    const r2 = await h.migrate({ ws, db, event });
    assert.equal(r2.code, 0, h.describeRun(r2));
    assert.deepEqual(h.outputs(r2), { applied: [], pending_before: '0', skipped: '1' });
    assert.match(r2.summary, /Nothing to apply/);
    assert.equal((await h.tracked(db)).length, 1);
  });

  it('golang-migrate with unpadded versions: 1, 2, 10 in integer order, down files never run, a rerun applies nothing', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/1_init.up.sql': 'CREATE TABLE accounts (id int PRIMARY KEY);\n',
      'migrations/1_init.down.sql': 'DROP TABLE accounts;\n',
      'migrations/2_email.up.sql': 'ALTER TABLE accounts ADD COLUMN email text;\n',
      'migrations/2_email.down.sql': 'ALTER TABLE accounts DROP COLUMN email;\n',
      'migrations/10_idx.up.sql': 'CREATE INDEX accounts_email_idx ON accounts (email);\n',
      'migrations/10_idx.down.sql': 'DROP INDEX accounts_email_idx;\n',
    });
    track(ws);
    const r = await h.migrate({ ws, db, event });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.deepEqual(h.outputs(r).applied, ['1_init.up.sql', '2_email.up.sql', '10_idx.up.sql']);
    // The log shows each file as it is applied, in order, with its time.
    const progress = r.stdout.split('\n').filter((l) => /^applied \S+ in \d+\.\d s$/.test(l)).map((l) => l.split(' ')[1]);
    assert.deepEqual(progress, ['1_init.up.sql', '2_email.up.sql', '10_idx.up.sql'], h.describeRun(r));
    assert.ok(r.annotations.some((a) => a.command === 'notice' && /natural order.*`migrations\/1_init\.up\.sql` runs before `migrations\/10_idx\.up\.sql`/.test(a.message)), h.describeRun(r));
    assert.equal(await db.psql("SELECT to_regclass('accounts_email_idx') IS NOT NULL"), 't');
    const again = await h.migrate({ ws, db, event });
    assert.deepEqual(h.outputs(again).applied, []);
  });

  it('does nothing for a pull request closed without merging', async () => {
    const db = await h.newDatabase(pg);
    const { ws } = await h.mergedPr({}, { 'migrations/001.sql': 'CREATE TABLE t (id int);' });
    track(ws);
    const { pullRequestEvent } = require('../support/events');
    const r = await h.migrate({ ws, db, event: pullRequestEvent({ action: 'closed', merged: false }) });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.match(r.stdout, /nothing was applied/);
    assert.equal(await h.tracked(db), null);
  });

  it('failure in file 3 of 4: 1-2 applied and recorded, 3 rolled back with an annotation at its line; the fixed rerun applies 3-4 only', async () => {
    const db = await h.newDatabase(pg);
    const broken = '-- orders\nCREATE TABLE orders (id int PRIMARY KEY);\nALTER TABLE orders\n  ADD COLUMN total numeric,\n  ADD COLUMN user_id int REFERENCES nosuch_table (id);\n';
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n',
      'migrations/002_items.sql': 'CREATE TABLE items (id int PRIMARY KEY);\nINSERT INTO items VALUES (1);\n',
      'migrations/003_orders.sql': broken,
      'migrations/004_more.sql': 'CREATE TABLE more (id int);\n',
    });
    track(ws);
    const r1 = await h.migrate({ ws, db, event });
    assert.equal(r1.code, 1, h.describeRun(r1));
    assert.deepEqual(await h.tracked(db), [['001_users.sql', 'applied'], ['002_items.sql', 'applied']]);
    assert.equal(await db.psql("SELECT to_regclass('orders') IS NULL"), 't', 'file 3 left nothing behind');
    assert.deepEqual(h.outputs(r1).applied, ['001_users.sql', '002_items.sql']);
    const ann = h.errorAnnotations(r1).find((a) => a.properties.file === 'migrations/003_orders.sql');
    assert.ok(ann, h.describeRun(r1));
    assert.equal(ann.properties.line, '5');
    assert.match(ann.message, /relation "nosuch_table" does not exist/);
    assert.match(ann.message, /rolled back/);
    assert.match(r1.summary, /\| 3 \| `003_orders.sql` \| yes \| in a transaction \| – \| ❌ failed \|/);
    assert.match(r1.summary, /\| 4 \| `004_more.sql` \| yes \| in a transaction \| – \| ⏸ not run \|/);
    assert.match(r1.summary, /Next run:\*\* applies `003_orders.sql` and the 1 file\(s\) after it/);

    const fix = await h.push(ws, { 'migrations/003_orders.sql': broken.replace('REFERENCES nosuch_table (id)', 'REFERENCES users (id)') });
    const r2 = await h.migrate({ ws, db, ...fix });
    assert.equal(r2.code, 0, h.describeRun(r2));
    assert.deepEqual(h.outputs(r2), { applied: ['003_orders.sql', '004_more.sql'], pending_before: '2', skipped: '2' });
    assert.equal((await h.tracked(db)).length, 4);
  });

  it('a file sent as one query that fails without a position (relation exists) is pinned to its line by a statement-by-statement rerun', async () => {
    const db = await h.newDatabase(pg);
    await db.psql('CREATE TABLE legacy (id int)');
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1), (2);\nSELECT pg_sleep(0.05);\n',
      // The seed's own-transaction layout: BEGIN … COMMIT around three statements.
      'migrations/002_b.sql': 'BEGIN;\n\nCREATE TABLE b (id int);\n-- an old table, already there\nCREATE TABLE legacy (id int);\nCREATE TABLE c (id int);\n\nCOMMIT;\n',
    });
    track(ws);
    const r = await h.migrate({ ws, db, event });
    assert.equal(r.code, 1, h.describeRun(r));
    assert.match(r.stdout, /002_b\.sql: failed as one query .*relation "legacy" already exists.*running it again statement by statement/);
    const ann = h.errorAnnotations(r).find((a) => a.properties.file === 'migrations/002_b.sql');
    assert.ok(ann, h.describeRun(r));
    assert.equal(ann.properties.line, '5');
    assert.match(ann.message, /42P07: relation "legacy" already exists/);
    assert.deepEqual(await h.tracked(db), [['001_a.sql', 'applied']]);
    assert.equal(await db.psql("SELECT to_regclass('b') IS NULL AND to_regclass('c') IS NULL"), 't', 'file 2 left nothing behind');
    // The execution time of a file sent as one query, in a session that then failed, is
    // read back from the tracking table for the report.
    const ms = Number((r.summary.match(/\| 1 \| `001_a\.sql` \| yes \| in a transaction \| (\d+) \| ✅ applied \|/) || [])[1]);
    assert.ok(ms >= 50, r.summary);
  });

  it('a one-query file whose error has a position is annotated at that line without a rerun', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_a.sql': '-- two statements\nCREATE TABLE a (id int);\nINSERT INTO a\n  SELECT nosuch_column\n  FROM a;\n',
    });
    track(ws);
    const r = await h.migrate({ ws, db, event });
    assert.equal(r.code, 1, h.describeRun(r));
    assert.doesNotMatch(r.stdout, /running it again/);
    const ann = h.errorAnnotations(r).find((a) => a.properties.file === 'migrations/001_a.sql');
    assert.ok(ann, h.describeRun(r));
    assert.equal(ann.properties.line, '4');
    assert.equal(await db.psql("SELECT to_regclass('a') IS NULL"), 't');
  });

  it('edited-after-apply and out-of-order files stop the run; disappeared files warn', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/003_c.sql': 'CREATE TABLE c (id int);\n',
    });
    track(ws);
    assert.equal((await h.migrate({ ws, db, event })).code, 0);

    // Edited after apply: an error with both checksums, nothing applied.
    const edit = await h.push(ws, { 'migrations/001_a.sql': 'CREATE TABLE a (id bigint);\n', 'migrations/004_d.sql': 'CREATE TABLE d (id int);\n' });
    const r1 = await h.migrate({ ws, db, ...edit });
    assert.equal(r1.code, 1, h.describeRun(r1));
    const edited = h.errorAnnotations(r1).find((a) => a.properties.file === 'migrations/001_a.sql');
    assert.match(edited.message, /edited after it was applied.*checksum [0-9a-f]{64} but the file now has [0-9a-f]{64}/);
    assert.equal(await db.psql("SELECT to_regclass('d') IS NULL"), 't');
    await h.push(ws, { 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n', 'migrations/004_d.sql': null });

    // Out of order: 002 arrives after 003 was applied.
    const late = await h.push(ws, { 'migrations/002_b.sql': 'CREATE TABLE b (id int);\n' });
    const r2 = await h.migrate({ ws, db, ...late });
    assert.equal(r2.code, 1, h.describeRun(r2));
    assert.match(h.errorAnnotations(r2).find((a) => a.properties.file === 'migrations/002_b.sql').message, /sorts before migrations already applied/);
    assert.equal(await db.psql("SELECT to_regclass('b') IS NULL"), 't');
    const r3 = await h.migrate({ ws, db, ...late, inputs: { 'allow-out-of-order': 'true' } });
    assert.equal(r3.code, 0, h.describeRun(r3));
    assert.deepEqual(h.outputs(r3).applied, ['002_b.sql']);

    // Disappeared: a warning, the run succeeds.
    const gone = await h.removeFiles(ws, ['migrations/001_a.sql']);
    const r4 = await h.migrate({ ws, db, ...gone });
    assert.equal(r4.code, 0, h.describeRun(r4));
    assert.ok(r4.annotations.some((a) => a.command === 'warning' && /001_a.sql is recorded as applied on production but no longer exists/.test(a.message)), h.describeRun(r4));
  });

  it('Flyway repeatables (R__) run after every versioned file, again whenever they change; U files never run', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/V1__items.sql': 'CREATE TABLE items (id int PRIMARY KEY, price numeric NOT NULL);\n',
      'migrations/R__cheap_items.sql': 'CREATE OR REPLACE VIEW cheap_items AS SELECT id FROM items WHERE price < 10;\n',
      'migrations/V2__name.sql': 'ALTER TABLE items ADD COLUMN name text;\n',
      'migrations/U2__name.sql': 'ALTER TABLE items DROP COLUMN name;\n',
    });
    track(ws);
    const r1 = await h.migrate({ ws, db, event });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.deepEqual(h.outputs(r1).applied, ['V1__items.sql', 'V2__name.sql', 'R__cheap_items.sql']);

    // A new versioned file beside an unchanged repeatable: only it runs, and it is not
    // "out of order" although the repeatable was recorded after V2.
    const v3 = await h.push(ws, { 'migrations/V3__stock.sql': 'ALTER TABLE items ADD COLUMN stock int;\n' });
    const r2 = await h.migrate({ ws, db, ...v3 });
    assert.equal(r2.code, 0, h.describeRun(r2));
    assert.deepEqual(h.outputs(r2).applied, ['V3__stock.sql']);

    // The repeatable edited: applied again (Flyway's rule), its row records the new checksum.
    const before = await db.psql("SELECT checksum FROM neon_gitops_migrations WHERE version = 'R__cheap_items.sql'");
    const edit = await h.push(ws, { 'migrations/R__cheap_items.sql': 'CREATE OR REPLACE VIEW cheap_items AS SELECT id, name FROM items WHERE price < 5;\n' });
    const r3 = await h.migrate({ ws, db, ...edit });
    assert.equal(r3.code, 0, h.describeRun(r3));
    assert.deepEqual(h.outputs(r3).applied, ['R__cheap_items.sql']);
    assert.equal(await db.psql("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'cheap_items'"), 'id,name');
    assert.notEqual(await db.psql("SELECT checksum FROM neon_gitops_migrations WHERE version = 'R__cheap_items.sql'"), before);
    assert.equal(await db.psql("SELECT count(*) FROM neon_gitops_migrations WHERE version = 'R__cheap_items.sql'"), '1');
    assert.equal(await db.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'name'"), '1', 'the U file never ran');
    const r4 = await h.migrate({ ws, db, ...edit });
    assert.equal(r4.code, 0, h.describeRun(r4));
    assert.deepEqual(h.outputs(r4).applied, []);
  });

  it('Atlas directory: applied in version order, atlas.sum checked as Atlas checks it, txmode none honoured', async () => {
    // atlas.sum as `atlas migrate hash` writes it (ariga/atlas sql/migrate/dir.go).
    const crypto = require('node:crypto');
    const atlasSum = (files) => {
      const running = crypto.createHash('sha256');
      const lines = [];
      for (const name of Object.keys(files).sort()) {
        running.update(name);
        running.update(files[name]);
        lines.push([name, running.copy().digest('base64')]);
      }
      const total = crypto.createHash('sha256');
      for (const [n, h] of lines) { total.update(n); total.update(h); }
      return `h1:${total.digest('base64')}\n${lines.map(([n, h]) => `${n} h1:${h}\n`).join('')}`;
    };
    const migrations = {
      '20240102000000_index.sql': '-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY things_name_idx ON things (name);\n',
      '20240101000000_things.sql': 'CREATE TABLE things (id int PRIMARY KEY, name text);\n',
    };
    const withDir = (files) => Object.fromEntries(Object.entries(files).map(([n, c]) => [`migrations/${n}`, c]));
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, { ...withDir(migrations), 'migrations/atlas.sum': atlasSum(migrations) });
    track(ws);
    const r1 = await h.migrate({ ws, db, event });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.deepEqual(h.outputs(r1).applied, ['20240101000000_things.sql', '20240102000000_index.sql']);
    assert.equal(await db.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'things_name_idx'::regclass"), 't');

    // A file edited (or added) without `atlas migrate hash`: refused before anything runs.
    const tampered = await h.push(ws, { 'migrations/20240103000000_more.sql': 'ALTER TABLE things ADD COLUMN more int;\n' });
    const r2 = await h.migrate({ ws, db, ...tampered });
    assert.equal(r2.code, 1, h.describeRun(r2));
    assert.match(h.describeRun(r2), /migrations\/atlas\.sum does not match the migration files: `20240103000000_more\.sql` is not in it[\s\S]*atlas migrate hash/);
    assert.equal(await db.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'things' AND column_name = 'more'"), '0');
    const all = { ...migrations, '20240103000000_more.sql': 'ALTER TABLE things ADD COLUMN more int;\n' };
    const hashed = await h.push(ws, { 'migrations/atlas.sum': atlasSum(all) });
    const r3 = await h.migrate({ ws, db, ...hashed });
    assert.equal(r3.code, 0, h.describeRun(r3));
    assert.deepEqual(h.outputs(r3).applied, ['20240103000000_more.sql']);
  });

  it('Prisma: a database Prisma migrated is adopted from _prisma_migrations (no baseline), and what we apply is recorded there too', async () => {
    const crypto = require('node:crypto');
    const sha = (t) => crypto.createHash('sha256').update(t).digest('hex');
    const m = {
      'prisma/migrations/20240101000000_init/migration.sql': 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n',
      'prisma/migrations/20240102000000_name/migration.sql': 'ALTER TABLE "User" ADD COLUMN name text;\n',
    };
    const db = await h.newDatabase(pg);
    // The state `prisma migrate deploy` left: its table (as Prisma creates it) and rows.
    await db.psql(`CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz,
      migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0)`);
    for (const [path, sql] of Object.entries(m)) {
      await db.psql(sql);
      await db.psql(`INSERT INTO _prisma_migrations VALUES ('${crypto.randomUUID()}', '${sha(sql)}', now(), '${path.split('/')[2]}', NULL, NULL, now(), 1)`);
    }
    const next = { 'prisma/migrations/20240103000000_posts/migration.sql': 'CREATE TABLE "Post" (id serial PRIMARY KEY, "authorId" int REFERENCES "User" (id));\n' };
    const { ws, event } = await h.mergedPr({ ...m, 'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n' }, next);
    track(ws);
    const inputs = { 'migrations-path': 'prisma/migrations/**/migration.sql' };
    const r1 = await h.migrate({ ws, db, event, inputs });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.deepEqual(h.outputs(r1).applied, ['20240103000000_posts/migration.sql']);
    assert.equal(await db.psql(`SELECT checksum FROM _prisma_migrations WHERE migration_name = '20240103000000_posts' AND finished_at IS NOT NULL`), sha(Object.values(next)[0]));
    const r2 = await h.migrate({ ws, db, event, inputs });
    assert.equal(r2.code, 0, h.describeRun(r2));
    assert.deepEqual(h.outputs(r2).applied, []);
    // A migration Prisma applied, edited since: refused, as Prisma refuses it.
    const edit = await h.push(ws, { 'prisma/migrations/20240102000000_name/migration.sql': 'ALTER TABLE "User" ADD COLUMN name varchar(10);\n' });
    const r3 = await h.migrate({ ws, db, ...edit, inputs });
    assert.equal(r3.code, 1, h.describeRun(r3));
    assert.match(h.describeRun(r3), /20240102000000_name\/migration\.sql was edited after it was applied/);
  });

  it('sqitch: deploy scripts in sqitch.plan order, revert/ and verify/ never run, a script outside the plan refused', async () => {
    const plan = '%syntax-version=1.0.0\n%project=flipr\n\nappschema 2024-01-01T00:00:00Z Ann <ann@example.com> # schema\nusers [appschema] 2024-01-02T00:00:00Z Ann <ann@example.com> # users\n@v1.0 2024-01-03T00:00:00Z Ann <ann@example.com> # tag\nflips [users] 2024-01-04T00:00:00Z Ann <ann@example.com> # flips\n';
    const db = await h.newDatabase(pg);
    // Alphabetical order would run `flips` before `users`: only the plan's order works.
    const { ws, event } = await h.mergedPr({}, {
      'db/sqitch.plan': plan,
      'db/sqitch.conf': '[core]\n\tengine = pg\n',
      'db/deploy/appschema.sql': 'BEGIN;\nCREATE SCHEMA flipr;\nCOMMIT;\n',
      'db/deploy/users.sql': 'BEGIN;\nCREATE TABLE flipr.users (nickname text PRIMARY KEY);\nCOMMIT;\n',
      'db/deploy/flips.sql': 'BEGIN;\nCREATE TABLE flipr.flips (id int PRIMARY KEY, nickname text NOT NULL REFERENCES flipr.users);\nCOMMIT;\n',
      'db/revert/users.sql': 'BEGIN;\nDROP TABLE flipr.users;\nCOMMIT;\n',
      'db/verify/users.sql': 'SELECT nickname FROM flipr.users WHERE false;\n',
    });
    track(ws);
    const inputs = { 'migrations-path': 'db/deploy/*.sql' };
    const r1 = await h.migrate({ ws, db, event, inputs });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.deepEqual(h.outputs(r1).applied, ['appschema.sql', 'users.sql', 'flips.sql']);
    const r2 = await h.migrate({ ws, db, event, inputs });
    assert.deepEqual(h.outputs(r2).applied, []);
    const stray = await h.push(ws, { 'db/deploy/stray.sql': 'CREATE TABLE flipr.stray (id int);\n' });
    const r3 = await h.migrate({ ws, db, ...stray, inputs });
    assert.equal(r3.code, 1, h.describeRun(r3));
    assert.match(h.describeRun(r3), /db\/deploy\/stray\.sql is not a change in db\/sqitch\.plan[\s\S]*sqitch add stray/);
    assert.equal(await db.psql("SELECT to_regclass('flipr.stray') IS NULL"), 't');
  });

  it('Liquibase formatted SQL: each changeset applied and tracked on its own, rollback lines never run, runInTransaction:false honoured', async () => {
    const v1 = ['--liquibase formatted sql', '', '--changeset ann:1', 'CREATE TABLE accounts (id int PRIMARY KEY, email text);', '--rollback DROP TABLE accounts;', '',
      '--changeset ann:2 runInTransaction:false', 'CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);', '--rollback DROP INDEX accounts_email_idx;', ''].join('\n');
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, { 'db/changelog/001-accounts.sql': v1 });
    track(ws);
    const inputs = { 'migrations-path': 'db/changelog/*.sql' };
    const r1 = await h.migrate({ ws, db, event, inputs });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.deepEqual(h.outputs(r1).applied, ['001-accounts.sql::ann:1', '001-accounts.sql::ann:2']);
    assert.equal(await db.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_idx'::regclass"), 't');
    // A changeset appended to the same file: only it runs.
    const more = await h.push(ws, { 'db/changelog/001-accounts.sql': `${v1}\n--changeset bob:3\nALTER TABLE accounts ADD COLUMN name text;\n--rollback ALTER TABLE accounts DROP COLUMN name;\n` });
    const r2 = await h.migrate({ ws, db, ...more, inputs });
    assert.equal(r2.code, 0, h.describeRun(r2));
    assert.deepEqual(h.outputs(r2).applied, ['001-accounts.sql::bob:3']);
    assert.equal(await db.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts'"), '3');
    const r3 = await h.migrate({ ws, db, ...more, inputs });
    assert.deepEqual(h.outputs(r3).applied, []);
  });

  it('two runs at once: one applies, a fail-fast one gets the lock message, a patient one applies nothing', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(4);\n',
      'migrations/002_next.sql': 'CREATE TABLE next (id int);\n',
    });
    track(ws);
    const first = h.migrate({ ws, db, event });
    // Wait until the first run holds the advisory lock.
    for (let i = 0; ; i++) {
      const n = await q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted");
      if (n !== '0') break;
      assert.ok(i < 400, 'the first run never took the lock');
      await new Promise((r) => setTimeout(r, 25));
    }
    const [a, fast, patient] = await Promise.all([
      first,
      h.migrate({ ws, db, event, inputs: { 'lock-wait': '1s' } }),
      h.migrate({ ws, db, event, inputs: { 'lock-wait': '60s' } }),
    ]);
    assert.equal(a.code, 0, h.describeRun(a));
    assert.deepEqual(h.outputs(a).applied, ['001_slow.sql', '002_next.sql']);
    assert.equal(fast.code, 1, h.describeRun(fast));
    assert.match(fast.stdout, /another neon-gitops migrate run holds the migration lock on production.*pid \d+ \(neon-gitops/);
    assert.equal(patient.code, 0, h.describeRun(patient));
    assert.match(patient.stdout, /waiting up to 60 s/);
    assert.deepEqual(h.outputs(patient).applied, []);
    assert.deepEqual(await h.tracked(db), [['001_slow.sql', 'applied'], ['002_next.sql', 'applied']]);
  });

  it('CREATE INDEX CONCURRENTLY applies outside a transaction; a failed one leaves an INVALID index that is reported and cannot be hidden by IF NOT EXISTS', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_items.sql': "CREATE TABLE items (id int, name text);\nINSERT INTO items VALUES (1, 'a'), (2, 'a');\n",
      'migrations/002_idx.sql': 'CREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n',
    });
    track(ws);
    const r1 = await h.migrate({ ws, db, event });
    assert.equal(r1.code, 0, h.describeRun(r1));
    assert.match(r1.summary, /`002_idx.sql` \| yes \| statement by statement \|/);
    assert.equal(await db.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass"), 't');

    const uniq = await h.push(ws, { 'migrations/003_unique.sql': 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_name_key ON items (name);\n' });
    const r2 = await h.migrate({ ws, db, ...uniq });
    assert.equal(r2.code, 1, h.describeRun(r2));
    assert.equal(await db.psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_key'::regclass"), 'f');
    const ann = h.errorAnnotations(r2).find((a) => a.properties.file === 'migrations/003_unique.sql');
    assert.match(ann.message, /could not create unique index/);
    assert.match(ann.message, /DROP INDEX CONCURRENTLY public\.items_name_key;/);
    assert.match(r2.summary, /left INVALID/);
    // The unchanged rerun would "succeed" through IF NOT EXISTS: it is stopped instead.
    const r3 = await h.migrate({ ws, db, ...uniq });
    assert.equal(r3.code, 1, h.describeRun(r3));
    assert.match(h.errorAnnotations(r3).find((a) => a.properties.file === 'migrations/003_unique.sql').message, /INVALID.*DROP INDEX CONCURRENTLY public\.items_name_key/);
  });

  it('a table lock held by another session: lock_timeout cancels, the file is retried and applies once the lock is released', async () => {
    const db = await h.newDatabase(pg);
    await db.psql('CREATE TABLE accounts (id int)');
    const { ws, event } = await h.mergedPr({}, { 'migrations/001_accounts.sql': 'ALTER TABLE accounts ADD COLUMN plan text;\nCREATE TABLE audit (id int);\n' });
    track(ws);
    // Another session holds ACCESS EXCLUSIVE on accounts until told to commit.
    const holder = spawn(path.join(pg.clientBinDir, 'psql'), ['-X', '-q', ...pg.clientArgs(db.name)], { env: { ...process.env, ...pg.clientEnv }, stdio: ['pipe', 'ignore', 'inherit'] });
    cleanups.push(() => holder.kill('SIGKILL'));
    holder.stdin.write('BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE; SELECT 1;\n');
    for (let i = 0; (await db.psql(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'accounts' AND l.granted AND l.mode = 'AccessExclusiveLock'`)) === '0'; i++) {
      assert.ok(i < 400);
      await new Promise((r) => setTimeout(r, 25));
    }
    const run = h.migrate({ ws, db, event, inputs: { 'lock-timeout': '1s', 'lock-retries': '5' } });
    // Release after the first attempt waited on the lock and gave up.
    let sawWait = false;
    for (let i = 0; i < 800; i++) {
      const waiting = await q(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.application_name = 'neon-gitops'`);
      if (waiting !== '0') sawWait = true;
      else if (sawWait) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(sawWait, 'the migration never waited on the lock');
    holder.stdin.end('COMMIT;\n');
    const r = await run;
    assert.equal(r.code, 0, h.describeRun(r));
    assert.match(r.stdout, /lock_timeout \(1000 ms\) expired.*Retry 1 of 5/);
    assert.deepEqual(h.outputs(r).applied, ['001_accounts.sql']);
    assert.match(r.summary, /applied \(after 1 lock retries\)/);
    assert.ok((await columns(db, 'accounts')).includes('plan'));
  });

  it('dry-run changes nothing, not even the tracking table', async () => {
    const db = await h.newDatabase(pg);
    await db.psql(USERS);
    const { ws, event } = await h.mergedPr({}, {
      [SEED_FILE]: SEED_SQL,
      'migrations/2024/09/01-idx.sql': 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n',
    });
    track(ws);
    const before = await db.dump();
    const r = await h.migrate({ ws, db, event, inputs: { 'dry-run': 'true' } });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.equal(await db.dump(), before);
    assert.equal(await h.tracked(db), null);
    assert.deepEqual(h.outputs(r), { applied: [], pending_before: '2', skipped: '0' });
    assert.match(r.stdout, /2024\/08\/08-01-2024-add-flag-to-users.sql {2}\[as-is \(own transaction\)\]/);
    assert.match(r.stdout, /2024\/09\/01-idx.sql {2}\[statement by statement\]/);
    assert.match(r.summary, /dry run/);
  });

  it('validation first: a file with an unterminated quote stops the run before anything is applied', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_ok.sql': 'CREATE TABLE ok (id int);\n',
      'migrations/002_bad.sql': "CREATE TABLE bad (id int);\nINSERT INTO bad VALUES ('oops);\n",
    });
    track(ws);
    const r = await h.migrate({ ws, db, event });
    assert.equal(r.code, 1, h.describeRun(r));
    assert.ok(h.errorAnnotations(r).some((a) => a.properties.file === 'migrations/002_bad.sql' && a.properties.line === '2'), h.describeRun(r));
    assert.equal(await h.tracked(db), null);
    assert.equal(await db.psql("SELECT to_regclass('ok') IS NULL"), 't');
  });

  it('a run blocked by lint, and a dry run with findings, still write the plan, the findings and pending_before', async () => {
    const db = await h.newDatabase(pg);
    await db.psql('CREATE TABLE users (id int PRIMARY KEY, email text)');
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_ok.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
      'migrations/002_idx.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
    });
    track(ws);
    for (const inputs of [{ 'fail-on': 'warning' }, { 'fail-on': 'warning', 'dry-run': 'true' }]) {
      const r = await h.migrate({ ws, db, event, inputs });
      assert.equal(r.code, 1, h.describeRun(r));
      assert.equal(r.outputs.pending_before, '2');
      assert.equal(r.outputs.applied, '[]');
      assert.match(r.summary, inputs['dry-run'] ? /dry run, blocked \(nothing applied\)/ : /migrate: blocked \(nothing applied\)/);
      assert.match(r.summary, /`002_idx\.sql`[^\n]*⏸ not run/);
      assert.match(r.summary, /require-concurrent-index-creation/);
      assert.match(r.summary, /1 lint finding\(s\) that block under `fail-on`/);
    }
    assert.equal(await db.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'"), '0');
  });

  it('baseline records files applied by hand without running them', async () => {
    const db = await h.newDatabase(pg);
    await db.psql('CREATE TABLE a (id int); CREATE TABLE b (id int);');
    const { ws, event } = await h.mergedPr({}, {
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/002_b.sql': 'CREATE TABLE b (id int);\n',
      'migrations/003_c.sql': 'CREATE TABLE c (id int);\n',
    });
    track(ws);
    const r = await h.migrate({ ws, db, event, inputs: { baseline: '002_b.sql' } });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.deepEqual(await h.tracked(db), [['001_a.sql', 'baseline'], ['002_b.sql', 'baseline'], ['003_c.sql', 'applied']]);
  });

  it('migrate-command runs the user tool without a shell, with DATABASE_URL set', async () => {
    const db = await h.newDatabase(pg);
    const { ws, event } = await h.mergedPr({}, { 'tool.sh': '#!/bin/sh\npsql -X -q -d "$DATABASE_URL" -c "CREATE TABLE from_tool (id int)"\n' });
    track(ws);
    const r = await h.migrate({ ws, db, event, inputs: { 'migrate-command': 'sh tool.sh' }, env: { PATH: `${pg.clientBinDir}:${process.env.PATH}` } });
    assert.equal(r.code, 0, h.describeRun(r));
    assert.equal(await db.psql("SELECT to_regclass('from_tool') IS NOT NULL"), 't');
    assert.match(r.summary, /`sh tool.sh` succeeded/);
    assert.equal(await h.tracked(db), null);
  });
});
