'use strict';
// mode: sync end to end (issue 6): dist/ run by the runner simulation on a schedule event,
// "production" = a real Postgres database (several schemas, FKs, sequences, an extension,
// a materialised view, an event trigger, a publication, a non-superuser owner), the twin =
// a Neon emulator branch on a second Postgres cluster, Slack = the Slack emulator.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const { startPostgres } = require('../support/postgres');
const { runAction, logText } = require('../support/runner');
const { scheduleEvent, workflowDispatchEvent } = require('../support/events');
const { startNeonEmulator } = require('../emulators/neon');
const { startSlackEmulator } = require('../emulators/slack');
const { callApi, waitForOperations } = require('../emulators/neon/helpers');

const OWNER_PASSWORD = 'app-owner-pw-5f3a9c';

const FIXTURE = `
CREATE EXTENSION citext;
CREATE SCHEMA app;
CREATE SCHEMA billing;
CREATE TABLE app.users (
  id bigserial PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  name text NOT NULL,
  phone text,
  created_at timestamptz NOT NULL DEFAULT '2024-01-01'
);
COMMENT ON TABLE app.users IS 'people who buy things';
CREATE TABLE app.orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES app.users(id),
  total numeric(10,2) NOT NULL CHECK (total >= 0),
  note text
);
CREATE INDEX orders_user_id_idx ON app.orders (user_id);
CREATE TABLE billing.invoices (
  id serial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES app.orders(id) ON DELETE CASCADE,
  amount numeric NOT NULL
);
CREATE TABLE app.audit_log (id bigserial PRIMARY KEY, message text NOT NULL);
CREATE TABLE public.settings (key text PRIMARY KEY, value text);
CREATE SEQUENCE billing.invoice_number START 1000;
INSERT INTO app.users (email, name, phone)
  SELECT 'person' || i || '@prod-mail.com', 'Realname' || i, '+1-555-' || lpad(i::text, 4, '0') FROM generate_series(1, 200) i;
INSERT INTO app.orders (user_id, total, note) SELECT 1 + (i % 200), i * 1.5, 'order ' || i FROM generate_series(1, 500) i;
INSERT INTO billing.invoices (order_id, amount) SELECT i, i * 2 FROM generate_series(1, 300) i;
INSERT INTO app.audit_log (message) SELECT 'event ' || i FROM generate_series(1, 1000) i;
INSERT INTO public.settings VALUES ('currency', 'EUR'), ('region', 'eu');
SELECT nextval('billing.invoice_number') FROM generate_series(1, 42);
CREATE MATERIALIZED VIEW app.order_totals AS SELECT user_id, count(*) AS orders, sum(total) AS total FROM app.orders GROUP BY user_id;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'touched'); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
`;

// Superuser-only objects production has and a managed target refuses.
const SUPERUSER_FIXTURE = `
CREATE FUNCTION public.ddl_watch() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER ddl_watch ON ddl_command_end EXECUTE FUNCTION public.ddl_watch();
CREATE PUBLICATION pub_users FOR TABLE app.users;
`;

const TABLES = ['app.audit_log', 'app.orders', 'app.users', 'billing.invoices', 'public.settings'];

function run(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 256 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) { err.message += `\n${stderr}`; return reject(err); }
      resolve(stdout);
    });
  });
}

let prod;
let neonPg;
let neon;
let slack;
let twin;
let twinUri;
let sourceUrl;
const api = (method, p, body) => callApi(neon.apiUrl, neon.apiKey, method, `/projects/${neon.projectId}${p}`, body);

async function prodSql(sql, { user = 'app_owner' } = {}) {
  return (await prod.psql(sql, { db: 'prod', user })).trim();
}
async function twinSql(sql) {
  return (await neon.query(twin.id, sql)).trim();
}

/** Per-table exact counts and a content checksum of every row, ordered by primary key. */
async function fingerprint(queryFn) {
  const out = {};
  for (const t of TABLES) {
    out[t] = await queryFn(`SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ${t} x`);
  }
  return out;
}

/**
 * pg_dump --schema-only of a database as sorted statements: comments, SETs and per-run
 * keys out; `filtered` also drops what sync leaves out on purpose (the documented filters).
 */
async function schemaStatements(pg, db, { filtered = false } = {}) {
  const text = await run(path.join(pg.clientBinDir, 'pg_dump'), ['--schema-only', '--no-owner', '--no-privileges', ...pg.clientArgs(db)], { env: pg.clientEnv });
  return text.split('\n')
    .filter((l) => !l.startsWith('--') && !/^\\(un)?restrict /.test(l))
    .join('\n')
    .split(/;\n/)
    .map((s) => s.trim())
    .filter((s) => s && !/^SET /.test(s) && !/set_config/.test(s))
    .filter((s) => !filtered || !/^(CREATE EVENT TRIGGER|CREATE PUBLICATION|ALTER PUBLICATION|COMMENT ON EXTENSION)/.test(s))
    .sort();
}

function inputs(extra = {}) {
  return {
    mode: 'sync',
    'source-url': sourceUrl,
    'neon-api-key': neon.apiKey,
    'neon-project-id': neon.projectId,
    'neon-api-host': neon.apiUrl,
    'twin-branch': 'twin',
    'slack-webhook-url': slack.url,
    ...extra,
  };
}

async function sync(extra = {}, opts = {}) {
  const r = await runAction({
    inputs: inputs(extra),
    eventName: 'schedule',
    event: scheduleEvent(),
    timeoutMs: 240000,
    ...opts,
  });
  if (process.env.DEBUG_SYNC) console.log(logText(r));
  return r;
}

function branchNames() {
  return neon.branches().map((b) => b.name).sort();
}

test.before(async () => {
  prod = await startPostgres();
  await prod.psql(`CREATE ROLE app_owner LOGIN PASSWORD '${OWNER_PASSWORD}'`);
  await prod.psql('CREATE DATABASE prod OWNER app_owner');
  await prod.psql(FIXTURE, { db: 'prod', user: 'app_owner' });
  await prod.psql(SUPERUSER_FIXTURE, { db: 'prod' });
  sourceUrl = `postgresql://app_owner:${OWNER_PASSWORD}@127.0.0.1:${prod.port}/prod`;

  neonPg = await startPostgres();
  neon = await startNeonEmulator({ pg: neonPg, operationMs: 100, computeStartMs: 100 });
  slack = await startSlackEmulator();

  // The twin as it was before the first sync: stale data a developer has been using.
  const created = await api('POST', '/branches', { branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitForOperations((m, p) => callApi(neon.apiUrl, neon.apiKey, m, p), (p) => `/projects/${neon.projectId}${p}`, created.body.operations);
  twin = created.body.branch;
  await twinSql('CREATE TABLE stale (x int); INSERT INTO stale SELECT generate_series(1, 7)');
  twinUri = neon.connectionUri(twin.id);
});

test.after(async () => {
  if (slack) await slack.stop();
  if (neon) await neon.stop();
  if (neonPg) await neonPg.stop();
  if (prod) await prod.stop();
});

test('schedule: the twin gets exactly production rows and schema, keeps its URL, and hangs below its verified copy, not a backup', async () => {
  const before = branchNames();
  const r = await sync();
  assert.equal(r.code, 0, logText(r));

  // Same branch, same endpoint, same connection string.
  assert.equal(neon.connectionUri(twin.id), twinUri);
  assert.ok(neon.branches().some((b) => b.id === twin.id && b.name === 'twin'));

  // Rows: identical per table, content included.
  assert.deepEqual(await fingerprint(twinSql), await fingerprint(prodSql));
  // The stale table is gone from the twin. Nothing hung below the twin, so no backup was
  // chained below it (docs/sync.md, "The swap on Neon"); this sync's verified copy stays,
  // no longer expiring. (Which branch Neon makes the twin's parent is not documented.)
  assert.equal(await twinSql("SELECT count(*) FROM pg_class WHERE relname = 'stale'"), '0');
  const copies = neon.branches().filter((b) => /^twin_sync_\d{8}T\d{6}Z$/.test(b.name));
  assert.equal(copies.length, 1, JSON.stringify(copies));
  assert.equal(copies[0].expires_at, undefined);
  assert.deepEqual(neon.branches().filter((b) => b.name.startsWith('twin_old_')), []);

  // Schema: pg_dump --schema-only equal, minus the documented filters.
  const prodSchema = await schemaStatements(prod, 'prod', { filtered: true });
  const twinSchema = await schemaStatements(neonPg, neon.branchDatabase(twin.id), { filtered: true });
  assert.deepEqual(twinSchema.filter((x) => !prodSchema.includes(x)), [], 'statements only the twin has');
  assert.deepEqual(prodSchema.filter((x) => !twinSchema.includes(x)), [], 'statements only production has');
  // Sequences carried over; the materialised view is populated.
  assert.equal(await twinSql("SELECT last_value FROM billing.invoice_number"), '1041');
  assert.equal(await twinSql('SELECT count(*) FROM app.order_totals'), '200');

  // Outputs, summary, Slack.
  assert.equal(r.outputs.tables, '5');
  assert.equal(r.outputs.rows, String(200 + 500 + 300 + 1000 + 2));
  assert.ok(Number(r.outputs.duration_ms) > 0 && Number(r.outputs.bytes) > 0, JSON.stringify(r.outputs));
  assert.match(r.summary, /EVENT TRIGGER ddl_watch/);
  assert.match(r.summary, /PUBLICATION pub_users/);
  assert.match(r.summary, /\| `app\.users` \| 200 \| 200 \| same \|/);
  assert.match(r.summary, /Verification: 5 tables' rows counted, 5 fingerprinted, \d+ definitions compared/);
  assert.match(logText(r), /verified: \d+ definitions \(columns, constraints, indexes, triggers, row security, policies\) match production's/);
  const msg = slack.messages.at(-1);
  assert.ok(msg && /refreshed/.test(msg.text) && Array.isArray(msg.blocks), JSON.stringify(msg));

  // No staging left except, possibly, the one Neon keeps as the twin's parent.
  const stagingLeft = neon.branches().filter((b) => b.name.startsWith('twin_sync_'));
  const twinNow = neon.branches().find((b) => b.id === twin.id);
  assert.ok(stagingLeft.every((b) => b.id === twinNow.parent_id), JSON.stringify(stagingLeft));
  assert.ok(branchNames().length <= before.length + 2);

  // Nothing secret anywhere a person or Slack can see.
  const visible = [logText(r), r.summary, JSON.stringify(r.outputs), JSON.stringify(slack.messages)].join('\n');
  for (const secret of [OWNER_PASSWORD, neon.password(), neon.apiKey, 'postgresql://']) {
    assert.ok(!visible.includes(secret), `leaked ${secret}`);
  }
});

async function assertFailedCleanly(r, { phase, message, twinBefore, namesBefore }) {
  assert.notEqual(r.code, 0, logText(r));
  const error = r.errors.join('\n');
  assert.match(error, new RegExp(`sync failed during ${phase}`), error);
  if (message) assert.match(error, message);
  assert.match(error, /twin was left unchanged/);
  assert.deepEqual(await fingerprint(twinSql), twinBefore, 'the twin changed');
  assert.deepEqual(branchNames(), namesBefore, 'a staging branch was left behind');
  const msg = slack.messages.at(-1);
  assert.ok(msg && msg.text.includes('failed') && new RegExp(`during ${phase}`).test(msg.text), JSON.stringify(msg));
  assert.ok(!JSON.stringify(msg).includes(OWNER_PASSWORD));
}

test('a failure in each phase leaves the twin as it was and no staging behind', async (t) => {
  await t.test('dump error', async () => {
    await prodSql('CREATE TABLE app.locked_away (id int); REVOKE ALL ON app.locked_away FROM app_owner', { user: 'postgres' });
    try {
      const twinBefore = await fingerprint(twinSql);
      const namesBefore = branchNames();
      const r = await sync();
      await assertFailedCleanly(r, { phase: '(schema|staging)', message: /permission denied/, twinBefore, namesBefore });
    } finally {
      await prodSql('DROP TABLE app.locked_away', { user: 'postgres' });
    }
  });

  await t.test('a policy for a role the target lacks: named before the copy', async () => {
    await prodSql('CREATE ROLE auditor', { user: 'postgres' });
    await prodSql('CREATE POLICY auditors ON app.audit_log TO auditor USING (true)');
    try {
      const twinBefore = await fingerprint(twinSql);
      const namesBefore = branchNames();
      const r = await sync();
      await assertFailedCleanly(r, { phase: 'staging', message: /policy `auditors` on `app\.audit_log` is for `auditor`[\s\S]*neonctl roles create --name auditor[\s\S]*Nothing was copied/, twinBefore, namesBefore });
    } finally {
      await prodSql('DROP POLICY auditors ON app.audit_log');
      await prodSql('DROP ROLE auditor', { user: 'postgres' });
    }
  });

  await t.test('restore error (a duplicate key when the primary key is built), its row value cut', async () => {
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    const r = await sync({}, { env: { NEON_GITOPS_TEST_STAGING_SQL: "INSERT INTO public.settings VALUES ('currency', 'dup')" } });
    await assertFailedCleanly(r, { phase: 'indexes and constraints', message: /could not create unique index "settings_pkey"[\s\S]*Key \(key\)=\(…\)/, twinBefore, namesBefore });
    assert.ok(!r.errors.join('\n').includes('=(currency)'), r.errors.join('\n'));
  });

  await t.test('verification mismatch', async () => {
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    const r = await sync({}, { env: { NEON_GITOPS_TEST_STAGING_SQL: "INSERT INTO public.settings VALUES ('intruder', 'x')" } });
    await assertFailedCleanly(r, { phase: 'verification', message: /public\.settings: production had 2 rows in the snapshot, staging has 3/, twinBefore, namesBefore });
  });

  await t.test('content mismatch: the same row count, one value changed', async () => {
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    const tamper = { NEON_GITOPS_TEST_STAGING_SQL: "UPDATE public.settings SET value = 'USD' WHERE key = 'currency'" };
    const r = await sync({}, { env: tamper });
    await assertFailedCleanly(r, { phase: 'verification', message: /public\.settings: the same 2 rows, but not the same content/, twinBefore, namesBefore });
    assert.match(r.summary, /\| `public\.settings` \| 2 \| 2 \| \*\*differs\*\* \|/);
    // `verify: counts` cannot see it: the fingerprint is what catches a changed value.
    const counted = await sync({ verify: 'counts', 'twin-branch': 'twin-counts' }, { env: tamper });
    assert.equal(counted.code, 0, logText(counted));
    assert.match(counted.summary, /\| `public\.settings` \| 2 \| 2 \| — \|/);
  });

  await t.test('definition mismatch: an index production does not have', async () => {
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    const r = await sync({}, { env: { NEON_GITOPS_TEST_STAGING_SQL: 'CREATE INDEX sneaky ON public.settings (value)' } });
    await assertFailedCleanly(r, { phase: 'verification', message: /public\.settings: index sneaky is in staging but not in production/, twinBefore, namesBefore });
  });

  await t.test('503 storm during the swap', async () => {
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    neon.faults.add({ method: 'POST', path: /\/restore$/, status: 503, times: 1000 });
    try {
      const r = await sync();
      await assertFailedCleanly(r, { phase: 'swap', message: /503/, twinBefore, namesBefore });
    } finally {
      neon.faults.clear();
    }
  });

  await t.test('job cancelled (SIGTERM) mid-copy, then the post step', async () => {
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    const messagesBefore = slack.messages.length;
    const r = await sync({}, { killOn: '::group::sync: data' });
    assert.ok(r.killed === 'SIGTERM' && r.code !== 0, `code ${r.code} signal ${r.signal}`);
    assert.ok(r.state.sync_staging_name, JSON.stringify(r.state));
    const post = await sync({}, { post: true, state: r.state });
    assert.equal(post.code, 0, logText(post));
    assert.match(logText(post), /Deleted staging branch twin_sync_/);
    assert.deepEqual(await fingerprint(twinSql), twinBefore);
    assert.deepEqual(branchNames(), namesBefore);
    const msg = slack.messages.at(-1);
    assert.ok(slack.messages.length > messagesBefore && /cancelled during data/.test(JSON.stringify(msg)), JSON.stringify(msg));
  });
});

test('exclude-table-data and mask: the excluded table exists empty, no original value reaches the twin', async () => {
  const r = await sync({
    'exclude-table-data': 'app.audit_*',
    mask: ['# PII', 'app.users.email: fake-email', 'users.name: hash', 'users.phone: null', 'orders.note: fixed:redacted'].join('\n'),
  }, { eventName: 'workflow_dispatch', event: workflowDispatchEvent() });
  assert.equal(r.code, 0, logText(r));
  assert.equal(await twinSql('SELECT count(*) FROM app.audit_log'), '0');
  assert.equal(await twinSql("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'audit_log'"), '2');
  assert.equal(await twinSql('SELECT count(*) FROM app.users'), '200');
  assert.equal(await twinSql('SELECT count(DISTINCT email) FROM app.users'), '200', 'fake emails stay unique');
  assert.equal(await twinSql("SELECT count(*) FROM app.users WHERE email NOT LIKE 'user\\_%@example.invalid' OR phone IS NOT NULL"), '0');
  assert.equal(await twinSql("SELECT count(*) FROM app.orders WHERE note <> 'redacted'"), '0');
  // FKs hold, the matview was refreshed from the copied rows.
  assert.equal(await twinSql('SELECT count(*) FROM app.orders o JOIN app.users u ON u.id = o.user_id'), '500');
  // No original value anywhere in the twin's database: a full dump of it has none.
  const dump = await run(path.join(neonPg.clientBinDir, 'pg_dump'), neonPg.clientArgs(neon.branchDatabase(twin.id)), { env: neonPg.clientEnv });
  for (const original of ['@prod-mail.com', 'Realname', '+1-555-', 'order 17']) {
    assert.ok(!dump.includes(original), `${original} reached the twin`);
  }
  assert.match(r.summary, /Masked: `app\.users\.email`/);
  assert.match(r.summary, /data excluded/);
});

test('source newer than the available client: a clear error before anything runs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'old-pg-client-'));
  try {
    for (const tool of ['pg_dump', 'pg_restore']) {
      fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 12.22"\n`, { mode: 0o755 });
    }
    fs.symlinkSync(path.join(prod.clientBinDir, 'psql'), path.join(dir, 'psql'));
    const namesBefore = branchNames();
    const postsBefore = neon.requests.filter((q) => q.method !== 'GET').length;
    const r = await sync({ 'pg-bin-dir': dir });
    assert.notEqual(r.code, 0);
    const error = r.errors.join('\n');
    assert.match(error, /pg_dump 15 or newer is needed/);
    assert.match(error, /`postgresql-client-15`/);
    assert.deepEqual(branchNames(), namesBefore);
    assert.equal(neon.requests.filter((q) => q.method !== 'GET').length, postsBefore, 'nothing was changed in Neon');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('parallel data units (jobs: 3, every table big enough for a unit, the biggest sliced by pages): same rows, same sequences', async () => {
  const r = await sync({ jobs: '3' }, { env: { NEON_GITOPS_SYNC_STREAM_MIN_BYTES: '0' } });
  assert.equal(r.code, 0, logText(r));
  assert.match(logText(r), /data: \d+ units on 3 slots; sliced by pages: [^;]*\(\d+ parts\)/);
  assert.deepEqual(await fingerprint(twinSql), await fingerprint(prodSql));
  // Owned sequences come with their tables' streams, others (invoice_number) with the main one.
  assert.equal(await twinSql('SELECT last_value FROM billing.invoice_number'), '1041');
  assert.equal(await twinSql('SELECT last_value FROM app.orders_id_seq'), await prodSql('SELECT last_value FROM app.orders_id_seq'));
  assert.equal(r.outputs.rows, String(200 + 500 + 300 + 1000 + 2));
});

test('production role timeouts and forced row security: every session of the sync sets what pg_dump sets', async () => {
  // Common on production roles: they would cancel the COPYs and kill the snapshot holder,
  // which stays idle in its transaction while the copy runs.
  await prod.psql("ALTER ROLE app_owner SET statement_timeout = '200ms'");
  await prod.psql("ALTER ROLE app_owner SET idle_in_transaction_session_timeout = '300ms'");
  // FORCE ROW LEVEL SECURITY applies to the owner too: read with row_security on, only the
  // policy's rows would be copied, and counted alike on both sides.
  await prod.psql("ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY; ALTER TABLE app.orders FORCE ROW LEVEL SECURITY; CREATE POLICY only_small ON app.orders USING (total < 10)", { db: 'prod' });
  try {
    // The owner without BYPASSRLS cannot read past a forced policy: a clear failure (as
    // pg_dump's), the twin untouched; never a short copy that verifies.
    const twinBefore = await fingerprint(twinSql);
    const namesBefore = branchNames();
    const refused = await sync();
    await assertFailedCleanly(refused, { phase: '\\w+', message: /row-level security policy for table "orders"[\s\S]*BYPASSRLS/, twinBefore, namesBefore });
    // With BYPASSRLS every row comes across. Sliced and parallel units, so the COPY pipes
    // and the snapshot holder all take part.
    await prod.psql('ALTER ROLE app_owner BYPASSRLS');
    const r = await sync({ jobs: '3' }, { env: { NEON_GITOPS_SYNC_STREAM_MIN_BYTES: '0' } });
    assert.equal(r.code, 0, logText(r));
    // Read both sides past row security (as a superuser): every row came across.
    const asSuperuser = async (sql) => String(await neon.query(twin.id, sql, { user: 'postgres' })).trim();
    assert.deepEqual(await fingerprint(asSuperuser), await fingerprint(async (sql) => (await prod.psql(sql, { db: 'prod' })).trim()));
    assert.equal(await asSuperuser('SELECT count(*) FROM app.orders'), '500');
    // And the twin has production's row security: enabled, forced, the policy.
    const rls = "SELECT relrowsecurity || ' ' || relforcerowsecurity || ' ' || (SELECT string_agg(polname, ',') FROM pg_policy WHERE polrelid = c.oid) FROM pg_class c WHERE oid = 'app.orders'::regclass";
    assert.equal(await asSuperuser(rls), await prodSql(rls));
    assert.equal(await asSuperuser(rls), 'true true only_small');
  } finally {
    await prod.psql('ALTER ROLE app_owner RESET statement_timeout; ALTER ROLE app_owner RESET idle_in_transaction_session_timeout; ALTER ROLE app_owner NOBYPASSRLS');
    await prod.psql('DROP POLICY only_small ON app.orders; ALTER TABLE app.orders NO FORCE ROW LEVEL SECURITY; ALTER TABLE app.orders DISABLE ROW LEVEL SECURITY', { db: 'prod' });
  }
});

test('unlogged tables: copied, and logged in a Neon twin (their rows would not survive the swap otherwise)', async () => {
  await prodSql('CREATE UNLOGGED TABLE app.sessions (id int PRIMARY KEY, token text); INSERT INTO app.sessions SELECT i, md5(i::text) FROM generate_series(1, 40) i');
  try {
    const r = await sync();
    assert.equal(r.code, 0, logText(r));
    assert.equal(await twinSql('SELECT count(*) FROM app.sessions'), '40');
    assert.equal(await twinSql("SELECT relpersistence FROM pg_class WHERE oid = 'app.sessions'::regclass"), 'p');
    assert.match(r.summary, /Unlogged on production, logged in the twin[^\n]*`app\.sessions`/);
  } finally {
    await prodSql('DROP TABLE app.sessions');
  }
});

test('a LATIN1 production: text arrives as the same characters, through pg_dump and through the masked COPY pipe, whatever the runner\'s locale', async () => {
  await prod.psql("CREATE DATABASE latin OWNER app_owner TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
  // Written as UTF-8 by this psql and stored by the server in LATIN1.
  // Unicode escapes, so the harness's own client encoding plays no part; stored in LATIN1.
  await prod.psql("CREATE TABLE people (id int PRIMARY KEY, name text, email text); INSERT INTO people VALUES (1, U&'Zo\\00EB \\00C6r\\00F8sk\\00F8bing', 'zoe@example.com'), (2, U&'Fran\\00E7ois', 'f@example.com')", { db: 'latin', user: 'app_owner' });
  assert.equal((await prod.psql('SELECT length(name) FROM people WHERE id = 1', { db: 'latin' })).trim(), '14', 'stored as 14 LATIN1 characters');
  const latinUrl = `postgresql://app_owner:${OWNER_PASSWORD}@127.0.0.1:${prod.port}/latin`;
  const r = await sync({ 'source-url': latinUrl, 'twin-branch': 'twin-latin', mask: 'people.email: fake-email', tables: 'people' }, { env: { LC_ALL: 'C', LANG: 'C' } });
  assert.equal(r.code, 0, logText(r));
  const twinLatin = neon.branches().find((b) => b.name === 'twin-latin');
  assert.equal((await neon.query(twinLatin.id, 'SELECT string_agg(name, \'|\' ORDER BY id) FROM people')).trim(), 'Zoë Ærøskøbing|François');
  assert.equal((await neon.query(twinLatin.id, "SELECT count(*) FROM people WHERE email LIKE '%@example.invalid'")).trim(), '2');
});

test('masking one side of a foreign key is refused before anything runs; both sides masked keep the join', async () => {
  await prodSql("CREATE TABLE app.subscriptions (id int PRIMARY KEY, email citext NOT NULL REFERENCES app.users (email)); INSERT INTO app.subscriptions SELECT i, 'person' || i || '@prod-mail.com' FROM generate_series(1, 30) i");
  try {
    const namesBefore = branchNames();
    const oneSide = await sync({ mask: 'app.users.email: fake-email' });
    assert.equal(oneSide.code, 1, logText(oneSide));
    const error = oneSide.errors.join('\n');
    assert.match(error, /`app\.users\.email` is masked, but the foreign key between it and `app\.subscriptions\.email` has the other side without a rule/);
    assert.ok(!error.includes('@prod-mail.com'), error);
    assert.deepEqual(branchNames(), namesBefore, 'nothing was created');
    const both = await sync({ mask: 'app.users.email: fake-email\napp.subscriptions.email: fake-email' });
    assert.equal(both.code, 0, logText(both));
    assert.equal(await twinSql('SELECT count(*) FROM app.subscriptions s JOIN app.users u ON u.email = s.email'), '30');
    assert.equal(await twinSql("SELECT count(*) FROM app.subscriptions WHERE email LIKE '%@prod-mail.com'"), '0');
  } finally {
    await prodSql('DROP TABLE app.subscriptions');
  }
});

test('a unique column too short for a unique fake: a clear error naming the rule, before anything runs', async () => {
  await prodSql("CREATE TABLE app.logins (id int PRIMARY KEY, email varchar(20) UNIQUE); INSERT INTO app.logins SELECT i, 'u' || i || '@prod-mail.com' FROM generate_series(1, 40) i");
  try {
    const namesBefore = branchNames();
    const r = await sync({ mask: 'app.logins.email: fake-email' });
    assert.equal(r.code, 1, logText(r));
    assert.match(r.errors.join('\n'), /`mask`: line 1: `app\.logins\.email` is unique, and this rule keeps only 1 hex character of the hash in a character varying\(20\) column/);
    assert.deepEqual(branchNames(), namesBefore);
    const hashed = await sync({ mask: 'app.logins.email: hash' });
    assert.equal(hashed.code, 0, logText(hashed));
    assert.equal(await twinSql('SELECT count(DISTINCT email) FROM app.logins'), '40');
  } finally {
    await prodSql('DROP TABLE app.logins');
  }
});

test('partitioned tables: a pattern on the parent covers its partitions (selected with all of them, masked, or their data excluded)', async () => {
  await prodSql(`CREATE TABLE app.events (id int NOT NULL, at date NOT NULL, body text) PARTITION BY RANGE (id);
    CREATE TABLE app.events_1 PARTITION OF app.events FOR VALUES FROM (0) TO (100);
    CREATE TABLE app.events_2 PARTITION OF app.events FOR VALUES FROM (100) TO (200);
    CREATE TABLE app.events_rest PARTITION OF app.events DEFAULT;
    INSERT INTO app.events SELECT i, '2026-01-01', 'e' || i FROM generate_series(1, 250) i`);
  const onTwin = async (name, sql) => String(await neon.query(neon.branches().find((b) => b.name === name).id, sql)).trim();
  try {
    const only = await sync({ tables: 'app.events', 'twin-branch': 'twin-parts' });
    assert.equal(only.code, 0, logText(only));
    assert.equal(await onTwin('twin-parts', 'SELECT count(*) FROM app.events'), '250');
    assert.equal(await onTwin('twin-parts', "SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.events'::regclass"), '3');
    assert.equal(await onTwin('twin-parts', "SELECT to_regclass('app.users') IS NULL"), 't', 'only the selected table');

    // A mask on the partitioned table masks every partition (and is verified after masking).
    const masked = await sync({ tables: 'app.events', mask: 'events.body: fixed:redacted', 'twin-branch': 'twin-parts' });
    assert.equal(masked.code, 0, logText(masked));
    assert.equal(await onTwin('twin-parts', "SELECT count(*) || ' ' || count(*) FILTER (WHERE body = 'redacted') FROM app.events"), '250 250');
    assert.match(masked.summary, /\| `app\.events_rest` \| 51 \| 51 \| same after masking \| masked \|/);

    // One partition alone: its parent comes along with no sibling, and the run says so.
    const one = await sync({ tables: 'app.events_1', 'twin-branch': 'twin-parts' });
    assert.equal(one.code, 0, logText(one));
    assert.equal(await onTwin('twin-parts', "SELECT count(*) || ' ' || (SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.events'::regclass) FROM app.events"), '99 1');
    assert.match(one.summary, /`app\.events` is copied with 1 of its 3 partitions \(`app\.events_1`\): the others are not created/);

    const noData = await sync({ 'exclude-table-data': 'app.events', 'twin-branch': 'twin-parts' });
    assert.equal(noData.code, 0, logText(noData));
    assert.equal(await onTwin('twin-parts', 'SELECT count(*) FROM app.events'), '0');
    assert.equal(await onTwin('twin-parts', "SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.events'::regclass"), '3');
    assert.equal(await onTwin('twin-parts', 'SELECT count(*) FROM app.users'), '200');
  } finally {
    await prodSql('DROP TABLE app.events');
  }
});

test('plain target-url: a failed sync leaves the database as it was; a good one renames staging into place and keeps the old one as backup', async () => {
  const devPassword = 'dev-owner-pw-71c2e0';
  await prod.psql(`CREATE ROLE dev_owner LOGIN CREATEDB PASSWORD '${devPassword}'`);
  await prod.psql('CREATE DATABASE devcopy OWNER dev_owner');
  const devSql = async (sql, db = 'devcopy') => (await prod.psql(sql, { db, user: 'dev_owner' })).trim();
  await devSql('CREATE TABLE stale (x int); INSERT INTO stale SELECT generate_series(1, 3)');
  const databases = async () => (await prod.psql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'devcopy%'")).trim().split(',');
  const urlSync = (opts) => runAction({
    inputs: {
      mode: 'sync',
      'source-url': sourceUrl,
      'target-url': `postgresql://dev_owner:${devPassword}@127.0.0.1:${prod.port}/devcopy`,
      'slack-webhook-url': slack.url,
    },
    eventName: 'schedule',
    event: scheduleEvent(),
    timeoutMs: 240000,
    ...opts,
  });

  const failed = await urlSync({ env: { NEON_GITOPS_TEST_STAGING_SQL: "INSERT INTO public.settings VALUES ('intruder', 'x')" } });
  assert.notEqual(failed.code, 0, logText(failed));
  const error = failed.errors.join('\n');
  assert.match(error, /sync failed during verification/, error);
  assert.match(error, /public\.settings: production had 2 rows in the snapshot, staging has 3/);
  assert.deepEqual(await databases(), ['devcopy'], 'the staging database was dropped');
  assert.equal(await devSql('SELECT count(*) FROM stale'), '3', 'the target is as it was');
  assert.ok(!JSON.stringify(slack.messages.at(-1)).includes(devPassword));

  const r = await urlSync();
  assert.equal(r.code, 0, logText(r));
  assert.deepEqual(await fingerprint((sql) => devSql(sql)), await fingerprint(prodSql));
  assert.equal(await devSql("SELECT count(*) FROM pg_class WHERE relname = 'stale'"), '0');
  const backup = r.outputs.backup_branch;
  assert.match(backup, /^devcopy_old_\d{8}T\d{6}Z$/);
  assert.deepEqual(await databases(), ['devcopy', backup].sort());
  assert.equal(await devSql('SELECT count(*) FROM stale', backup), '3', 'the previous state is kept');
  assert.equal(await devSql('SELECT count(*) FROM app.order_totals'), '200', 'the materialised view is populated');

  // Backups never collide: with the names of the coming seconds taken (as by another sync
  // within the same second), the next free second's name is used.
  const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const taken = [];
  for (let i = 0; i < 15; i++) taken.push(`devcopy_old_${stamp(Date.now() + i * 1000)}`);
  const made = [];
  for (const name of taken) {
    const exists = (await prod.psql(`SELECT count(*) FROM pg_database WHERE datname = '${name}'`)).trim() === '1';
    if (!exists) { await prod.psql(`CREATE DATABASE "${name}"`); made.push(name); }
  }
  try {
    const again = await urlSync();
    assert.equal(again.code, 0, logText(again));
    assert.match(again.outputs.backup_branch, /^devcopy_old_\d{8}T\d{6}Z$/);
    assert.ok(!taken.includes(again.outputs.backup_branch), again.outputs.backup_branch);
  } finally {
    for (const name of made) await prod.psql(`DROP DATABASE IF EXISTS "${name}"`);
  }
});
