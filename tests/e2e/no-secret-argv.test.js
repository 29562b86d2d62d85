'use strict';
// Issue 7 §1, third item: no secret on a command line. Every process's argv is visible
// to anyone on the machine (`ps`, /proc/<pid>/cmdline), its environment only to the same
// user. So psql, pg_dump and pg_restore must get passwords through PGPASSWORD or a 0600
// PGPASSFILE, and the user's migrate-command must not inherit the action's secret inputs
// (the runner puts them in the node process's environment as INPUT_<NAME>).
//
// How: `pg-bin-dir` points at wrapper scripts written here. Each records its argv and the
// NAMES of its environment (plus the mode of any PGPASSFILE while it exists) to a log,
// then execs the real binary. migrate, sync and preview (with migrations) run through
// them; the logs are searched for every secret in raw, URL-encoded and base64 forms.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pullRequestEvent, scheduleEvent, workflowDispatchEvent } = require('../support/events');
const { neonInputs } = require('../support/action-runs');
const { makeWorkspace } = require('../support/workspace');
const { secretForms } = require('../support/secrets');
const { registerSecret } = require('../support/guard');
const { callApi, waitForOperations } = require('../emulators/neon/helpers');
const { startBed, describeRun, run } = require('./hardening-helpers');

// A password with every character that gets encoded in a URL, so both forms are looked for.
const APP_PASSWORD = 'p@ss:w/rd%+ #é&?=';
const SLACK_URL = 'https://hooks.slack.com/services/T0000/B0000/argvtestsecretXYZ123';
const SECRET_INPUT_VARS = ['INPUT_NEON-API-KEY', 'INPUT_GITHUB-TOKEN', 'INPUT_DATABASE-URL', 'INPUT_SOURCE-URL', 'INPUT_TARGET-URL', 'INPUT_SLACK-WEBHOOK-URL'];

let bed;
let appUrl;
let wrappers;
let logDir;
let syncCalls;

before(async () => {
  bed = await startBed();
  registerSecret('app password', APP_PASSWORD);
  await bed.pg.psql(`CREATE ROLE app_owner LOGIN PASSWORD '${APP_PASSWORD.replace(/'/g, "''")}'`);
  await bed.pg.psql(`ALTER DATABASE ${bed.prod.name} OWNER TO app_owner`);
  await bed.prod.psql('ALTER TABLE users OWNER TO app_owner');
  appUrl = `postgresql://app_owner:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${bed.pg.port}/${bed.prod.name}`;
  registerSecret('app url', appUrl);
  // The twin sync refreshes.
  const created = await callApi(bed.neon.apiUrl, bed.neon.apiKey, 'POST', `/projects/${bed.neon.projectId}/branches`, { branch: { name: 'twin' }, endpoints: [{ type: 'read_write' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitForOperations((m, p) => callApi(bed.neon.apiUrl, bed.neon.apiKey, m, p), (p) => `/projects/${bed.neon.projectId}${p}`, created.body.operations);

  const dir = bed.tempDir('argv-wrappers-');
  wrappers = path.join(dir, 'bin');
  logDir = path.join(dir, 'log');
  fs.mkdirSync(wrappers);
  fs.mkdirSync(logDir);
  for (const tool of ['psql', 'pg_dump', 'pg_restore']) {
    fs.writeFileSync(path.join(wrappers, tool), [
      '#!/bin/sh',
      // One log per call: argv one per line, then the environment's names, then the
      // PGPASSFILE's mode while the call runs (the file must be gone afterwards).
      `log=${JSON.stringify(logDir)}/${tool}.$$.$(date +%s%N).log`,
      '{',
      `  printf 'PROGRAM %s\\n' ${JSON.stringify(tool)}`,
      '  for a in "$@"; do printf \'ARG %s\\n\' "$a"; done',
      // The environment as this process received it (a shell drops names like
      // INPUT_NEON-API-KEY from what it passes on, so ask /proc, not the shell).
      '  tr \'\\0\' \'\\n\' < /proc/$$/environ | sed -n \'s/^\\([A-Za-z_][^=]*\\)=.*/ENV \\1/p\'',
      '  if [ -n "${PGPASSFILE:-}" ]; then printf \'PASSFILE %s %s\\n\' "$PGPASSFILE" "$(stat -c %a "$PGPASSFILE" 2>/dev/null || echo missing)"; fi',
      '} > "$log"',
      `exec ${JSON.stringify(path.join(bed.pg.clientBinDir, tool))} "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
  }
});
after(async () => { await bed?.stop(); });

/** The calls recorded since the last reset: { program, args, env: Set, passfile, file }. */
function calls() {
  return fs.readdirSync(logDir).sort().map((f) => {
    const lines = fs.readFileSync(path.join(logDir, f), 'utf8').split('\n');
    const call = { file: f, program: null, args: [], env: new Set(), passfile: null };
    for (const l of lines) {
      if (l.startsWith('PROGRAM ')) call.program = l.slice(8);
      else if (l.startsWith('ARG ')) call.args.push(l.slice(4));
      else if (l.startsWith('ENV ')) call.env.add(l.slice(4));
      else if (l.startsWith('PASSFILE ')) { const [file, mode] = l.slice(9).split(' '); call.passfile = { file, mode }; }
      else if (call.args.length) call.args[call.args.length - 1] += `\n${l}`; // an argument with a newline
    }
    return call;
  });
}
function resetLogs() {
  for (const f of fs.readdirSync(logDir)) fs.rmSync(path.join(logDir, f));
}

/** Everything secret this bed knows, with its encodings. */
function secrets(extra = []) {
  const list = [
    { name: 'neon api key', value: bed.neon.apiKey },
    { name: 'github token', value: bed.gh.token },
    { name: 'postgres password', value: bed.pg.password },
    { name: 'production url', value: bed.prod.url },
    { name: 'app password', value: APP_PASSWORD },
    { name: 'app url', value: appUrl },
    { name: 'neon role password', value: bed.neon.password() },
    { name: 'slack webhook', value: SLACK_URL },
    ...extra,
  ];
  return list.filter((s) => s.value);
}

/** argv with a connection target in it: these calls need a password from somewhere. */
function connects(call) {
  return call.args.some((a) => /^postgres(ql)?:\/\//.test(a) || /(^|\s)host=/.test(a) || a === '-d' || a.startsWith('--dbname') || a === '-h' || a.startsWith('--host'));
}

function assertNoSecretInArgv(all, extra = []) {
  assert.ok(all.length > 0, 'the wrappers were called');
  for (const s of secrets(extra)) {
    const forms = secretForms(s.value);
    for (const call of all) {
      const argv = call.args.join('\n');
      for (const f of forms) {
        assert.ok(!argv.includes(f.text), `${s.name} (${f.form}) on the command line of ${call.program} (${call.file})`);
      }
    }
  }
  const connecting = all.filter(connects);
  assert.ok(connecting.length > 0, 'some calls connected');
  for (const call of connecting) {
    assert.ok(call.env.has('PGPASSWORD') || call.env.has('PGPASSFILE'), `${call.program} ${call.args.join(' ')}: no PGPASSWORD or PGPASSFILE`);
    if (call.passfile) {
      assert.equal(call.passfile.mode, '600', `PGPASSFILE ${call.passfile.file} has mode ${call.passfile.mode}`);
      assert.ok(!fs.existsSync(call.passfile.file), `PGPASSFILE ${call.passfile.file} was not removed`);
    }
  }
}

function assertNoSecretInputs(all, label) {
  for (const call of all) {
    const inherited = SECRET_INPUT_VARS.filter((v) => call.env.has(v));
    assert.deepEqual(inherited, [], `${label}: ${call.program} ${call.args.join(' ')} inherited the action's secret inputs`);
  }
}

test('the check itself: a password in argv (raw or URL-encoded), a connection without one, a loose or leftover PGPASSFILE are caught', () => {
  const call = (args, env = ['PGPASSWORD'], passfile = null) => ({ file: 'x.log', program: 'psql', args, env: new Set(env), passfile });
  const ok = call(['-X', '-d', 'postgresql://app_owner@127.0.0.1:5432/prod']);
  assertNoSecretInArgv([ok]);
  for (const bad of [
    [call(['-d', appUrl])],
    [call(['-d', `postgresql://app_owner:${APP_PASSWORD}@h/db`])],
    [call(['-d', 'postgresql://app_owner@h/db', '-c', `select '${encodeURIComponent(APP_PASSWORD)}'`])],
    [call(['-d', 'postgresql://app_owner@h/db'], [])],
    [call(['-d', 'postgresql://app_owner@h/db'], ['PGPASSFILE'], { file: '/nonexistent/pgpass', mode: '644' })],
    [call(['-d', 'postgresql://app_owner@h/db'], ['PGPASSFILE'], { file: __filename, mode: '600' })],
  ]) {
    assert.throws(() => assertNoSecretInArgv(bad), assert.AssertionError, JSON.stringify(bad[0].args));
  }
});

test('migrate: psql gets the password in its environment, never in argv, and none of the secret inputs', async () => {
  resetLogs();
  const ws = await makeWorkspace({ files: { 'migrations/001_orders.sql': 'CREATE TABLE orders (id int);\n', 'migrations/002_items.sql': 'CREATE TABLE items (id int);\n' } });
  bed.defer(() => ws.cleanup());
  const r = await run(bed, {
    workspace: ws.path,
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(),
    inputs: { mode: 'migrate', 'database-url': appUrl, 'pg-bin-dir': wrappers, 'neon-api-key': bed.neon.apiKey, 'slack-webhook-url': SLACK_URL },
  });
  try {
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(JSON.parse(r.outputs.applied), ['001_orders.sql', '002_items.sql']);
    const all = calls();
    assert.ok(all.some((c) => c.program === 'psql' && connects(c)), 'psql connected through the wrapper');
    assertNoSecretInArgv(all);
    assertNoSecretInputs(all, 'migrate');
  } finally {
    await bed.prod.psql('DROP TABLE IF EXISTS orders, items, neon_gitops_migrations');
  }
});

test('preview with migrations: psql on the branch gets the revealed password in its environment only', async () => {
  resetLogs();
  const number = 61;
  const ws = await makeWorkspace({ files: { 'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n' } });
  bed.defer(() => ws.cleanup());
  bed.gh.setPullFiles(number, [{ filename: 'migrations/001_nickname.sql', status: 'added' }]);
  const r = await run(bed, {
    workspace: ws.path,
    eventName: 'pull_request',
    event: pullRequestEvent({ number, headRef: 'feature/argv' }),
    inputs: { mode: 'preview', ...neonInputs(bed.neon), 'pg-bin-dir': wrappers },
  });
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(JSON.parse(r.outputs.migrations_applied).map((m) => m.path), ['migrations/001_nickname.sql']);
  const all = calls();
  assertNoSecretInArgv(all, [{ name: 'branch url', value: r.outputs.db_url }, { name: 'branch password', value: r.outputs.password }]);
  assertNoSecretInputs(all, 'preview');
});

test('sync: pg_dump, pg_restore and psql get both passwords in their environment only', async () => {
  resetLogs();
  const r = await run(bed, {
    eventName: 'schedule',
    event: scheduleEvent(),
    timeoutMs: 180000,
    inputs: {
      mode: 'sync',
      'source-url': appUrl,
      'neon-api-key': bed.neon.apiKey,
      'neon-project-id': bed.neon.projectId,
      'neon-api-host': bed.neon.apiUrl,
      'twin-branch': 'twin',
      'pg-bin-dir': wrappers,
    },
  });
  assert.equal(r.code, 0, describeRun(r));
  const all = calls();
  for (const tool of ['pg_dump', 'pg_restore']) assert.ok(all.some((c) => c.program === tool && connects(c)), `${tool} ran through the wrapper`);
  const twin = bed.neon.branches().find((b) => b.name === 'twin');
  assertNoSecretInArgv(all, [{ name: 'twin url', value: bed.neon.connectionUri(twin.id) }]);
  syncCalls = all;
});

// Not a command-line leak (a process's environment is private to its user), but the same
// least privilege as migrate and preview: the client tools need no action input.
test('sync: the client tools do not inherit the action\'s secret inputs', () => {
  assert.ok(syncCalls, 'the sync run above recorded its calls');
  assertNoSecretInputs(syncCalls, 'sync');
});

// ---------------------------------------------------------------------------
// migrate-command: the user's tool sees DATABASE_URL/DIRECT_URL, not the action's secrets.

const DUMP_ENV = [
  '#!/bin/sh',
  // NUL-separated NAME=value pairs, as the process received them: a shell would drop
  // names like INPUT_NEON-API-KEY from what it passes on, /proc does not.
  'cat /proc/$$/environ > "$ENV_DUMP"',
  '',
].join('\n');

function readEnvDump(file) {
  const env = {};
  for (const pair of fs.readFileSync(file, 'utf8').split('\0').filter(Boolean)) {
    const eq = pair.indexOf('=');
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function assertCleanEnv(env, { url, label }) {
  assert.equal(env.DATABASE_URL, url, `${label}: DATABASE_URL`);
  assert.equal(env.DIRECT_URL, url, `${label}: DIRECT_URL`);
  assert.deepEqual(SECRET_INPUT_VARS.filter((v) => v in env), [], `${label}: the action's secret inputs reached migrate-command`);
  // No secret anywhere else in its environment, in any form.
  for (const s of [{ name: 'neon api key', value: bed.neon.apiKey }, { name: 'github token', value: bed.gh.token }, { name: 'slack webhook', value: SLACK_URL }]) {
    for (const [k, v] of Object.entries(env)) {
      for (const f of secretForms(s.value)) assert.ok(!v.includes(f.text), `${label}: ${s.name} (${f.form}) in ${k}`);
    }
  }
}

test('migrate-command (migrate): the tool gets DATABASE_URL, not INPUT_NEON-API-KEY, INPUT_GITHUB-TOKEN, INPUT_DATABASE-URL, …', async () => {
  const dir = bed.tempDir('env-dump-');
  const dump = path.join(dir, 'env');
  const ws = await makeWorkspace({ files: { 'scripts/dump-env.sh': DUMP_ENV } });
  bed.defer(() => ws.cleanup());
  const r = await run(bed, {
    workspace: ws.path,
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(),
    env: { ENV_DUMP: dump },
    inputs: { mode: 'migrate', 'database-url': appUrl, 'migrate-command': 'sh scripts/dump-env.sh', 'neon-api-key': bed.neon.apiKey, 'slack-webhook-url': SLACK_URL },
  });
  assert.equal(r.code, 0, describeRun(r));
  assert.ok(r.childEnv['INPUT_NEON-API-KEY'] && r.childEnv['INPUT_GITHUB-TOKEN'], 'the runner did give the action its secret inputs');
  assertCleanEnv(readEnvDump(dump), { url: appUrl, label: 'migrate' });
  assert.equal(readEnvDump(dump).ENV_DUMP, dump, 'the rest of the environment is inherited');
});

test('migrate-command (preview): the tool gets the branch URL, not the action\'s secret inputs', async () => {
  const number = 62;
  const dir = bed.tempDir('env-dump-');
  const dump = path.join(dir, 'env');
  const ws = await makeWorkspace({ files: { 'scripts/dump-env.sh': DUMP_ENV } });
  bed.defer(() => ws.cleanup());
  bed.gh.setPullFiles(number, []);
  const r = await run(bed, {
    workspace: ws.path,
    eventName: 'pull_request',
    event: pullRequestEvent({ number, headRef: 'feature/env' }),
    env: { ENV_DUMP: dump },
    inputs: { mode: 'preview', ...neonInputs(bed.neon), 'migrate-command': 'sh scripts/dump-env.sh', 'slack-webhook-url': SLACK_URL },
  });
  assert.equal(r.code, 0, describeRun(r));
  assertCleanEnv(readEnvDump(dump), { url: r.outputs.db_url, label: 'preview' });
});
