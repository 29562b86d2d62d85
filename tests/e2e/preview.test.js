'use strict';
// mode: preview, end to end: dist/ run as the GitHub runner runs it, against the Neon
// emulator (real Postgres branches behind a TLS proxy) and the GitHub emulator. Covers
// every item of issue 4's acceptance list: a PR's life (open, push, push again, fail,
// close), migrate-command, forks, hostile head refs, slow computes and 423s.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startPostgres } = require('../support/postgres');
const { startNeonEmulator } = require('../emulators/neon');
const { startGitHubEmulator } = require('../emulators/github');
const { runPreview } = require('../support/action-runs');
const { makeWorkspace } = require('../support/workspace');
const { collectVisible, findLeaks } = require('../support/secrets');

let pg;
let neon;
let gh;
const workspaces = [];

before(async () => {
  pg = await startPostgres();
  neon = await startNeonEmulator({ pg, operationMs: 150, computeStartMs: 300 });
  gh = await startGitHubEmulator({ repo: 'acme/shop' });
  // The parent (production-like) state every preview branch starts from.
  await neon.query(neon.defaultBranchId, `
    CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    INSERT INTO users VALUES (1, 'ada@example.com'), (2, 'grace@example.com'), (3, 'linus@example.com');
  `);
});
after(async () => {
  for (const ws of workspaces) ws.cleanup();
  await gh?.stop();
  await neon?.stop();
  await pg?.stop();
});

const M1 = {
  'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX users_email_idx ON users (email);\n',
};
const M2 = {
  'migrations/002_orders.sql': 'CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  user_id int NOT NULL REFERENCES users (id)\n);\n',
};
const BAD = {
  'migrations/002_broken.sql': '-- adds a flag\n\nALTER TABLE no_such_table ADD COLUMN flag boolean;\n',
};

async function checkout(files) {
  const ws = await makeWorkspace({ files: { 'README.md': '# shop\n', ...files } });
  workspaces.push(ws);
  return ws;
}

/** Tell the GitHub emulator which migration files PR `number` changes. */
function prFiles(number, files) {
  gh.setPullFiles(number, Object.entries(files).map(([filename, text]) => ({ filename, status: 'added', patch: addedPatch(text) })));
}

/** The lines of `b` that `a` lacks, and the other way round (for assertion messages). */
function lineDiff(a, b) {
  const [la, lb] = [a.split('\n'), b.split('\n')];
  return [...la.filter((l) => !lb.includes(l)).map((l) => `- ${l}`), ...lb.filter((l) => !la.includes(l)).map((l) => `+ ${l}`)].join('\n');
}

/** The diff GitHub shows for a new file: every line added. */
function addedPatch(text) {
  const lines = text.replace(/\n$/, '').split('\n');
  return `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}`;
}

function preview({ ws, number, action = 'opened', headRef = 'feature/orders', headSha, merged = false, inputs = {}, env = {}, fork = false }) {
  return runPreview({
    neon,
    gh,
    pgBinDir: pg.clientBinDir,
    workspace: ws?.path,
    pr: { action, number, headRef, headSha, merged, fork },
    inputs,
    env,
  });
}

const log = (r) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const branchNamed = (name) => neon.branches().filter((b) => b.name === name);
const q = async (branchId, sql) => String(await neon.query(branchId, sql)).trim();
const columns = async (branchId, table) => {
  const out = await q(branchId, `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${table}'`);
  return out ? out.split(',') : [];
};
const ghSince = (mark) => gh.requests.slice(mark);
const patches = (reqs) => reqs.filter((e) => e.method === 'PATCH' && /\/issues\/comments\//.test(e.path));
const posts = (reqs) => reqs.filter((e) => e.method === 'POST' && /\/issues\/\d+\/comments$/.test(e.path));

test('a PR\'s life: opened, synchronize with a new migration, identical synchronize, closed (merged), closed again', async () => {
  const number = 21;
  const name = 'preview/pr-21-feature/orders';

  // --- opened ---
  const ws1 = await checkout(M1);
  prFiles(number, M1);
  const headSha = await ws1.head();
  const r1 = await preview({ ws: ws1, number, headSha });
  assert.equal(r1.code, 0, log(r1));
  const [branch] = branchNamed(name);
  assert.ok(branch, 'branch created');
  assert.equal(branch.parent_id, neon.defaultBranchId);
  assert.equal(r1.outputs.branch_id, branch.id);
  assert.equal(r1.outputs.branch_name, name);
  assert.equal(r1.outputs.created, 'true');
  // The parent's data is there, and psql really applied the migration on the branch only.
  assert.equal(await q(branch.id, 'SELECT count(*) FROM users'), '3');
  assert.deepEqual(await columns(branch.id, 'users'), ['id', 'email', 'nickname']);
  assert.deepEqual(await columns(neon.defaultBranchId, 'users'), ['id', 'email']);
  assert.deepEqual(JSON.parse(r1.outputs.migrations_applied).map((m) => m.path), ['migrations/001_nickname.sql']);
  // Outputs: URLs reach the branch; secrets masked before they were set; nothing leaked.
  for (const k of ['db_url', 'db_url_pooled', 'db_host', 'db_host_pooled', 'password', 'comment_url', 'lint_findings']) assert.ok(r1.outputs[k], `output ${k}`);
  assert.match(r1.outputs.db_host_pooled, /-pooler\./);
  for (const secret of [r1.outputs.password, r1.outputs.db_url, r1.outputs.db_url_pooled]) {
    assert.ok(r1.maskValues.includes(secret), 'masked');
  }
  const leaks = findLeaks(collectVisible(r1, { github: gh }), [
    { name: 'password', value: r1.outputs.password },
    { name: 'api key', value: neon.apiKey },
    { name: 'github token', value: gh.token },
  ]);
  assert.deepEqual(leaks, []);
  // Lint: the non-concurrent index is reported as an annotation on the PR's file.
  const findings = JSON.parse(r1.outputs.lint_findings);
  assert.ok(findings.some((f) => f.rule === 'require-concurrent-index-creation' && f.file === 'migrations/001_nickname.sql'), r1.outputs.lint_findings);
  assert.ok(r1.annotations.some((a) => a.command === 'warning' && a.properties.file === 'migrations/001_nickname.sql' && a.properties.title === 'require-concurrent-index-creation'));
  // One comment: marker, branch link, lint, a real schema diff, the commit.
  let comments = gh.comments(number);
  assert.equal(comments.length, 1);
  const c1 = comments[0];
  assert.equal(r1.outputs.comment_url, c1.html_url);
  assert.ok(c1.body.startsWith(`<!-- neon-gitops:preview project=${neon.projectId} branch=${name} step=__neon-gitops -->`), c1.body);
  assert.match(c1.body, new RegExp(`https://console\\.neon\\.tech/app/projects/${neon.projectId}/branches/${branch.id}`));
  assert.match(c1.body, /created from `main`/);
  assert.match(c1.body, /require-concurrent-index-creation/);
  assert.match(c1.body, /```diff\n[\s\S]*\+.*nickname[\s\S]*```/);
  // The action's own tracking table is not a schema change of the PR; branches are named.
  assert.doesNotMatch(c1.body, /neon_gitops_migrations/);
  assert.match(r1.outputs.diff, /\+CREATE INDEX users_email_idx/);
  assert.doesNotMatch(r1.outputs.diff, /neon_gitops_migrations/);
  assert.match(c1.body, /In short: [^\n]*1 index added/);
  assert.match(c1.body, /\+\+\+ [^\n]*preview\/pr-21-feature\/orders/);
  assert.match(c1.body, /users_email_idx/);
  assert.match(c1.body, new RegExp(headSha.slice(0, 7)));
  assert.match(r1.summary, /Neon preview branch/);
  assert.match(r1.summary, /nickname/);
  assert.deepEqual(neon.validationErrors, []);
  assert.deepEqual(gh.validationErrors, []);

  // Something written on the branch by hand (or by the app under review) since then.
  await neon.query(branch.id, "INSERT INTO users VALUES (99, 'scratch@example.com')");

  // --- synchronize with a new migration ---
  const ws2 = await checkout({ ...M1, ...M2 });
  prFiles(number, { ...M1, ...M2 });
  const head2 = await ws2.head();
  let mark = neon.requests.length;
  let ghMark = gh.requests.length;
  const r2 = await preview({ ws: ws2, number, action: 'synchronize', headSha: head2 });
  assert.equal(r2.code, 0, log(r2));
  assert.equal(r2.outputs.created, 'false');
  assert.equal(r2.outputs.branch_id, branch.id, 'same branch');
  assert.equal(branchNamed(name).length, 1, 'no second branch');
  assert.ok(neon.requests.slice(mark).some((e) => e.method === 'POST' && e.path.endsWith(`/branches/${branch.id}/restore`) && e.status < 300), 'reset from the parent');
  // Reset: the scratch row is gone; both PR migrations applied again on fresh state.
  assert.equal(await q(branch.id, 'SELECT count(*) FROM users'), '3');
  assert.deepEqual(await columns(branch.id, 'users'), ['id', 'email', 'nickname']);
  assert.deepEqual(await columns(branch.id, 'orders'), ['id', 'user_id']);
  assert.deepEqual(JSON.parse(r2.outputs.migrations_applied).map((m) => m.path), ['migrations/001_nickname.sql', 'migrations/002_orders.sql']);
  comments = gh.comments(number);
  assert.equal(comments.length, 1, 'still one comment');
  assert.equal(comments[0].id, c1.id, 'the same comment');
  assert.equal(patches(ghSince(ghMark)).length, 1, 'updated in place');
  assert.equal(posts(ghSince(ghMark)).length, 0);
  assert.match(comments[0].body, /reset to the current state of `main`/);
  assert.match(comments[0].body, /orders/);
  assert.match(comments[0].body, new RegExp(head2.slice(0, 7)));

  // --- the same synchronize again: nothing new to say, the comment is not rewritten ---
  ghMark = gh.requests.length;
  const r3 = await preview({ ws: ws2, number, action: 'synchronize', headSha: head2 });
  assert.equal(r3.code, 0, log(r3));
  const rewritten = patches(ghSince(ghMark));
  if (rewritten.length) {
    const over = (r) => r.stdout.split('::debug::PR comment digest').slice(1).join('').replace(/%0A/g, '\n');
    console.log('DEBUGSTABLE', lineDiff(over(r2), over(r3)));
  }
  assert.equal(rewritten.length, 0, `digest unchanged: no PATCH; what changed:\n${lineDiff(comments[0].body, rewritten[0]?.requestBody?.body || '')}`);
  assert.equal(posts(ghSince(ghMark)).length, 0);
  assert.equal(gh.comments(number)[0].updated_at, comments[0].updated_at);
  assert.equal(r3.outputs.comment_url, c1.html_url);
  assert.match(r3.stdout, /unchanged \(same digest\)/);

  // --- closed (merged) ---
  const r4 = await preview({ ws: ws2, number, action: 'closed', merged: true, headSha: head2 });
  assert.equal(r4.code, 0, log(r4));
  assert.equal(branchNamed(name).length, 0, 'branch deleted');
  comments = gh.comments(number);
  assert.equal(comments.length, 1);
  assert.match(comments[0].body, /deleted: the pull request was merged/);
  assert.doesNotMatch(comments[0].body, /console\.neon\.tech/);

  // --- closed again (a re-run): success, nothing to change ---
  ghMark = gh.requests.length;
  const r5 = await preview({ ws: ws2, number, action: 'closed', merged: true, headSha: head2 });
  assert.equal(r5.code, 0, log(r5));
  assert.match(r5.stdout, /already gone/);
  assert.equal(patches(ghSince(ghMark)).length, 0);
  assert.equal(gh.comments(number).length, 1);
  assert.deepEqual(neon.validationErrors, []);
  assert.deepEqual(gh.validationErrors, []);
});

test('a failing migration: ::error file=…,line=…, the comment shows the error, the branch stays', async () => {
  const number = 22;
  const files = { ...M1, ...BAD };
  const ws = await checkout(files);
  prFiles(number, files);
  const r = await preview({ ws, number, headRef: 'feature/broken' });
  assert.equal(r.code, 1, log(r));
  const err = r.annotations.find((a) => a.command === 'error' && a.properties.file === 'migrations/002_broken.sql');
  assert.ok(err, JSON.stringify(r.annotations));
  assert.equal(err.properties.line, '3');
  assert.match(err.message, /no_such_table/);
  const [branch] = branchNamed('preview/pr-22-feature/broken');
  assert.ok(branch, 'branch kept for debugging');
  assert.equal(r.outputs.branch_id, branch.id);
  assert.deepEqual(await columns(branch.id, 'users'), ['id', 'email', 'nickname'], '001 applied before the failure');
  const [c] = gh.comments(number);
  assert.match(c.body, /migration failed in `migrations\/002\\_broken\.sql:3`/);
  assert.match(c.body, /no_such_table/);
  assert.match(c.body, /kept as it is after the failure/);

  // Closed without merging: deleted, and the comment says so.
  const closed = await preview({ ws, number, action: 'closed', headRef: 'feature/broken' });
  assert.equal(closed.code, 0, log(closed));
  assert.equal(branchNamed('preview/pr-22-feature/broken').length, 0);
  assert.match(gh.comments(number)[0].body, /deleted: the pull request was closed/);
  // A second close, with Neon answering 204 for the missing branch this time: success.
  neon.options.deleteMissingStatus = 204;
  try {
    const again = await preview({ ws, number, action: 'closed', headRef: 'feature/broken' });
    assert.equal(again.code, 0, log(again));
  } finally {
    neon.options.deleteMissingStatus = 404;
  }
});

test('migrate-command: a real script gets DATABASE_URL and DIRECT_URL (direct, unpooled), output grouped', async () => {
  const number = 23;
  const psql = path.join(pg.clientBinDir, 'psql');
  const script = [
    '#!/bin/sh',
    'set -eu',
    'case "$DIRECT_URL" in *-pooler.*) echo "DIRECT_URL is pooled" >&2; exit 3;; esac',
    '[ "$DATABASE_URL" = "$DIRECT_URL" ] || { echo "DATABASE_URL differs" >&2; exit 4; }',
    'echo "applying with my own tool"',
    `"${psql}" -X -v ON_ERROR_STOP=1 -q "$DATABASE_URL" -c "CREATE TABLE from_command (id int)"`,
    '',
  ].join('\n');
  const ws = await checkout({ 'scripts/migrate.sh': script, 'migrations/readme.txt': 'managed by scripts/migrate.sh\n' });
  fs.chmodSync(path.join(ws.path, 'scripts/migrate.sh'), 0o755);
  prFiles(number, {});
  const r = await preview({ ws, number, headRef: 'feature/tooling', inputs: { 'migrate-command': 'sh ./scripts/migrate.sh' } });
  assert.equal(r.code, 0, log(r));
  const [branch] = branchNamed('preview/pr-23-feature/tooling');
  assert.deepEqual(await columns(branch.id, 'from_command'), ['id']);
  assert.deepEqual(await columns(neon.defaultBranchId, 'from_command'), []);
  const group = r.commands.findIndex((c) => c.command === 'group' && c.message === 'migrate-command: sh ./scripts/migrate.sh');
  assert.ok(group >= 0, 'output in a group');
  assert.match(r.stdout, /applying with my own tool/);
  const [c] = gh.comments(number);
  assert.match(c.body, /`migrate-command` ` sh \.\/scripts\/migrate\.sh ` succeeded/);
  assert.match(c.body, /\+CREATE TABLE public\.from_command/);

  // A failing command fails the step, and the comment says why.
  const failing = await checkout({ 'scripts/migrate.sh': '#!/bin/sh\necho "boom: relation missing" >&2\nexit 5\n' });
  const rf = await preview({ ws: failing, number, action: 'synchronize', headRef: 'feature/tooling', inputs: { 'migrate-command': 'sh ./scripts/migrate.sh' } });
  assert.equal(rf.code, 1, log(rf));
  assert.ok(rf.errors.some((e) => /migrate-command `sh \.\/scripts\/migrate\.sh` failed/.test(e)), JSON.stringify(rf.errors));
  assert.match(gh.comments(number)[0].body, /exit code 5\nboom: relation missing/);
});

test('fork PR without an API key: one notice, exit 0, no call to Neon or GitHub', async () => {
  const mark = neon.requests.length;
  const ghMark = gh.requests.length;
  const ws = await checkout(M1);
  const r = await preview({ ws, number: 24, fork: true, inputs: { 'neon-api-key': '' } });
  assert.equal(r.code, 0, log(r));
  const notices = r.commands.filter((c) => c.command === 'notice');
  assert.equal(notices.length, 1);
  assert.match(notices[0].message, /fork/);
  assert.deepEqual(neon.requests.slice(mark), []);
  assert.deepEqual(ghSince(ghMark), []);
});

test('hostile head refs become valid branch names and nothing is executed', async () => {
  const hostile = [
    '$(touch x)',
    '`touch x`',
    'quote"\'s;touch x',
    'new\nline',
    'a'.repeat(300),
    'ünïcødé-名前-🚀',
  ];
  const ws = await checkout({ ...M1 });
  let number = 40;
  for (const headRef of hostile) {
    number++;
    prFiles(number, M1);
    const r = await preview({ ws, number, headRef });
    assert.equal(r.code, 0, `${JSON.stringify(headRef)}\n${log(r)}`);
    const name = r.outputs.branch_name;
    assert.match(name, /^preview\/pr-\d+(-[A-Za-z0-9._/-]*)?$/, name);
    assert.ok(name.length <= 256, `${name.length} chars`);
    assert.equal(branchNamed(name).length, 1, name);
    const [c] = gh.comments(number);
    assert.ok(c.body.includes(`branch=${name} step=__neon-gitops -->`));
    // Stable across pushes: the same ref gives the same name.
    const again = await preview({ ws, number, headRef, action: 'synchronize' });
    assert.equal(again.outputs.branch_name, name);
    assert.equal(again.outputs.created, 'false');
    for (const dir of [ws.path, process.cwd(), os.tmpdir(), ...(r.tempDirs || [])]) {
      assert.ok(!fs.existsSync(path.join(dir, 'x')), `no file x in ${dir}`);
    }
    const closed = await preview({ ws, number, headRef, action: 'closed' });
    assert.equal(closed.code, 0, log(closed));
  }
  assert.deepEqual(neon.validationErrors, []);
});

test('slow computes: the action waits and only then connects; 423s during creation still give one branch', async () => {
  const number = 25;
  const name = 'preview/pr-25-feature/slow';
  // Connects with psql from a migrate-command script, so the proxy log shows when.
  const psql = path.join(pg.clientBinDir, 'psql');
  const ws = await checkout({
    ...M1,
    'scripts/migrate.sh': `#!/bin/sh\nset -e\nfor f in migrations/*.sql; do "${psql}" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$f"; done\n`,
  });
  prFiles(number, M1);
  neon.options.computeStartMs = 4000;
  neon.faults.clear();
  neon.faults.add({ method: 'POST', path: /\/branches$/, times: 2, status: 423 });
  const connMark = neon.connections.length;
  const mark = neon.requests.length;
  let r;
  try {
    r = await preview({ ws, number, headRef: 'feature/slow', inputs: { 'migrate-command': 'sh scripts/migrate.sh' } });
  } finally {
    neon.options.computeStartMs = 300;
    neon.faults.clear();
  }
  assert.equal(r.code, 0, log(r));
  const creates = neon.requests.slice(mark).filter((e) => e.method === 'POST' && /\/branches$/.test(e.path));
  assert.deepEqual(creates.map((e) => e.status), [423, 423, 201]);
  const named = branchNamed(name);
  assert.equal(named.length, 1, 'exactly one branch');
  const endpoint = neon.endpoints().find((e) => e.branch_id === named[0].id);
  const mine = neon.connections.slice(connMark).filter((c) => c.endpointId === endpoint.id);
  assert.ok(mine.length > 0, 'the migration connected');
  assert.deepEqual(mine.filter((c) => c.error), [], 'no connection was refused as not ready');
  const created = Date.parse(creates[2].at);
  assert.ok(Date.parse(mine[0].at) - created >= 3500, `first connection ${Date.parse(mine[0].at) - created} ms after the create`);
  assert.deepEqual(await columns(named[0].id, 'users'), ['id', 'email', 'nickname']);
});

test('closing a preview branch that has child branches: a clear error naming them', async () => {
  const number = 27;
  const ws = await checkout({ 'README.md': '# no migrations\n' });
  prFiles(number, {});
  // No migration in this PR: `comment: always` so there is a comment to check.
  const opened = await preview({ ws, number, headRef: 'feature/parent', inputs: { comment: 'always' } });
  assert.equal(opened.code, 0, log(opened));
  // Someone branched off the preview branch by hand.
  const res = await fetch(`${neon.apiUrl}/projects/${neon.projectId}/branches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${neon.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: { name: 'debug-copy', parent_id: opened.outputs.branch_id } }),
  });
  assert.equal(res.status, 201);
  const child = (await res.json()).branch;
  await new Promise((r) => setTimeout(r, 400)); // its operations finish
  const closed = await preview({ ws, number, action: 'closed', headRef: 'feature/parent' });
  assert.equal(closed.code, 1, log(closed));
  assert.equal(closed.errors.length, 1, JSON.stringify(closed.errors));
  assert.match(closed.errors[0], /has child branches: debug-copy/);
  assert.ok(closed.errors[0].includes(child.id));
  assert.equal(branchNamed('preview/pr-27-feature/parent').length, 1, 'nothing deleted');
  assert.doesNotMatch(gh.comments(number)[0].body, /deleted/);
});

test('fail-on: warning fails the step only after the branch, outputs and comment are done; branch-ttl sets expires_at', async () => {
  const number = 28;
  const ws = await checkout({ ...M1, 'scripts/noop.sh': '#!/bin/sh\necho nothing to migrate\n' });
  prFiles(number, M1);
  const r = await preview({ ws, number, headRef: 'feature/strict', inputs: { 'fail-on': 'warning', 'branch-ttl': '2d', 'migrate-command': 'sh scripts/noop.sh' } });
  assert.equal(r.code, 1, log(r));
  assert.ok(r.errors.some((e) => /lint finding\(s\).*`fail-on: warning`/.test(e)), JSON.stringify(r.errors));
  assert.ok(r.outputs.db_url && r.outputs.comment_url && r.outputs.lint_findings, 'outputs set before failing');
  assert.match(gh.comments(number)[0].body, /require-concurrent-index-creation/);
  const [branch] = branchNamed('preview/pr-28-feature/strict');
  const ttl = Date.parse(branch.expires_at) - Date.now();
  assert.ok(ttl > 47 * 3600e3 && ttl <= 48 * 3600e3, `expires in ${ttl} ms`);
  // fail-on: never → the same findings are reported and the step passes.
  const lenient = await preview({ ws, number, action: 'synchronize', headRef: 'feature/strict', inputs: { 'fail-on': 'never', 'migrate-command': 'sh scripts/noop.sh' } });
  assert.equal(lenient.code, 0, log(lenient));
  assert.ok(lenient.annotations.some((a) => a.properties.title === 'require-concurrent-index-creation'));
});

test('the comment is found on any page, and a reply quoting it is not mistaken for it', async () => {
  const number = 29;
  const ws = await checkout({ 'README.md': '# no migrations\n' });
  prFiles(number, {});
  for (let i = 0; i < 120; i++) gh.seedComment(number, `review comment ${i}`);
  // No migration in this PR: `comment: always` so there is a comment to find.
  const r1 = await preview({ ws, number, headRef: 'feature/chatty', inputs: { comment: 'always' } });
  assert.equal(r1.code, 0, log(r1));
  const ours = () => gh.comments(number).filter((c) => c.body.includes('neon-gitops:preview'));
  assert.equal(ours().length, 1);
  // A reviewer quotes the comment; more discussion follows.
  gh.seedComment(number, `> ${ours()[0].body.split('\n')[0]}\n> ### Neon preview\n\nwhy is this reset?`);
  for (let i = 0; i < 90; i++) gh.seedComment(number, `more discussion ${i}`);
  const ghMark = gh.requests.length;
  const r2 = await preview({ ws, number, headRef: 'feature/chatty', action: 'synchronize' });
  assert.equal(r2.code, 0, log(r2));
  assert.equal(r2.outputs.comment_url, r1.outputs.comment_url, 'the same comment');
  const lists = ghSince(ghMark).filter((e) => e.method === 'GET' && /\/issues\/29\/comments$/.test(e.path));
  assert.ok(lists.length >= 3, `paginated: ${lists.length} pages read`);
  assert.equal(posts(ghSince(ghMark)).length, 0);
  assert.equal(ours().filter((c) => c.body.startsWith('<!--')).length, 1);
  assert.match(gh.comments(number).find((c) => c.body.startsWith('> ')).body, /why is this reset/, 'the reply is untouched');
});

test('concurrent runs for one PR: one branch, one comment', async () => {
  const number = 26;
  const ws = await checkout(M1);
  prFiles(number, M1);
  const [a, b] = await Promise.all([
    preview({ ws, number, headRef: 'feature/race' }),
    preview({ ws, number, headRef: 'feature/race' }),
  ]);
  assert.equal(a.code, 0, log(a));
  assert.equal(b.code, 0, log(b));
  assert.equal(branchNamed('preview/pr-26-feature/race').length, 1);
  assert.equal(a.outputs.branch_id, b.outputs.branch_id);
  assert.deepEqual([a.outputs.created, b.outputs.created].sort(), ['false', 'true']);
  assert.equal(gh.comments(number).length, 1);
});

test('closing finds a branch made under another name (create-branch-action) by its github-pr-number annotation', async () => {
  const number = 61;
  // Neon locks the project while an operation runs: wait as a client would.
  const idle = async () => { for (let i = 0; i < 100 && neon.operations().some((o) => o.status !== 'finished'); i++) await new Promise((r) => setTimeout(r, 50)); };
  await idle();
  const created = await fetch(`${neon.apiUrl}/projects/${neon.projectId}/branches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${neon.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: { name: `preview/pr-${number}-their-scheme` }, endpoints: [{ type: 'read_write' }], annotation_value: { 'github-pr-number': String(number), 'github-commit-repo': 'shop' } }),
  });
  assert.equal(created.status, 201);
  const { branch } = await created.json();
  await idle();
  // Another PR's branch with another number is never touched.
  const other = await fetch(`${neon.apiUrl}/projects/${neon.projectId}/branches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${neon.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: { name: 'preview/pr-62-their-scheme' }, annotation_value: { 'github-pr-number': '62' } }),
  });
  assert.equal(other.status, 201);
  await idle();
  const ws = await checkout(M1);
  const r = await preview({ ws, number, headRef: 'feature/mine', action: 'closed' });
  assert.equal(r.code, 0, log(r));
  assert.match(log(r), /annotated with pull request #61/);
  assert.deepEqual(neon.branches().filter((b) => b.id === branch.id), [], 'deleted');
  assert.equal(branchNamed('preview/pr-62-their-scheme').length, 1, 'the other PR\'s branch is untouched');
});

test('rollback files and sections (golang-migrate .down.sql, Flyway U…__, dbmate down, Diesel down.sql, Liquibase --rollback) are never linted, planned or listed', async () => {
  const number = 63;
  const files = {
    'migrations/3_flag.up.sql': 'ALTER TABLE users ADD COLUMN flag3 boolean;\n',
    'migrations/3_flag.down.sql': 'TRUNCATE users CASCADE;\n',
    'migrations/U3__undo_flag.sql': 'TRUNCATE users CASCADE;\n',
    'migrations/20240101000000_dbmate_flag.sql': '-- migrate:up\nALTER TABLE users ADD COLUMN flag4 boolean;\n\n-- migrate:down\nTRUNCATE users CASCADE;\n',
    'migrations/2024-01-02-000000_diesel_flag/up.sql': 'ALTER TABLE users ADD COLUMN flag5 boolean;\n',
    'migrations/2024-01-02-000000_diesel_flag/down.sql': 'TRUNCATE users CASCADE;\n',
    'migrations/liquibase_flag.sql': '--liquibase formatted sql\n--changeset ann:flag6\nALTER TABLE users ADD COLUMN flag6 boolean;\n--rollback TRUNCATE users CASCADE;\n',
  };
  const ws = await checkout(files);
  prFiles(number, files);
  const r = await preview({ ws, number, headRef: 'feature/rollbacks', headSha: await ws.head() });
  assert.equal(r.code, 0, log(r));
  const findings = JSON.parse(r.outputs.lint_findings);
  assert.deepEqual(findings.filter((f) => /down|U3__/.test(f.file)), [], r.outputs.lint_findings);
  // No rule fires on a TRUNCATE: every one of them is in a rollback.
  assert.deepEqual(findings.filter((f) => /truncate/i.test(`${f.rule} ${f.message}`)), [], r.outputs.lint_findings);
  const [branch] = branchNamed('preview/pr-63-feature/rollbacks');
  assert.deepEqual((await columns(branch.id, 'users')).filter((c) => /^flag/.test(c)).sort(), ['flag3', 'flag4', 'flag5', 'flag6']);
  assert.equal(await q(branch.id, 'SELECT count(*) FROM users'), '3', 'no rollback ran');
  const [comment] = gh.comments(number);
  assert.ok(!/3\\?_flag\.down\.sql|U3\\?_\\?_undo/.test(comment.body), comment.body);
  assert.match(comment.body, /3\\?_flag\.up\.sql \| plain-sql/);
});

test('a PR editing a migration production applied: one error annotation on that file, its new migration still rehearsed, no `migrate-command` anywhere', async () => {
  const { callApi, waitForOperations } = require('../emulators/neon/helpers');
  const { mergedPr, migrate } = require('./migrate-helpers');
  const api = (m, p, body) => callApi(neon.apiUrl, neon.apiKey, m, `/projects/${neon.projectId}${p}`, body);
  // A production-like parent whose history mode: migrate wrote (the tracking table).
  const created = await api('POST', '/branches', { branch: { name: 'prod-history' }, endpoints: [{ type: 'read_write' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitForOperations((m, p) => callApi(neon.apiUrl, neon.apiKey, m, p), (p) => `/projects/${neon.projectId}${p}`, created.body.operations);
  const parentId = created.body.branch.id;
  const base = { 'migrations/000_tags.sql': 'CREATE TABLE tags (id int PRIMARY KEY, label text);\n' };
  const prod = await mergedPr(base, {});
  const applied = await migrate({ ...prod, db: { url: neon.connectionUri(parentId) }, inputs: { 'pg-bin-dir': pg.clientBinDir } });
  assert.equal(applied.code, 0, log(applied));

  const number = 64;
  const pr = {
    'migrations/000_tags.sql': 'CREATE TABLE tags (id int PRIMARY KEY, label text NOT NULL);\n',
    'migrations/001_colors.sql': 'CREATE TABLE colors (id int PRIMARY KEY);\n',
  };
  const ws = await checkout(pr);
  prFiles(number, pr);
  const r = await preview({ ws, number, headRef: 'feature/edit-history', headSha: await ws.head(), inputs: { parent: 'prod-history' } });
  assert.equal(r.code, 1, log(r));
  // One annotation on the edited file (the step's own error names it too, without a file).
  const errors = r.annotations.filter((a) => a.command === 'error' && a.properties.file);
  assert.equal(errors.length, 1, JSON.stringify(r.annotations));
  assert.equal(errors[0].properties.file, 'migrations/000_tags.sql');
  assert.match(errors[0].message, /`migrations\/000_tags\.sql` was applied to production on \d{4}-\d{2}-\d{2}; editing it changes nothing there — add a new migration/);
  // The PR's new migration was still applied to the preview branch.
  const [branch] = branchNamed('preview/pr-64-feature/edit-history');
  assert.equal(await q(branch.id, "SELECT to_regclass('public.colors') IS NOT NULL"), 't');
  const [comment] = gh.comments(number);
  assert.match(comment.body, /1 migration applied/);
  assert.match(comment.body, /was applied to production on/);
  for (const text of [log(r), comment.body]) assert.doesNotMatch(text, /migrate-command/);
});

test('parent-timestamp: the preview branch holds the parent as it was then (a row written later is absent), and a reset on push goes back to that same point', async () => {
  const { callApi, waitForOperations } = require('../emulators/neon/helpers');
  const api = (m, p, body) => callApi(neon.apiUrl, neon.apiKey, m, `/projects/${neon.projectId}${p}`, body);
  const created = await api('POST', '/branches', { branch: { name: 'pit-parent' }, endpoints: [{ type: 'read_write' }] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitForOperations((m, p) => callApi(neon.apiUrl, neon.apiKey, m, p), (p) => `/projects/${neon.projectId}${p}`, created.body.operations);
  const parentId = created.body.branch.id;
  await q(parentId, 'CREATE TABLE events (id int PRIMARY KEY); INSERT INTO events VALUES (1)');
  // The emulator keeps history where a test asks (tests/emulators/neon/README.md).
  const cp = await neon.checkpoint(parentId);
  const at = new Date(Math.ceil((cp.at + 1) / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  while (Date.now() < Date.parse(at) + 100) await new Promise((res) => setTimeout(res, 50));
  await q(parentId, 'INSERT INTO events VALUES (2)');

  const number = 65;
  const files = { 'migrations/001_note.sql': 'ALTER TABLE events ADD COLUMN note text;\n' };
  const ws = await checkout(files);
  prFiles(number, files);
  const inputs = { parent: 'pit-parent', 'parent-timestamp': at };
  const r1 = await preview({ ws, number, headRef: 'feature/pit', headSha: await ws.head(), inputs });
  assert.equal(r1.code, 0, log(r1));
  const [branch] = branchNamed('preview/pr-65-feature/pit');
  assert.equal(branch.parent_timestamp, new Date(at).toISOString().replace(/\.000Z$/, 'Z'));
  assert.equal(await q(branch.id, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM events'), '1', 'the parent as it was at the timestamp');
  assert.deepEqual(await columns(branch.id, 'events'), ['id', 'note']);

  // A push: the branch is reset to the same point in time, not to the parent's head.
  await q(branch.id, 'INSERT INTO events VALUES (99, \'written on the preview\')');
  await ws.commit({ 'migrations/002_more.sql': 'ALTER TABLE events ADD COLUMN more int;\n' }, 'more');
  const files2 = { ...files, 'migrations/002_more.sql': '' };
  prFiles(number, files2);
  const r2 = await preview({ ws, number, action: 'synchronize', headRef: 'feature/pit', headSha: await ws.head(), inputs });
  assert.equal(r2.code, 0, log(r2));
  assert.equal(await q(branch.id, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM events'), '1', 'reset to the point in time');
  assert.deepEqual(await columns(branch.id, 'events'), ['id', 'note', 'more']);

  // Older than the project's history window (history_retention_seconds): refused before
  // any branch is made, saying so.
  const old = await preview({ ws, number: 67, headRef: 'feature/pit3', headSha: await ws.head(), inputs: { parent: 'pit-parent', 'parent-timestamp': '2020-01-01T00:00:00Z' } });
  assert.equal(old.code, 1, log(old));
  assert.match(log(old), /older than the project's history window \(24 h/);
  assert.deepEqual(branchNamed('preview/pr-67-feature/pit3'), []);

  // Both at once is refused before anything is created.
  const both = await preview({ ws, number: 66, headRef: 'feature/pit2', headSha: await ws.head(), inputs: { ...inputs, 'parent-lsn': cp.lsn } });
  assert.equal(both.code, 1, log(both));
  assert.match(log(both), /parent-timestamp.*parent-lsn|parent-lsn.*parent-timestamp/);
  assert.deepEqual(branchNamed('preview/pr-66-feature/pit2'), []);
});

test("create-branch-action v6's `with:` block, pasted unchanged with `mode: preview`: same branch, expiry and URL shape; old output names; one notice per alias", async () => {
  const { runAction } = require('../support/runner');
  const { pullRequestEvent } = require('../support/events');
  const number = 68;
  const ws = await checkout(M1);
  prFiles(number, M1);
  const expiresAt = new Date(Date.now() + 3 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const v6 = {
    api_key: neon.apiKey,
    api_host: neon.apiUrl,
    project_id: neon.projectId,
    branch_name: 'preview/pr-68-v6',
    parent_branch: 'main',
    database: 'neondb',
    role: 'neondb_owner',
    ssl: 'require',
    suspend_timeout: '0',
    expires_at: expiresAt,
    prisma: 'false',
    branch_type: 'default',
    get_auth_url: 'false',
    get_data_api_url: 'false',
  };
  const run = (extra = {}, action = 'opened') => runAction({
    workspace: ws.path,
    eventName: 'pull_request',
    event: pullRequestEvent({ action, number, headRef: 'feature/v6', headSha: 'a'.repeat(40) }),
    githubApiUrl: gh.url,
    githubToken: gh.token,
    inputs: { mode: 'preview', 'pg-bin-dir': pg.clientBinDir, ...v6, ...extra },
  });
  const r = await run();
  assert.equal(r.code, 0, log(r));
  const [branch] = branchNamed('preview/pr-68-v6');
  assert.ok(branch, 'the branch has the name branch_name gave');
  assert.equal(branch.expires_at, expiresAt);
  for (const [old, ours] of [['db_url_with_pooler', 'db_url_pooled'], ['host', 'db_host'], ['host_with_pooler', 'db_host_pooled']]) {
    assert.ok(r.outputs[old] && r.outputs[old] === r.outputs[ours], `${old} = ${ours}`);
  }
  assert.match(r.outputs.db_url, /^postgresql:\/\/neondb_owner:[^@]+@[^/]+\/neondb\?sslmode=require$/);
  assert.match(r.outputs.branch_url, new RegExp(`/projects/${neon.projectId}/branches/${branch.id}$`));
  const notices = r.annotations.filter((a) => a.command === 'notice' && /the name Neon's actions use/.test(a.message));
  assert.deepEqual(notices.map((a) => a.message.match(/input `(\w+)`/)[1]).sort(), ['api_host', 'api_key', 'branch_name', 'parent_branch', 'project_id', 'suspend_timeout']);
  assert.ok(r.maskValues.includes(neon.apiKey), 'api_key is masked like neon-api-key');
  assert.ok(!`${r.stdout}${r.stderr}`.replace(/::add-mask::.*/g, '').includes(neon.apiKey));

  // ssl: omit and prisma: true shape the URLs as create-branch-action does.
  const shaped = await run({ ssl: 'omit', prisma: 'true' }, 'synchronize');
  assert.equal(shaped.code, 0, log(shaped));
  assert.match(shaped.outputs.db_url, /\?connect_timeout=30$/);
  assert.match(shaped.outputs.db_url_pooled, /\?connect_timeout=30&pool_timeout=30&pgbouncer=true$/);
  // get_auth_url / get_data_api_url: unset (with a line saying why) while the branch has
  // neither; then Neon Auth enabled on the branch and a Data API on its database give both.
  const asked = { get_auth_url: 'true', get_data_api_url: 'true' };
  const none = await run(asked, 'synchronize');
  assert.equal(none.code, 0, log(none));
  assert.equal(none.outputs.auth_url, undefined);
  assert.equal(none.outputs.data_api_url, undefined);
  assert.match(none.stdout, /`auth_url` is not set: the branch has no Neon Auth/);
  const { callApi } = require('../emulators/neon/helpers');
  const api = (method, p, body) => callApi(neon.apiUrl, neon.apiKey, method, `/projects/${neon.projectId}/branches/${branch.id}${p}`, body);
  const enabled = await api('POST', '/auth', { auth_provider: 'better_auth', database_name: 'neondb' });
  assert.equal(enabled.status, 201, JSON.stringify(enabled.body));
  assert.equal((await api('POST', '/data-api/neondb', {})).status, 201);
  const both = await run(asked, 'synchronize');
  assert.equal(both.code, 0, log(both));
  assert.equal(both.outputs.auth_url, enabled.body.base_url);
  assert.match(both.outputs.auth_url, /^https:\/\/ep-[^/]+\.neonauth\.[^/]+\/neondb\/auth$/);
  assert.match(both.outputs.data_api_url, /^https:\/\/ep-[^/]+\.apirest\.[^/]+\/neondb\/rest\/v1$/);
  // Not asked, not set (and not called).
  const quiet = await run({}, 'synchronize');
  assert.equal(quiet.outputs.auth_url, undefined);

  // What it does not do is refused, not ignored.
  const schemaOnly = await run({ branch_type: 'schema-only' }, 'synchronize');
  assert.equal(schemaOnly.code, 1, log(schemaOnly));
  assert.match(log(schemaOnly), /`branch_type`: `schema-only`: schema-only branches are not supported/);
});

test('a PR that touches no migration and changes no schema gets no comment (comment: always gives one)', async () => {
  const number = 69;
  const ws = await checkout({ 'docs/guide.md': '# how to\n' });
  gh.setPullFiles(number, [{ filename: 'docs/guide.md', status: 'added' }]);
  const r = await preview({ ws, number, headRef: 'docs/guide', headSha: await ws.head() });
  assert.equal(r.code, 0, log(r));
  assert.ok(r.outputs.db_url, 'the branch is still made');
  assert.deepEqual(gh.comments(number), []);
  assert.match(r.summary, /neon-gitops/, 'the job summary is still written');
  const always = await preview({ ws, number, action: 'synchronize', headRef: 'docs/guide', headSha: await ws.head(), inputs: { comment: 'always' } });
  assert.equal(always.code, 0, log(always));
  assert.equal(gh.comments(number).length, 1);
});

test('two preview steps in one job keep two comments (keyed by step id); a comment from before step keys is adopted, not duplicated; close updates both', async () => {
  const number = 71;
  const ws = await checkout(M1);
  prFiles(number, M1);
  const bot = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
  // A comment written before comments were keyed by step: its marker has no step.
  const legacy = gh.seedComment(number, `<!-- neon-gitops:preview project=${neon.projectId} branch=preview/pr-71-feature/steps -->\n### Neon preview\nold\n`, bot);
  const step = (id, action = 'opened') => preview({ ws, number, action, headRef: 'feature/steps', headSha: 'c'.repeat(40), env: { GITHUB_ACTION: id } });
  const a = await step('preview_app');
  assert.equal(a.code, 0, log(a));
  const ours = () => gh.comments(number).filter((c) => c.body.includes('neon-gitops:preview'));
  assert.equal(ours().length, 1, 'the old comment is adopted');
  assert.equal(ours()[0].id, legacy.id);
  assert.match(ours()[0].body, /^<!-- neon-gitops:preview project=\S+ branch=preview\/pr-71-feature\/steps step=preview_app -->/);
  const b = await step('preview_admin', 'synchronize');
  assert.equal(b.code, 0, log(b));
  assert.equal(ours().length, 2, 'the second step has its own comment');
  const again = await step('preview_app', 'synchronize');
  assert.equal(again.code, 0, log(again));
  assert.equal(ours().length, 2);
  assert.equal(again.outputs.comment_url, a.outputs.comment_url);
  // Closing (from a job whose step has another id) marks both comments deleted.
  const closed = await step('cleanup', 'closed');
  assert.equal(closed.code, 0, log(closed));
  assert.equal(ours().length, 2);
  for (const c of ours()) assert.match(c.body, /deleted: the pull request was closed/);
  assert.deepEqual(ours().map((c) => c.body.match(/step=(\w+)/)[1]).sort(), ['preview_admin', 'preview_app']);
});

test('one-click fixes: a plain CREATE INDEX gets one review comment whose suggestion, applied, passes the lint; a second push adds none; a fixed finding is marked', async () => {
  const number = 72;
  const file = 'migrations/003_email_idx.sql';
  const text = '-- logins look users up by email\nCREATE INDEX idx ON users (email);\n';
  const ws = await checkout({ [file]: text });
  prFiles(number, { [file]: text });
  const r = await preview({ ws, number, headRef: 'feature/idx', headSha: 'd'.repeat(40) });
  assert.equal(r.code, 0, log(r));
  const comments = gh.reviewComments(number);
  assert.equal(comments.length, 1, JSON.stringify(comments));
  const [c] = comments;
  assert.equal(c.path, file);
  assert.equal(c.line, 2);
  assert.equal(c.commit_id, 'd'.repeat(40));
  const suggestion = c.body.match(/```suggestion\n([\s\S]*?)\n```/)[1];
  assert.equal(suggestion, 'CREATE INDEX CONCURRENTLY idx ON users (email);');
  assert.equal(gh.reviews(number).length, 1);
  assert.equal(gh.reviews(number)[0].state, 'COMMENTED');
  // Applied as GitHub applies it (the commented lines replaced), the file lints clean.
  const lines = text.split('\n');
  lines.splice(c.line - 1, 1, suggestion);
  const { analyze } = require('../../dist/index.js');
  const fixed = JSON.parse(analyze(JSON.stringify({ files: [{ path: file, text: lines.join('\n') }] })));
  assert.deepEqual(fixed.analysis.files[0].findings.filter((f) => f.severity !== 'off').map((f) => f.rule), []);
  assert.deepEqual(fixed.analysis.files[0].errors, []);

  // The same file pushed again: no second review, no second comment.
  const again = await preview({ ws, number, action: 'synchronize', headRef: 'feature/idx', headSha: 'e'.repeat(40) });
  assert.equal(again.code, 0, log(again));
  assert.equal(gh.reviewComments(number).length, 1);
  assert.equal(gh.reviews(number).length, 1);

  // The author applies the fix: the comment says it no longer applies; nothing new.
  await ws.commit({ [file]: lines.join('\n') });
  prFiles(number, { [file]: lines.join('\n') });
  const fixedRun = await preview({ ws, number, action: 'synchronize', headRef: 'feature/idx', headSha: 'f'.repeat(40) });
  assert.equal(fixedRun.code, 0, log(fixedRun));
  assert.equal(gh.reviewComments(number).length, 1);
  assert.match(gh.reviewComments(number)[0].body, /No longer applies/);

  // suggestions: false posts none.
  const other = 73;
  const ws2 = await checkout({ [file]: text });
  prFiles(other, { [file]: text });
  const off = await preview({ ws: ws2, number: other, headRef: 'feature/idx2', inputs: { suggestions: 'false' } });
  assert.equal(off.code, 0, log(off));
  assert.deepEqual(gh.reviewComments(other), []);
  assert.deepEqual(gh.validationErrors, []);
});
