'use strict';
// Issue 7 §2: untrusted text. Head refs, PR titles and bodies, migration file names and
// contents, and the inputs people paste (lint-rules, branch-name) are full of shell and
// Markdown syntax here. Each run must give a valid result or a clear error, and:
//   * nothing ran: no `pwned` file appears in the workspace, the runner's cwd, RUNNER_TEMP,
//     HOME or /tmp (every payload touches both a relative and an absolute marker),
//   * the PR comment (read back from the GitHub emulator) renders the text inertly: no
//     raw HTML, no heading or fence started from inside, table rows keep their cells,
//   * paths cannot leave the checkout: `../`, absolute globs, symlinks out of the repo.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pullRequestEvent, workflowDispatchEvent } = require('../support/events');
const { neonInputs } = require('../support/action-runs');
const { makeWorkspace } = require('../support/workspace');
const { startBed, mutating, assertCleanFailure, assertNoCrash, describeRun, run } = require('./hardening-helpers');

let bed;
const MARK = `pwned-${crypto.randomBytes(4).toString('hex')}`;
const ABS_MARK = path.join(os.tmpdir(), MARK);

// Every payload tries to create `pwned` (relative: cwd) and ABS_MARK (absolute) through
// each kind of shell syntax, and to break Markdown/HTML where it would be rendered.
const PAYLOADS = [
  { name: 'command substitution', text: `$(touch pwned)$(touch ${ABS_MARK})` },
  { name: 'backticks', text: `\`touch pwned\`\`touch ${ABS_MARK}\`` },
  { name: 'semicolon', text: `x; touch pwned; touch ${ABS_MARK}` },
  { name: 'pipe', text: `x | touch pwned | touch ${ABS_MARK}` },
  { name: 'quotes', text: `"; touch pwned; touch ${ABS_MARK}; echo "'; touch pwned; '` },
  { name: 'newlines', text: `line1\ntouch pwned\ntouch ${ABS_MARK}\n` },
  { name: 'option-looking', text: `--upload-pack=touch ${ABS_MARK}` },
  { name: 'very long', text: `${'a'.repeat(2000)}$(touch ${ABS_MARK})` },
  { name: 'unicode', text: `ünïcødé-名前-🚀-\u202e-\u200b-$(touch ${ABS_MARK})` },
  { name: 'NUL', text: `nul\u0000byte$(touch ${ABS_MARK})` },
  { name: 'HTML', text: `<img src=x onerror=alert(1)><script>alert(1)</script>$(touch ${ABS_MARK})` },
  { name: 'Markdown', text: '```\n</details>\n# injected heading\n| a | b |\n[link](javascript:alert(1))' },
];

before(async () => {
  bed = await startBed();
  await bed.neon.query(bed.neon.defaultBranchId, "COMMENT ON TABLE users IS 'people'");
});
after(async () => {
  await bed?.stop();
  fs.rmSync(ABS_MARK, { force: true });
});

/** No marker file anywhere a payload could have created it. */
function assertNothingRan(dirs) {
  const places = [...new Set([...dirs, process.cwd(), os.tmpdir(), os.homedir()])];
  for (const dir of places) {
    for (const name of ['pwned', MARK]) {
      assert.ok(!fs.existsSync(path.join(dir, name)), `${name} exists in ${dir}: something was executed`);
    }
  }
}

/**
 * Runs the action keeping its runner dirs (RUNNER_TEMP, HOME) so they can be searched for
 * a marker; they are removed with the bed, whatever the test's outcome.
 */
async function runKept(opts) {
  const r = await run(bed, { ...opts, keep: true });
  for (const d of r.tempDirs) bed.defer(() => fs.rmSync(d, { recursive: true, force: true }));
  return r;
}

/** Where a run could have left a marker: its workspace, RUNNER_TEMP, HOME. */
function runDirs(r, workspace) {
  return [workspace, r.childEnv.RUNNER_TEMP, r.childEnv.HOME, r.childEnv.GITHUB_WORKSPACE].filter(Boolean);
}

// ---------------------------------------------------------------------------
// Markdown: what GitHub would render as structure, outside code.

/**
 * Splits a comment into code blocks and the text outside them, the way CommonMark finds
 * fences: an opening run of >= 3 backticks/tildes, closed only by a run of the same
 * character at least as long with nothing else on the line.
 */
function outsideCode(body) {
  const outside = [];
  let fence = null;
  for (const line of body.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && m[2].trim() === '') fence = null;
      continue;
    }
    if (m && !(m[1][0] === '`' && m[2].includes('`'))) { fence = m[1]; continue; }
    outside.push(line);
  }
  assert.equal(fence, null, 'every code block is closed');
  return outside.map((l) => l.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '')); // inline code spans are inert too
}

/** Cells of a table row: split on pipes that are not escaped. */
function cells(row) {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/);
}

function assertInert(body) {
  const text = outsideCode(body);
  const joined = text.join('\n');
  assert.doesNotMatch(joined, /<(img|script|iframe|svg|a|style|form|input)\b/i, 'raw HTML outside code');
  assert.doesNotMatch(joined, /\]\(javascript:/i, 'a javascript: link');
  assert.ok(!text.some((l) => /^#{1,6} injected/.test(l)), 'a heading injected from outside');
  const opened = (joined.match(/<details>/g) || []).length;
  const closed = (joined.match(/<\/details>/g) || []).length;
  assert.equal(closed, opened, '<details> balanced (none closed from inside)');
  // Tables: every row has as many cells as its header.
  let header = null;
  for (const line of text) {
    if (!line.trim().startsWith('|')) { header = null; continue; }
    if (!header) { header = cells(line).length; continue; }
    assert.equal(cells(line).length, header, `table row keeps its cells: ${line}`);
  }
}

test('the checks themselves: an injected fence, raw HTML, a broken table row or a marker file are caught', () => {
  const ok = '### t\n\n| a | b |\n|---|---|\n| x &#124; y | `<img>` |\n\n````diff\n+```\n+<img src=x>\n````\n<details><summary>s</summary>\n\n</details>\n';
  assertInert(ok);
  for (const bad of [
    ok.replace('`<img>`', '<img src=x onerror=alert(1)>'), // raw HTML
    ok.replace('````diff\n+```', '```diff\n```\n<script>x</script>\n```'), // a fence closed from inside
    ok.replace('x &#124; y', 'x | y'), // an unescaped pipe adds a cell
    ok.replace('| a | b |', '| a | b |\n# injected heading'), // a heading from outside code
    `${ok}</details>\n`, // closes the comment's own fold
    '```\nunclosed', // a fence left open swallows the rest
  ]) {
    assert.throws(() => assertInert(bad), assert.AssertionError, JSON.stringify(bad));
  }
  const dir = bed.tempDir('marker-');
  fs.writeFileSync(path.join(dir, 'pwned'), '');
  assert.throws(() => assertNothingRan([dir]), /pwned exists/);
});

// ---------------------------------------------------------------------------
// Head refs, PR titles and bodies.

let pr = 500;
for (const p of PAYLOADS) {
  test(`preview: ${p.name} as head ref, PR title and body: a valid branch, an inert comment, nothing ran`, async () => {
    const number = ++pr;
    const ws = await makeWorkspace({ files: { 'migrations/001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n' } });
    bed.defer(() => ws.cleanup());
    bed.gh.setPullFiles(number, [{ filename: 'migrations/001_nickname.sql', status: 'added' }]);
    // A ref cannot hold NUL (git refuses it, and it could not reach GITHUB_HEAD_REF): the
    // title and body, which are JSON strings, carry it.
    const event = (action) => pullRequestEvent({ action, number, headRef: p.text.replace(/\0/g, ''), title: p.text, body: p.text });
    const opts = (action) => ({
      workspace: ws.path,
      eventName: 'pull_request',
      event: event(action),
      inputs: { mode: 'preview', ...neonInputs(bed.neon), 'pg-bin-dir': bed.pg.clientBinDir },
    });
    const r = await runKept(opts('opened'));
    assert.equal(r.code, 0, describeRun(r));
    assertNoCrash(r);
    const name = r.outputs.branch_name;
    assert.match(name, /^preview\/pr-\d+(-[A-Za-z0-9._/-]*)?$/, name);
    assert.ok(name.length <= 256, `${name.length} characters`);
    assert.equal(bed.neon.branches().filter((b) => b.name === name).length, 1);
    const [comment] = bed.gh.comments(number);
    assertInert(comment.body);
    const closed = await runKept(opts('closed'));
    assert.equal(closed.code, 0, describeRun(closed));
    assert.equal(bed.neon.branches().filter((b) => b.name === name).length, 0, 'deleted on close');
    assertNothingRan([...runDirs(r, ws.path), ...runDirs(closed, ws.path)]);
  });
}

// ---------------------------------------------------------------------------
// Migration file names and contents: applied (they are valid SQL) or a clear error.

const HOSTILE_FILES = {
  'migrations/001_$(touch pwned).sql': 'CREATE TABLE t1 (id int);\n',
  'migrations/002_`touch pwned`.sql': 'CREATE TABLE t2 (id int);\n',
  'migrations/003_x; touch pwned.sql': 'CREATE TABLE t3 (id int);\n',
  'migrations/004_a | touch pwned.sql': 'CREATE TABLE t4 (id int);\n',
  "migrations/005_it's \"quoted\"'); DROP TABLE users; --.sql": 'CREATE TABLE t5 (id int);\n',
  'migrations/006_--help.sql': 'CREATE TABLE t6 (id int);\n',
  'migrations/007_new\nline\\! touch pwned\n.sql': 'CREATE TABLE t7 (id int);\n',
  'migrations/008_<img src=x onerror=alert(1)>.sql': 'CREATE TABLE t8 (id int);\n',
  'migrations/009_ünïcødé 名前 🚀.sql': 'CREATE TABLE t9 (id int);\n',
  'migrations/010_:var :\'x\' :"y".sql': 'CREATE TABLE t10 (id int);\n',
  // Contents: SQL text full of the same, in comments, strings and identifiers.
  'migrations/011_contents.sql': [
    '-- $(touch pwned) `touch pwned` ; touch pwned | touch pwned',
    '-- ``` </details> # injected heading <img src=x onerror=alert(1)>',
    "CREATE TABLE \"<b>bold</b> | `x` $(touch pwned)\" (id int);",
    "COMMENT ON TABLE users IS '```\n</details>\n# injected heading\n<script>alert(1)</script> | a | b |';",
    "INSERT INTO users VALUES (100, '$(touch pwned)'), (101, '`touch pwned`');",
    '',
  ].join('\n'),
};
const TABLES = ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9', 't10', '<b>bold</b> | `x` $(touch pwned)'];

test('migrate: hostile file names and contents are applied as data, tracked under their exact names, nothing ran', async () => {
  const ws = await makeWorkspace({ files: HOSTILE_FILES });
  bed.defer(() => ws.cleanup());
  const r = await runKept({
    workspace: ws.path,
    eventName: 'workflow_dispatch',
    event: workflowDispatchEvent(),
    inputs: { mode: 'migrate', 'database-url': bed.prod.url, 'pg-bin-dir': bed.pg.clientBinDir },
  });
  try {
    assert.equal(r.code, 0, describeRun(r));
    assertNoCrash(r);
    const expected = Object.keys(HOSTILE_FILES).map((f) => f.slice('migrations/'.length)).sort();
    assert.deepEqual(JSON.parse(r.outputs.applied).slice().sort(), expected);
    const tracked = (await bed.prod.psql("SELECT string_agg(encode(convert_to(version, 'UTF8'), 'base64'), ',' ORDER BY id) FROM neon_gitops_migrations"))
      .split(',').map((b) => Buffer.from(b.replace(/\n/g, ''), 'base64').toString('utf8'));
    assert.deepEqual(tracked.slice().sort(), expected, 'tracked under their exact names');
    for (const t of TABLES) assert.equal(await bed.prod.psql(`SELECT to_regclass('public.' || quote_ident($$${t}$$)) IS NOT NULL`), 't', `table ${t}`);
    assert.equal(await bed.prod.psql("SELECT count(*) FROM users WHERE email IN ('$(touch pwned)', '`touch pwned`')"), '2');
    assert.match(r.summary, /011\\_contents\.sql|011_contents\.sql/);
    assertInert(r.summary);
    assertNothingRan(runDirs(r, ws.path));
  } finally {
    await bed.prod.psql(`DROP TABLE IF EXISTS ${TABLES.map((t) => `"${t.replace(/"/g, '""')}"`).join(', ')}, neon_gitops_migrations; DELETE FROM users WHERE id >= 100; COMMENT ON TABLE users IS NULL`);
  }
});

test('preview: the same files in a PR: applied on the branch, listed and linted in an inert comment, nothing ran', async () => {
  const number = ++pr;
  const ws = await makeWorkspace({ files: HOSTILE_FILES });
  bed.defer(() => ws.cleanup());
  bed.gh.setPullFiles(number, Object.keys(HOSTILE_FILES).map((filename) => ({ filename, status: 'added' })));
  const r = await runKept({
    workspace: ws.path,
    eventName: 'pull_request',
    event: pullRequestEvent({ number, headRef: 'feature/hostile-files' }),
    inputs: { mode: 'preview', ...neonInputs(bed.neon), 'pg-bin-dir': bed.pg.clientBinDir },
  });
  assert.equal(r.code, 0, describeRun(r));
  assertNoCrash(r);
  assert.equal(JSON.parse(r.outputs.migrations_applied).length, Object.keys(HOSTILE_FILES).length);
  const [comment] = bed.gh.comments(number);
  assert.ok(comment, 'a comment');
  assertInert(comment.body);
  // The hostile names are there, escaped in their table cells…
  assert.ok(comment.body.includes('008\\_&lt;img src=x onerror=alert(1)&gt;.sql'), comment.body);
  assert.ok(comment.body.includes('004\\_a &#124; touch pwned.sql'), comment.body);
  assert.ok(comment.body.includes('007\\_new<br>line\\\\\\! touch pwned<br>.sql'), comment.body);
  // …and the schema diff shows the hostile identifier and comment in a fence longer than
  // any backtick run inside it.
  assert.match(comment.body, /````+diff\n[\s\S]*<b>bold<\/b> \| `x`/);
  assertNothingRan(runDirs(r, ws.path));
});

test('a failing migration whose error message is hostile: the error is fenced in the comment and annotation, nothing ran', async () => {
  const number = ++pr;
  const files = {
    'migrations/001_boom.sql': "DO $$ BEGIN RAISE EXCEPTION '%', E'```\\n</details>\\n# injected heading\\n<img src=x onerror=alert(1)> | a | b |\\n$(touch pwned)'; END $$;\n",
  };
  const ws = await makeWorkspace({ files });
  bed.defer(() => ws.cleanup());
  bed.gh.setPullFiles(number, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
  const r = await runKept({
    workspace: ws.path,
    eventName: 'pull_request',
    event: pullRequestEvent({ number, headRef: 'feature/boom' }),
    inputs: { mode: 'preview', ...neonInputs(bed.neon), 'pg-bin-dir': bed.pg.clientBinDir },
  });
  assert.equal(r.code, 1, describeRun(r));
  assertNoCrash(r);
  const [comment] = bed.gh.comments(number);
  assert.match(comment.body, /injected heading/, 'the message is shown');
  assertInert(comment.body);
  assertNothingRan(runDirs(r, ws.path));
});

// psql runs its meta-commands on the runner, not in the database: a migration holding one
// that reaches a shell, a file or the environment is a validation error, and nothing of
// the run is applied (migrate) or run on the branch (preview's built-in runner).
const META = [
  { name: '\\!', sql: `\\! touch ${ABS_MARK}\n`, says: /`\\!` runs a shell command/ },
  { name: '\\o |cmd', sql: `\\o |touch ${ABS_MARK}\nSELECT 1;\n`, says: /writes a file/ },
  { name: '\\g |cmd', sql: `SELECT 1 \\g |touch ${ABS_MARK}\n`, says: /shell command/ },
  { name: '\\copy … program', sql: `\\copy users to program 'touch ${ABS_MARK}'\n`, says: /runs a program/ },
  { name: 'backticks in \\set', sql: `\\set x \`touch ${ABS_MARK}\`\n`, says: /backticks/ },
  { name: 'a second command after \\echo', sql: `\\echo hi \\! touch ${ABS_MARK}\n`, says: /runs a shell command/ },
  { name: '\\i of a runner file', sql: '\\i /etc/passwd\n', says: /reads a file/ },
  { name: '\\getenv of a secret input', sql: "\\getenv k INPUT_NEON-API-KEY\nINSERT INTO users VALUES (200, :'k');\n", says: /environment/ },
];

for (const mode of ['migrate', 'preview']) {
  for (const m of META) {
    test(`${mode}: a migration with ${m.name}: a validation error naming the file and line, nothing ran or applied`, async () => {
      const number = ++pr;
      const files = {
        'migrations/001_ok.sql': 'CREATE TABLE ok_table (id int);\n',
        'migrations/002_meta.sql': `-- looks harmless\nCREATE TABLE meta_table (id int);\n${m.sql}`,
      };
      const ws = await makeWorkspace({ files });
      bed.defer(() => ws.cleanup());
      bed.gh.setPullFiles(number, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
      const before = await bed.snapshot();
      const r = await runKept(mode === 'migrate'
        ? { workspace: ws.path, eventName: 'workflow_dispatch', event: workflowDispatchEvent(), inputs: { mode, 'database-url': bed.prod.url, 'pg-bin-dir': bed.pg.clientBinDir } }
        : { workspace: ws.path, eventName: 'pull_request', event: pullRequestEvent({ number, headRef: 'feature/meta' }), inputs: { mode, ...neonInputs(bed.neon), 'pg-bin-dir': bed.pg.clientBinDir } });
      try {
        assert.equal(r.code, 1, describeRun(r));
        assertNoCrash(r);
        const onFile = r.annotations.find((a) => a.command === 'error' && a.properties.file === 'migrations/002_meta.sql');
        assert.ok(onFile, `an error annotation on the file\n${describeRun(r)}`);
        assert.equal(onFile.properties.line, '3');
        assert.match(onFile.message, m.says);
        if (mode === 'migrate') {
          assert.deepEqual(await bed.snapshot(), before, 'nothing applied, not even 001');
        } else {
          const branch = bed.neon.branches().find((b) => b.name === `preview/pr-${number}-feature/meta`);
          assert.ok(branch, 'the branch exists (the step reports on it)');
          assert.equal(String(await bed.neon.query(branch.id, "SELECT to_regclass('ok_table') IS NULL AND to_regclass('meta_table') IS NULL")).trim(), 't', 'nothing ran on the branch');
          assertInert(bed.gh.comments(number)[0].body);
        }
        assertNothingRan(runDirs(r, ws.path));
      } finally {
        await bed.prod.psql('DROP TABLE IF EXISTS ok_table, meta_table, neon_gitops_migrations; DELETE FROM users WHERE id = 200');
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Inputs people paste.

const INPUT_CASES = [
  { name: 'lint-rules with a shell payload as rule id', inputs: { 'lint-rules': `$(touch ${ABS_MARK})=error` }, error: [/`lint-rules`/, /unknown rule id/] },
  { name: 'lint-rules with a payload as severity', inputs: { 'lint-rules': `ban-drop-table=\`touch ${ABS_MARK}\`` }, error: [/`lint-rules`/, /invalid severity/] },
  { name: 'migrate-command with a shell payload', inputs: { 'migrate-command': `npx prisma migrate deploy; touch ${ABS_MARK}` }, error: [/`migrate-command`/, /shell/] },
  { name: 'migrate-command with command substitution', inputs: { 'migrate-command': `npx $(touch ${ABS_MARK})` }, error: [/`migrate-command`/, /shell/] },
];

for (const c of INPUT_CASES) {
  test(`preview: ${c.name}: a clear error before any call, nothing ran`, async () => {
    const number = ++pr;
    const mark = bed.marks();
    const r = await runKept({
      eventName: 'pull_request',
      event: pullRequestEvent({ number }),
      inputs: { mode: 'preview', ...neonInputs(bed.neon), ...c.inputs },
    });
    assertCleanFailure(r, c.error);
    const sent = bed.since(mark);
    assert.deepEqual([...sent.neon, ...sent.gh], [], 'no call at all');
    assertNothingRan(runDirs(r, r.childEnv.GITHUB_WORKSPACE));
  });
}

// What Neon accepts and reads safely anywhere: the sanitised charset, no dot-segments,
// no empty segments, no leading option dash, at most 256 characters.
const VALID_NAME = /^(?!-)(?!.*\/\/)(?!(.*\/)?\.\.?(\/|$))[A-Za-z0-9._/-]{1,256}$/;
const BRANCH_NAMES = [
  { template: `$(touch ${ABS_MARK})-{pr}`, expect: (n, pr) => n.endsWith(`-${pr}`) },
  { template: '`touch pwned`/{pr}/{ref}', ref: '$(touch pwned)', expect: (n, pr) => n === `touch-pwned-/${pr}/touch-pwned` },
  { template: '--force {pr}', expect: (n, pr) => n === `force-${pr}` },
  { template: '../../{pr}/./x', expect: (n, pr) => n === `${pr}/x` },
  { template: '$$$;|&', expect: (n, pr) => n === `preview/pr-${pr}` },
  { template: `${'x'.repeat(400)}-{pr}`, expect: (n) => n === 'x'.repeat(256) },
];

for (const b of BRANCH_NAMES) {
  test(`preview: branch-name ${JSON.stringify(b.template.slice(0, 40))}: a valid Neon branch name, nothing ran`, async () => {
    const number = ++pr;
    const ws = await makeWorkspace({ files: { 'README.md': '# no migrations\n' } });
    bed.defer(() => ws.cleanup());
    bed.gh.setPullFiles(number, []);
    // No migration in the PR: `comment: always`, so the name's inertness in a comment is checked.
    const inputs = { mode: 'preview', ...neonInputs(bed.neon), 'branch-name': b.template, comment: 'always' };
    const opts = (action) => ({ workspace: ws.path, eventName: 'pull_request', event: pullRequestEvent({ action, number, headRef: b.ref || 'feature/x' }), inputs });
    const r = await runKept(opts('opened'));
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.outputs.branch_name, VALID_NAME);
    assert.ok(b.expect(r.outputs.branch_name, number), r.outputs.branch_name);
    assert.equal(bed.neon.branches().filter((x) => x.name === r.outputs.branch_name).length, 1);
    assertInert(bed.gh.comments(number)[0].body);
    const closed = await runKept(opts('closed'));
    assert.equal(closed.code, 0, describeRun(closed));
    assertNothingRan([...runDirs(r, ws.path), ...runDirs(closed, ws.path)]);
  });
}

// ---------------------------------------------------------------------------
// Paths that would leave the checkout.

function outsideRepo() {
  const dir = bed.tempDir('outside-repo-');
  fs.writeFileSync(path.join(dir, 'evil.sql'), 'CREATE TABLE evil (id int);\n');
  return dir;
}

const PATH_CASES = [
  { name: 'migrations-path: ../x/**', inputs: { 'migrations-path': '../x/**' }, error: [/`migrations-path`/, /leaves the repository/] },
  { name: 'migrations-path: ../<sibling dir>/*.sql', inputs: () => ({ 'migrations-path': `../${path.basename(outsideRepo())}/*.sql` }), error: [/`migrations-path`/, /leaves the repository/] },
  { name: 'migrations-path: an absolute path', inputs: () => ({ 'migrations-path': `${outsideRepo()}/*.sql` }), error: [/`migrations-path`/, /absolute/] },
  { name: 'migrations-path: climbing out after a folder', inputs: { 'migrations-path': 'migrations/../../*.sql' }, error: [/`migrations-path`/, /leaves the repository/] },
  { name: 'a symlink in migrations/ to a file outside the repo', files: (ws) => fs.symlinkSync(path.join(outsideRepo(), 'evil.sql'), path.join(ws, 'migrations/002_evil.sql')), network: 'read', error: [/002_evil\.sql/, /symbolic link/, /outside the repository/] },
  { name: 'a symlink in migrations/ to /proc/self/environ', files: (ws) => fs.symlinkSync('/proc/self/environ', path.join(ws, 'migrations/002_env.sql')), network: 'read', error: [/002_env\.sql/, /symbolic link/, /outside the repository/] },
  { name: 'a symlink in migrations/ into .git/', files: (ws) => fs.symlinkSync('../.git/config', path.join(ws, 'migrations/002_git.sql')), network: 'read', error: [/002_git\.sql/, /symbolic link/, /\.git/] },
];

for (const mode of ['migrate', 'preview']) {
  for (const c of PATH_CASES) {
    test(`${mode}: ${c.name}: a clear error, nothing read or applied`, async () => {
      const number = ++pr;
      const ws = await makeWorkspace({ files: { 'migrations/001_ok.sql': 'CREATE TABLE ok_table (id int);\n' } });
      bed.defer(() => ws.cleanup());
      if (c.files) c.files(ws.path);
      const extra = typeof c.inputs === 'function' ? c.inputs() : (c.inputs || {});
      const changed = fs.readdirSync(path.join(ws.path, 'migrations')).map((f) => ({ filename: `migrations/${f}`, status: 'added' }));
      bed.gh.setPullFiles(number, changed);
      const before = await bed.snapshot();
      const mark = bed.marks();
      const r = await runKept(mode === 'migrate'
        ? { workspace: ws.path, eventName: 'workflow_dispatch', event: workflowDispatchEvent(), inputs: { mode, 'database-url': bed.prod.url, 'pg-bin-dir': bed.pg.clientBinDir, ...extra } }
        : { workspace: ws.path, eventName: 'pull_request', event: pullRequestEvent({ number, headRef: 'feature/paths' }), inputs: { mode, ...neonInputs(bed.neon), 'pg-bin-dir': bed.pg.clientBinDir, ...extra } });
      const sent = bed.since(mark);
      try {
        assert.equal(r.code, 1, describeRun(r));
        assertNoCrash(r);
        const shown = r.errors.join('\n');
        for (const m of c.error) assert.match(shown, m, describeRun(r));
        // The target's content never reaches the log, the summary or a comment.
        const everything = `${r.stdout}\n${r.stderr}\n${r.summary}\n${bed.gh.allComments().map((x) => x.body).join('\n')}`;
        assert.doesNotMatch(everything, /CREATE TABLE evil|INPUT_NEON-API-KEY|\[core\]|repositoryformatversion/, 'nothing of the link target shown');
        if ((c.network || 'none') === 'none') assert.deepEqual([...sent.neon, ...sent.gh].map((e) => `${e.method} ${e.path}`), [], 'decided before any call');
        if (mode === 'migrate') {
          assert.deepEqual(mutating(sent.neon), []);
          assert.deepEqual(await bed.snapshot(), before, 'nothing applied');
        } else {
          // preview: the branch may exist (the step's other outputs), but nothing from the link ran on it.
          const branch = bed.neon.branches().find((b) => b.name === `preview/pr-${number}-feature/paths`);
          if (branch) assert.equal(String(await bed.neon.query(branch.id, "SELECT to_regclass('evil') IS NULL")).trim(), 't');
        }
        assertNothingRan(runDirs(r, ws.path));
      } finally {
        await bed.prod.psql('DROP TABLE IF EXISTS ok_table, evil, neon_gitops_migrations');
      }
    });
  }
}
