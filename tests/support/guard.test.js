'use strict';
// The suite-wide leak check is itself tested: a planted secret printed by an action, put
// in an unmasked output, or written to a PR comment fails the run.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runAction } = require('./runner');
const { registerSecret } = require('./guard');
const { startGitHubEmulator } = require('../emulators/github');

function fakeAction(t, body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-action-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'action.yml'), 'name: fake\ninputs:\n  value:\n    required: false\nruns:\n  using: node24\n  main: main.js\n');
  fs.writeFileSync(path.join(dir, 'main.js'), body);
  return dir;
}

const planted = `planted-${Date.now()}-secret`;
registerSecret('planted secret', planted);

test('a planted secret printed in the log fails the run', async (t) => {
  const actionDir = fakeAction(t, `console.log('connecting with ' + ${JSON.stringify(planted)});`);
  await assert.rejects(runAction({ actionDir }), /secret leak: planted secret \(raw\)/);
});

test('base64 and URL-encoded forms are caught too', async (t) => {
  const actionDir = fakeAction(t, `console.log(Buffer.from(${JSON.stringify('x' + planted)}).toString('base64')); console.log(encodeURIComponent('p@' + ${JSON.stringify(planted)}));`);
  await assert.rejects(runAction({ actionDir }), /secret leak: planted secret \((base64|url)/);
});

test('a secret masked before it is printed is not a leak', async (t) => {
  const actionDir = fakeAction(t, `console.log('::add-mask::' + ${JSON.stringify(planted)}); console.log('using ' + ${JSON.stringify(planted)});`);
  const r = await runAction({ actionDir });
  assert.equal(r.code, 0);
  assert.deepEqual(r.leaks, []);
});

test('a secret written to a PR comment fails the run', async (t) => {
  const gh = await startGitHubEmulator({ repo: 'acme/shop' });
  t.after(() => gh.stop());
  const actionDir = fakeAction(t, `
    fetch(process.env.GITHUB_API_URL + '/repos/acme/shop/issues/1/comments', {
      method: 'POST',
      headers: { authorization: 'Bearer ${gh.token}', 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'db password is ' + ${JSON.stringify(planted)} }),
    }).then((r) => process.exit(r.ok ? 0 : 1));`);
  await assert.rejects(runAction({ actionDir, githubApiUrl: gh.url }), /secret leak: planted secret \(raw\) in .*comment/i);
});
