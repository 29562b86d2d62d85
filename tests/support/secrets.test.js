'use strict';
// Plants leaks on purpose (a throw-away action that mishandles secrets in every way the
// checker knows) and proves each one is caught, while correctly masked values are not.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const { runAction, REPO_ROOT } = require('./runner');
const { collectVisible, findLeaks, secretForms, credentialParts } = require('./secrets');
const { startGitHubEmulator } = require('../emulators/github');
const { startSlackEmulator } = require('../emulators/slack');

const CORE_URL = pathToFileURL(path.join(REPO_ROOT, 'node_modules', '@actions', 'core', 'lib', 'core.js')).href;

function writeAction(t, main) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-leaky-action-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'action.yml'), 'name: leaky\nruns:\n  using: node24\n  main: main.mjs\n');
  fs.writeFileSync(path.join(dir, 'main.mjs'), `import * as core from ${JSON.stringify(CORE_URL)};\nconst S = JSON.parse(process.env.SECRETS);\nconst sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n${main}`);
  return dir;
}

const SECRETS = {
  raw: 'napi_raw_AAAA1111zz',
  url: 'p@ss w/rd:Ü+1&x=BBBB',
  b64: 'base64-secret-CCCC2222',
  b64url: 'url~safe>>>???<<<DDDD',
  embedded: 'embedded-EEEE3333',
  late: 'late-mask-FFFF4444',
  maskedFirst: 'masked-first-GGGG5555',
  outBefore: 'out-before-HHHH6666',
  outAfter: 'out-after-IIII7777',
  stderr: 'stderr-JJJJ8888',
  annotation: 'annot-KKKK9999',
  summaryMasked: 'summary-masked-LLLL0000',
  summaryRaw: 'summary-raw-MMMM1111',
  stateRaw: 'state-raw-NNNN2222',
};

const LEAKY_MAIN = `
console.log('key: ' + S.raw);
console.log('dsn=postgres://app:' + encodeURIComponent(S.url) + '@db.example/app');
console.log('token ' + Buffer.from(S.b64).toString('base64'));
console.log('jwt-ish ' + Buffer.from(S.b64url).toString('base64url'));
console.log('basic ' + Buffer.from('postgres:' + S.embedded).toString('base64'));
console.log('too early: ' + S.late);
core.setSecret(S.late);
console.log('later: ' + S.late + ' ' + Buffer.from(S.late).toString('base64'));
core.setSecret(S.maskedFirst);
console.log('safe: ' + S.maskedFirst);
core.setOutput('early', S.outBefore);
await sleep(150); // well past the runner simulation's sampling interval
core.setSecret(S.outBefore);
core.setSecret(S.outAfter);
core.setOutput('connection', S.outAfter);
console.error('oops ' + S.stderr);
core.warning('could not connect with ' + S.annotation, { title: 'Connection' });
core.setSecret(S.summaryMasked);
await core.summary.addRaw('masked ' + S.summaryMasked + ' raw ' + S.summaryRaw).write();
core.saveState('pw', S.stateRaw);
`;

test('planted leaks are caught in every form; masked-first values are not reported', async (t) => {
  const dir = writeAction(t, LEAKY_MAIN);
  const r = await runAction({ actionDir: dir, env: { SECRETS: JSON.stringify(SECRETS) } });
  assert.equal(r.code, 0, r.stderr);
  const leaks = findLeaks(collectVisible(r), Object.entries(SECRETS).map(([name, value]) => ({ name, value })));
  const found = Object.fromEntries(leaks.map((l) => [l.secret, l]));

  const expected = {
    raw: ['raw', /^stdout line 1$/],
    url: ['url-encoded', /^stdout line 2$/],
    b64: ['base64', /^stdout line 3$/],
    b64url: ['base64url', /^stdout line 4$/],
    embedded: ['base64', /^stdout line 5$/],
    late: ['raw', /^stdout line 6$/],
    outBefore: ['raw', /^output early$/],
    stderr: ['raw', /^stderr line 1$/],
    annotation: ['raw', /^annotation ::warning/],
    summaryRaw: ['raw', /^step summary$/],
    stateRaw: ['raw', /^saved state pw$/],
  };
  assert.deepEqual(Object.keys(found).sort(), Object.keys(expected).sort());
  for (const [name, [form, where]] of Object.entries(expected)) {
    assert.equal(found[name].form, form, name);
    assert.match(found[name].where, where, name);
  }
  // The late-masked secret leaked only where it was printed before its mask.
  assert.deepEqual(leaks.filter((l) => l.secret === 'late').map((l) => l.where), ['stdout line 6']);
  // Reports never contain the secret itself.
  for (const l of leaks) assert.ok(!JSON.stringify(l).includes(SECRETS[l.secret]), `report for ${l.secret} is redacted`);
});

test('a well-behaved action has no leaks', async (t) => {
  const dir = writeAction(t, `
core.setSecret(S.raw);
console.log('key: ' + S.raw + ' ' + encodeURIComponent(S.raw) + ' ' + Buffer.from(S.raw).toString('base64'));
core.setOutput('key', S.raw);
core.error('failed with ' + S.raw, { file: 'a.sql', line: 3 });
await core.summary.addRaw('key ' + S.raw).write();
`);
  const r = await runAction({ actionDir: dir, env: { SECRETS: JSON.stringify(SECRETS) } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(findLeaks(collectVisible(r), [SECRETS.raw]), []);
});

test('comments and Slack messages are checked, including edited-away bodies', async (t) => {
  const gh = await startGitHubEmulator();
  const slack = await startSlackEmulator();
  t.after(async () => { await gh.stop(); await slack.stop(); });
  const dbUrl = 'postgres://app:s3cr%2Ft-PW-0000@ep-cool-1.neon.tech/app?sslmode=require';
  const call = (method, p, body) => fetch(gh.url + p, { method, headers: { authorization: `Bearer ${gh.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((res) => res.json());
  const c = await call('POST', '/repos/acme/shop/issues/4/comments', { body: `Preview: ${dbUrl}` });
  await call('PATCH', `/repos/acme/shop/issues/comments/${c.id}`, { body: 'Preview: (connection string hidden)' });
  await fetch(slack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'done', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'pw `s3cr/t-PW-0000`' } }] }) });

  const leaks = findLeaks(collectVisible(null, { github: gh, slack }), credentialParts(dbUrl, 'db url'));
  assert.deepEqual(leaks.map((l) => [l.secret, l.where]), [
    ['db url', `GitHub comment (POST /repos/acme/shop/issues/4/comments)`],
    ['db url password', `GitHub comment (POST /repos/acme/shop/issues/4/comments)`],
    ['db url password (decoded)', `GitHub comment (POST /repos/acme/shop/issues/4/comments)`], // its url-encoded form
    ['db url password (decoded)', 'Slack message 1'],
  ]);
});

test('secret forms: raw, url-encoded, base64 and base64url at every alignment', () => {
  const forms = secretForms('a/b+c?d~e=f');
  const kinds = new Set(forms.map((f) => f.form));
  for (const k of ['raw', 'url-encoded', 'base64', 'base64url']) assert.ok(kinds.has(k), k);
  const s = 'alignment-secret-42';
  for (const prefix of ['', 'x', 'xy', 'xyz', 'user:']) {
    const encoded = Buffer.from(prefix + s + '!tail').toString('base64');
    assert.equal(findLeaks([{ where: 'log', text: encoded }], [s]).length, 1, `prefix ${JSON.stringify(prefix)}`);
  }
  assert.deepEqual(findLeaks([{ where: 'log', text: 'nothing to see' }], [s]), []);
});
