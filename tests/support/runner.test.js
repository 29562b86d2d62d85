'use strict';
// Tests of the runner simulation, driven by tiny throw-away actions written to a temp
// dir (never the repo's dist/): they use the real @actions/core, so the parsing here is
// checked against what the toolkit actually prints and writes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const { runAction, logText, parseCommand, parseKeyValueFile, interpret, REPO_ROOT } = require('./runner');

const CORE_URL = pathToFileURL(path.join(REPO_ROOT, 'node_modules', '@actions', 'core', 'lib', 'core.js')).href;

/** Writes a throw-away action (action.yml + main.mjs [+ post.mjs]) and returns its dir. */
function makeAction(t, { main, post, actionYml }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-fake-action-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const header = `import * as core from ${JSON.stringify(CORE_URL)};\nimport * as fs from 'node:fs';\n`;
  fs.writeFileSync(path.join(dir, 'main.mjs'), header + main);
  if (post) fs.writeFileSync(path.join(dir, 'post.mjs'), header + post);
  fs.writeFileSync(path.join(dir, 'action.yml'), actionYml || [
    'name: fake',
    'inputs:',
    '  neon-api-key:',
    '    required: true',
    '  mode:',
    '    default: preview',
    '  github-token:',
    '    default: ${{ github.token }}',
    '  comment title:',
    "    default: \"PR ${{ github.event.number }} on ${{ github.repository }}\"",
    '  empty-default:',
    '    required: false',
    'runs:',
    '  using: node24',
    '  main: main.mjs',
    ...(post ? ['  post: post.mjs'] : []),
    '',
  ].join('\n'));
  return dir;
}

const FULL_MAIN = `
const key = core.getInput('neon-api-key', { required: true });
console.log('before mask: ' + key);
core.setSecret(key);
console.log('after mask: ' + key);
core.setOutput('branch', 'br-cool-1');
core.setOutput('multi', 'line one\\nline two\\n\\nline four');
core.setOutput('json', { a: 1 });
core.saveState('branch_id', 'br-cool-1');
core.exportVariable('NEON_BRANCH', 'br-cool-1');
core.addPath('/opt/neon/bin');
core.startGroup('Applying migrations');
console.log('inside the group');
core.endGroup();
core.debug('debugging 50% done');
core.error('syntax error at or near "SELEC"', { file: 'a.sql', startLine: 3 });
core.warning('slow: 5s, consider an index', { title: 'Perf: migration 002', file: 'migrations/002,x.sql', startLine: 1, endLine: 2, startColumn: 4, endColumn: 9 });
core.notice('preview ready');
await core.summary.addHeading('Preview branch').addRaw('branch br-cool-1 created').write();
console.error('a line on stderr');
console.log(JSON.stringify({
  inputs: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('INPUT_'))),
  env: process.env,
  cwd: process.cwd(),
}));
`;

test('runs an action like the runner and parses everything it reports', async (t) => {
  const actionDir = makeAction(t, { main: FULL_MAIN });
  process.env.NEON_GITOPS_HOST_ONLY = 'must-not-reach-the-action';
  t.after(() => { delete process.env.NEON_GITOPS_HOST_ONLY; });
  const event = { number: 7, repository: { full_name: 'acme/shop', default_branch: 'main' }, pull_request: { number: 7, head: { ref: 'feature/x', sha: 'a'.repeat(40) }, base: { ref: 'main', sha: 'b'.repeat(40) }, merge_commit_sha: 'c'.repeat(40) }, sender: { login: 'alice', id: 1 } };
  const r = await runAction({
    actionDir,
    inputs: { 'neon-api-key': 'napi_supersecretvalue123', 'bogus-input': 'x' },
    eventName: 'pull_request',
    event,
    env: { EXTRA: 'given by the test' },
    allowLeaks: true, // this fake action prints its key on purpose, to test mask timing
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.signal, null);

  // Inputs: hyphen kept, space -> underscore, defaults evaluated, unexpected input warned.
  const dump = JSON.parse(r.lines[r.lines.length - 1]);
  assert.equal(dump.inputs['INPUT_NEON-API-KEY'], 'napi_supersecretvalue123');
  assert.equal(dump.inputs.INPUT_MODE, 'preview');
  assert.equal(dump.inputs['INPUT_GITHUB-TOKEN'], r.githubToken);
  assert.equal(dump.inputs.INPUT_COMMENT_TITLE, 'PR 7 on acme/shop');
  assert.equal(dump.inputs['INPUT_EMPTY-DEFAULT'], '');
  assert.match(r.runnerMessages[0].message, /Unexpected input\(s\) 'bogus-input'/);

  // Environment the runner provides, and nothing from the host.
  const env = dump.env;
  assert.equal(env.GITHUB_EVENT_NAME, 'pull_request');
  assert.equal(env.GITHUB_REF, 'refs/pull/7/merge');
  assert.equal(env.GITHUB_SHA, 'c'.repeat(40));
  assert.equal(env.GITHUB_HEAD_REF, 'feature/x');
  assert.equal(env.GITHUB_BASE_REF, 'main');
  assert.equal(env.GITHUB_REPOSITORY, 'acme/shop');
  assert.equal(env.GITHUB_REPOSITORY_OWNER, 'acme');
  assert.equal(env.GITHUB_ACTOR, 'alice');
  assert.equal(env.CI, 'true');
  assert.equal(env.GITHUB_ACTIONS, 'true');
  assert.equal(env.RUNNER_OS, 'Linux');
  assert.equal(env.EXTRA, 'given by the test');
  assert.equal(env.NEON_GITOPS_HOST_ONLY, undefined);
  assert.equal(env.PATH, `/opt/neon/bin:${process.env.PATH}`); // core.addPath also prepends in-process
  assert.notEqual(env.HOME, os.homedir());
  for (const k of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_EVENT_PATH', 'GITHUB_WORKSPACE', 'RUNNER_TEMP', 'GITHUB_API_URL', 'GITHUB_SERVER_URL', 'GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'GITHUB_JOB', 'GITHUB_WORKFLOW', 'GITHUB_ACTION', 'RUNNER_ARCH']) {
    assert.ok(env[k], `${k} is set`);
  }
  assert.equal(dump.cwd, env.GITHUB_WORKSPACE, 'the runner starts node actions in the workspace');

  // Outputs (incl. the heredoc form @actions/core uses for every value), state, env, path.
  assert.deepEqual(r.outputs, { branch: 'br-cool-1', multi: 'line one\nline two\n\nline four', json: '{"a":1}' });
  assert.deepEqual(r.state, { branch_id: 'br-cool-1' });
  assert.deepEqual(r.env, { NEON_BRANCH: 'br-cool-1' });
  assert.deepEqual(r.path, ['/opt/neon/bin']);
  assert.match(r.summary, /<h1>Preview branch<\/h1>/);

  // Commands and annotations, with the toolkit's escaping undone.
  assert.deepEqual(r.errors, ['syntax error at or near "SELEC"']);
  const err = r.annotations.find((a) => a.command === 'error');
  assert.deepEqual(err.properties, { file: 'a.sql', line: '3' });
  const warn = r.annotations.find((a) => a.command === 'warning');
  assert.equal(warn.message, 'slow: 5s, consider an index');
  assert.deepEqual(warn.properties, { title: 'Perf: migration 002', file: 'migrations/002,x.sql', line: '1', endLine: '2', col: '4', endColumn: '9' });
  assert.ok(r.annotations.some((a) => a.command === 'notice' && a.message === 'preview ready'));
  assert.ok(r.commands.some((c) => c.command === 'group' && c.message === 'Applying migrations'));
  assert.ok(r.commands.some((c) => c.command === 'endgroup'));
  assert.ok(r.commands.some((c) => c.command === 'debug' && c.message === 'debugging 50% done'));

  // Masks: recorded with the stdout line where they appeared; log masked from then on.
  assert.equal(r.masks.length, 1);
  assert.equal(r.masks[0].value, 'napi_supersecretvalue123');
  assert.equal(r.masks[0].line, 1);
  assert.ok(!r.lines.some((l) => l.startsWith('::')), 'commands are not log lines');
  assert.ok(r.lines.includes('inside the group'));
  const log = logText(r);
  assert.match(log, /before mask: napi_supersecretvalue123/); // printed before the mask: stays
  assert.match(log, /after mask: \*\*\*/);
  assert.match(log, /Error: syntax error/);
  assert.match(log, /a line on stderr/);
  assert.ok(!log.includes(r.githubToken), 'the runner masks the job token from the start');

  // Temp dirs are gone afterwards.
  for (const d of r.tempDirs) assert.equal(fs.existsSync(d), false);
});

test('exit code and setFailed propagate', async (t) => {
  const exit3 = makeAction(t, { main: 'process.exitCode = 3;' });
  const r3 = await runAction({ actionDir: exit3, inputs: { 'neon-api-key': 'k' } });
  assert.equal(r3.code, 3);
  assert.equal(r3.failed, true);

  const failed = makeAction(t, { main: "core.setFailed('migration 002 failed');" });
  const rf = await runAction({ actionDir: failed, inputs: { 'neon-api-key': 'k' } });
  assert.equal(rf.code, 1);
  assert.deepEqual(rf.errors, ['migration 002 failed']);

  const ok = makeAction(t, { main: "console.log('fine');" });
  const ro = await runAction({ actionDir: ok, inputs: { 'neon-api-key': 'k' } });
  assert.equal(ro.code, 0);
  assert.equal(ro.failed, false);
  assert.deepEqual(ro.lines, ['fine']);
});

test('killAfterMs / killOn deliver SIGTERM like a cancelled job', async (t) => {
  const handles = makeAction(t, { main: `
process.on('SIGTERM', () => { console.log('cancelled: cleaning up'); process.exit(143); });
console.log('working');
setInterval(() => {}, 1000);
` });
  // killOn waits for the handler to be installed, so this holds on a loaded machine too.
  const r = await runAction({ actionDir: handles, inputs: { 'neon-api-key': 'k' }, killOn: 'working' });
  assert.equal(r.killed, 'SIGTERM');
  assert.equal(r.code, 143);
  assert.deepEqual(r.lines, ['working', 'cancelled: cleaning up']);

  const ignores = makeAction(t, { main: 'setInterval(() => {}, 1000);' });
  const r2 = await runAction({ actionDir: ignores, inputs: { 'neon-api-key': 'k' }, killAfterMs: 300 });
  assert.equal(r2.signal, 'SIGTERM');
  assert.equal(r2.code, null);
  assert.equal(r2.failed, true);
});

test('timeoutMs kills a hung step', async (t) => {
  const hung = makeAction(t, { main: 'setInterval(() => {}, 1000);' });
  const r = await runAction({ actionDir: hung, inputs: { 'neon-api-key': 'k' }, timeoutMs: 500 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL');
});

test('malformed event payload and missing GITHUB_EVENT_PATH reach the action as-is', async (t) => {
  const dir = makeAction(t, { main: `
const p = process.env.GITHUB_EVENT_PATH;
if (!p) { core.setFailed('no event path'); } else {
  try { JSON.parse(fs.readFileSync(p, 'utf8')); console.log('parsed'); }
  catch (e) { core.setFailed('bad event: ' + e.constructor.name); }
}
` });
  const bad = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' }, eventName: 'pull_request', eventRaw: '{"action": "opened", "number": ' });
  assert.equal(bad.code, 1);
  assert.deepEqual(bad.errors, ['bad event: SyntaxError']);

  const none = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' }, noEventPath: true });
  assert.deepEqual(none.errors, ['no event path']);

  const good = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' }, event: { ref: 'refs/heads/main' } });
  assert.deepEqual(good.lines, ['parsed']);
});

test('post step gets the saved state as STATE_* and runs runs.post', async (t) => {
  const dir = makeAction(t, {
    main: "core.saveState('branch_id', 'br-123'); core.saveState('multi', 'a\\nb');",
    post: "console.log('post sees ' + core.getState('branch_id') + ' and ' + JSON.stringify(core.getState('multi')));",
  });
  const main = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' } });
  assert.deepEqual(main.state, { branch_id: 'br-123', multi: 'a\nb' });
  const post = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' }, post: true, state: main.state });
  assert.equal(post.entry, 'post.mjs');
  assert.deepEqual(post.lines, ['post sees br-123 and "a\\nb"']);
});

test('workflow commands: runner unescaping, v1 form, stop-commands', () => {
  assert.deepEqual(parseCommand('::error file=a%3Ab.sql,line=3,title=x%2Cy%0Az::line1%0Aline2%25 %250A'), {
    command: 'error', properties: { file: 'a:b.sql', line: '3', title: 'x,y\nz' }, message: 'line1\nline2% %0A',
  });
  assert.deepEqual(parseCommand('   ::warning::indented still counts'), { command: 'warning', properties: {}, message: 'indented still counts' });
  assert.equal(parseCommand('::not-a-command::x'), null);
  assert.equal(parseCommand('text ::error::not at the start'), null);
  assert.deepEqual(parseCommand('##[error]old style%3B ok'), { command: 'error', properties: {}, message: 'old style; ok' });

  const r = interpret({
    stdout: Buffer.from('::stop-commands::tok123\n::error::not processed\n::tok123::\n::error::processed\n'),
    stderr: Buffer.alloc(0), samples: [], files: {},
  });
  assert.deepEqual(r.errors, ['processed']);
  assert.deepEqual(r.lines, ['::error::not processed']);
});

test('file commands: runner parser incl. heredoc and malformed files fail the step', async (t) => {
  assert.deepEqual(parseKeyValueFile('a=1\n\nb<<EOF\nx\ny\nEOF\nc=\nd<<E\nE\n').map((e) => [e.name, e.value]),
    [['a', '1'], ['b', 'x\ny'], ['c', ''], ['d', '']]);
  assert.throws(() => parseKeyValueFile('x<<EOF\nno end\n'), /Matching delimiter not found/);
  assert.throws(() => parseKeyValueFile('just text\n'), /Invalid format/);

  const dir = makeAction(t, { main: "fs.appendFileSync(process.env.GITHUB_OUTPUT, 'broken<<EOF\\nvalue\\n');" });
  const r = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' } });
  assert.equal(r.code, 0);
  assert.equal(r.failed, true);
  assert.match(r.runnerMessages.map((m) => m.message).join('\n'), /Unable to process file command 'output'/);
});

test('masks apply only to lines and outputs that come after them', async (t) => {
  const dir = makeAction(t, { main: `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
core.setOutput('early', 'tok-early-AAAA1111');
await sleep(100);
core.setSecret('tok-early-AAAA1111');
core.setSecret('tok-late-BBBB2222');
core.setOutput('late', 'tok-late-BBBB2222');
console.log('multi: ' + 'l1-CCCC3333');
core.setSecret('l1-CCCC3333\\nl2-DDDD4444');
console.log('l2-DDDD4444 and ' + Buffer.from('tok-late-BBBB2222').toString('base64'));
` });
  const r = await runAction({ actionDir: dir, inputs: { 'neon-api-key': 'k' } });
  const out = Object.fromEntries(r.timeline.filter((i) => i.kind === 'output').map((i) => [i.name, i.maskCount]));
  const maskIndex = (v) => r.maskValues.indexOf(v);
  assert.ok(out.early <= maskIndex('tok-early-AAAA1111'), 'early output was set before its mask');
  assert.ok(out.late > maskIndex('tok-late-BBBB2222'), 'late output was set after its mask');
  const log = logText(r);
  assert.match(log, /multi: l1-CCCC3333/);
  assert.match(log, /^\*\*\* and \*\*\*$/m, 'each line of a multi-line mask and base64 forms are masked');
});
