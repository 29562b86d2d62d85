'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');

const { startGitHubEmulator } = require('./index');
const { parseLinkHeader } = require('./pagination');

/** A tiny client: the emulator is exercised over real HTTP, like the action will. */
async function api(gh, method, path, { body, token = gh.token, scheme = 'Bearer' } = {}) {
  const headers = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  if (token !== null) headers.authorization = `${scheme} ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path.startsWith('http') ? path : gh.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function withEmulator(t, opts) {
  const gh = await startGitHubEmulator(opts);
  t.after(() => gh.stop());
  return gh;
}

test('comments: 250 of them, paginated with Link headers', async (t) => {
  const gh = await withEmulator(t);
  for (let i = 1; i <= 250; i++) {
    const r = await api(gh, 'POST', '/repos/acme/shop/issues/7/comments', { body: { body: `comment ${i}` } });
    assert.equal(r.status, 201);
  }
  await api(gh, 'POST', '/repos/acme/shop/issues/8/comments', { body: { body: 'other PR' } });

  // Follow rel="next" from the first page, as a client should.
  const seen = [];
  let next = '/repos/acme/shop/issues/7/comments?per_page=100';
  const linkSets = [];
  while (next) {
    const r = await api(gh, 'GET', next);
    assert.equal(r.status, 200);
    seen.push(...r.body.map((c) => c.body));
    const links = parseLinkHeader(r.headers.get('link'));
    linkSets.push(links);
    next = links.next;
  }
  assert.equal(seen.length, 250);
  assert.deepEqual(seen, Array.from({ length: 250 }, (_, i) => `comment ${i + 1}`));
  assert.equal(linkSets.length, 3);
  assert.deepEqual(Object.keys(linkSets[0]), ['next', 'last']);
  assert.match(linkSets[0].last, /[?&]page=3\b/);
  assert.match(linkSets[0].next, /^http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/shop\/issues\/7\/comments\?per_page=100&page=2$/);
  assert.deepEqual(Object.keys(linkSets[1]), ['prev', 'next', 'last', 'first']);
  assert.deepEqual(Object.keys(linkSets[2]), ['prev', 'first']);

  // Default 30 per page; per_page above 100 is clamped; past the end is empty.
  const first = await api(gh, 'GET', '/repos/acme/shop/issues/7/comments');
  assert.equal(first.body.length, 30);
  assert.match(parseLinkHeader(first.headers.get('link')).last, /page=9\b/);
  const big = await api(gh, 'GET', '/repos/acme/shop/issues/7/comments?per_page=500');
  assert.equal(big.body.length, 100);
  const past = await api(gh, 'GET', '/repos/acme/shop/issues/7/comments?per_page=100&page=4');
  assert.deepEqual(past.body, []);
  // One page: no Link header at all.
  const single = await api(gh, 'GET', '/repos/acme/shop/issues/8/comments');
  assert.equal(single.headers.get('link'), null);
  assert.equal(gh.comments(7).length, 250);
  assert.deepEqual(gh.validationErrors, []);
});

test('comments: create, update, delete with GitHub shapes', async (t) => {
  const gh = await withEmulator(t);
  const created = await api(gh, 'POST', '/repos/acme/shop/issues/3/comments', { body: { body: 'Preview branch ready' } });
  assert.equal(created.status, 201);
  const c = created.body;
  assert.equal(created.headers.get('location'), c.url);
  assert.equal(c.user.login, 'github-actions[bot]');
  assert.equal(c.user.type, 'Bot');
  assert.equal(typeof c.id, 'number');
  assert.match(c.node_id, /^IC_/);
  assert.equal(c.html_url, `https://github.com/acme/shop/pull/3#issuecomment-${c.id}`);
  assert.equal(c.issue_url, `${gh.url}/repos/acme/shop/issues/3`);
  assert.equal(c.author_association, 'NONE');
  assert.equal(c.created_at, c.updated_at);

  const updated = await api(gh, 'PATCH', `/repos/acme/shop/issues/comments/${c.id}`, { body: { body: 'Preview branch updated' } });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.body, 'Preview branch updated');
  assert.ok(updated.body.updated_at > c.created_at);
  assert.deepEqual(gh.comments(3).map((x) => x.body), ['Preview branch updated']);

  const human = gh.seedComment(3, 'LGTM', { login: 'alice' });
  assert.equal(human.user.type, 'User');
  assert.equal(gh.allComments().length, 2);

  assert.equal((await api(gh, 'DELETE', `/repos/acme/shop/issues/comments/${c.id}`)).status, 204);
  assert.deepEqual(gh.comments(3).map((x) => x.body), ['LGTM']);
  const gone = await api(gh, 'GET', `/repos/acme/shop/issues/comments/${c.id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.body.message, 'Not Found');
  assert.equal((await api(gh, 'PATCH', `/repos/acme/shop/issues/comments/${c.id}`, { body: { body: 'x' } })).status, 404);
  assert.deepEqual(gh.commentBodiesEverWritten().map((b) => b.body), ['Preview branch ready', 'Preview branch updated', 'x']);

  // Other repositories do not exist here.
  assert.equal((await api(gh, 'GET', '/repos/acme/other/issues/3/comments')).status, 404);
  assert.deepEqual(gh.validationErrors, []);
});

test('auth: missing or wrong token is 401 like GitHub; both schemes accepted', async (t) => {
  const gh = await withEmulator(t);
  const none = await api(gh, 'GET', '/repos/acme/shop/issues/1/comments', { token: null });
  assert.equal(none.status, 401);
  assert.equal(none.body.message, 'Requires authentication');
  const wrong = await api(gh, 'POST', '/repos/acme/shop/issues/1/comments', { token: 'ghs_wrong', body: { body: 'x' } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.message, 'Bad credentials');
  assert.equal(wrong.body.documentation_url, 'https://docs.github.com/rest');
  assert.equal(gh.allComments().length, 0);
  assert.equal(gh.requests[1].headers.authorization, 'Bearer <other credential>', 'the log never holds a credential');
  assert.equal((await api(gh, 'GET', '/repos/acme/shop/issues/1/comments', { scheme: 'token' })).status, 200);
  assert.equal(gh.requests[2].headers.authorization, 'token <token>');
  assert.equal((await api(gh, 'GET', '/repos/acme/shop/issues/1/comments', { scheme: 'bearer' })).status, 200);
});

test('a comment body over 65536 characters is a 422 Validation Failed', async (t) => {
  const gh = await withEmulator(t);
  const tooLong = await api(gh, 'POST', '/repos/acme/shop/issues/1/comments', { body: { body: 'x'.repeat(65537) } });
  assert.equal(tooLong.status, 422);
  assert.equal(tooLong.body.message, 'Validation Failed');
  assert.equal(tooLong.body.errors[0].code, 'custom');
  assert.equal(tooLong.body.errors[0].field, 'body');
  assert.match(tooLong.body.errors[0].message, /maximum is 65536 characters/);
  // The limit counts characters: 65536 emoji (131072 UTF-16 units) are fine.
  assert.equal((await api(gh, 'POST', '/repos/acme/shop/issues/1/comments', { body: { body: '🐘'.repeat(65536) } })).status, 201);
  const c = gh.comments(1)[0];
  const patch = await api(gh, 'PATCH', `/repos/acme/shop/issues/comments/${c.id}`, { body: { body: 'y'.repeat(70000) } });
  assert.equal(patch.status, 422);
  assert.deepEqual(gh.validationErrors, []);
});

test('spec validation: a malformed response or request becomes a 500 and is recorded', async (t) => {
  const gh = await withEmulator(t);
  await api(gh, 'POST', '/repos/acme/shop/issues/1/comments', { body: { body: 'hello' } });
  gh.debug.corruptNextResponse = true;
  const bad = await api(gh, 'GET', '/repos/acme/shop/issues/1/comments');
  assert.equal(bad.status, 500);
  assert.equal(gh.validationErrors.length > 0, true);
  assert.match(gh.validationErrors.join('\n'), /^response: GET \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\}\/comments.*id must be integer/m);
  assert.equal((await api(gh, 'GET', '/repos/acme/shop/issues/1/comments')).status, 200, 'only the next response is corrupted');

  gh.validationErrors.length = 0;
  const noBody = await api(gh, 'POST', '/repos/acme/shop/issues/1/comments', { body: { text: 'wrong field' } });
  assert.equal(noBody.status, 500);
  assert.match(gh.validationErrors.join('\n'), /^request: .*must have required property 'body'/m);

  gh.validationErrors.length = 0;
  const unknownQuery = await api(gh, 'GET', '/repos/acme/shop/issues/1/comments?perpage=100');
  assert.equal(unknownQuery.status, 500);
  assert.match(gh.validationErrors.join('\n'), /query parameter "perpage" is not defined/);

  gh.validationErrors.length = 0;
  const broken = await fetch(`${gh.url}/repos/acme/shop/issues/1/comments`, { method: 'POST', headers: { authorization: `token ${gh.token}`, 'content-type': 'application/json' }, body: '{"body": ' });
  assert.equal(broken.status, 500);
  assert.match(gh.validationErrors.join('\n'), /body is not valid JSON/);

  gh.validationErrors.length = 0;
  const notEmulated = await api(gh, 'GET', '/repos/acme/shop/pulls/1');
  assert.equal(notEmulated.status, 500);
  assert.deepEqual(gh.validationErrors, ['not emulated: GET /repos/acme/shop/pulls/1']);
});

test('faults: a 503 then success, visible in the request log', async (t) => {
  const gh = await withEmulator(t);
  gh.faults.add({ method: 'POST', path: /\/issues\/\d+\/comments$/, status: 503, times: 1, retryAfter: 1 });
  const first = await api(gh, 'POST', '/repos/acme/shop/issues/5/comments', { body: { body: 'try 1' } });
  assert.equal(first.status, 503);
  assert.equal(first.headers.get('retry-after'), '1');
  assert.equal(first.body.message, 'Service Unavailable');
  assert.equal(gh.allComments().length, 0, 'nothing was created by the failed call');
  const second = await api(gh, 'POST', '/repos/acme/shop/issues/5/comments', { body: { body: 'try 2' } });
  assert.equal(second.status, 201);
  assert.deepEqual(gh.comments(5).map((c) => c.body), ['try 2']);
  assert.deepEqual(gh.requests.map((r) => [r.method, r.status, r.fault && r.fault.kind]), [['POST', 503, 'status'], ['POST', 201, null]]);
  assert.equal(gh.faults.injected, 1);

  // A lost response: the comment is created but the client never hears about it.
  gh.faults.add({ method: 'POST', dropAfterHandling: true });
  await assert.rejects(api(gh, 'POST', '/repos/acme/shop/issues/5/comments', { body: { body: 'lost' } }));
  assert.deepEqual(gh.comments(5).map((c) => c.body), ['try 2', 'lost']);
});

test('pull request files: pagination and the 3000-file cap', async (t) => {
  const gh = await withEmulator(t);
  const files = Array.from({ length: 3500 }, (_, i) => ({ filename: `migrations/${String(i).padStart(4, '0')}.sql`, status: 'added' }));
  files[1] = { filename: 'migrations/0001_new.sql', status: 'renamed', previous_filename: 'migrations/0001_old.sql' };
  files[2] = { filename: 'migrations/0002.sql', status: 'removed' };
  gh.setPullFiles(9, files);
  const p1 = await api(gh, 'GET', '/repos/acme/shop/pulls/9/files?per_page=100');
  assert.equal(p1.body.length, 100);
  assert.equal(p1.body[1].previous_filename, 'migrations/0001_old.sql');
  assert.equal(p1.body[1].status, 'renamed');
  assert.equal(p1.body[2].status, 'removed');
  assert.match(parseLinkHeader(p1.headers.get('link')).last, /page=30\b/, '3000 files / 100 per page');
  const p30 = await api(gh, 'GET', '/repos/acme/shop/pulls/9/files?per_page=100&page=30');
  assert.equal(p30.body.length, 100);
  assert.equal(p30.body[99].filename, 'migrations/2999.sql');
  assert.deepEqual((await api(gh, 'GET', '/repos/acme/shop/pulls/9/files?per_page=100&page=31')).body, []);
  assert.equal((await api(gh, 'GET', '/repos/acme/shop/pulls/10/files')).status, 404);
  assert.deepEqual(gh.validationErrors, []);
});

test('compare and workflow jobs', async (t) => {
  const gh = await withEmulator(t);
  const base = 'a'.repeat(40);
  const head = 'b'.repeat(40);
  gh.setCompare(base, head, [{ filename: 'migrations/003.sql', status: 'added' }, { filename: 'README.md', status: 'modified' }],
    { commits: [{ sha: 'c'.repeat(40), message: 'Add 003', parents: [base] }, { sha: head, message: 'Docs', parents: ['c'.repeat(40)] }] });
  const cmp = await api(gh, 'GET', `/repos/acme/shop/compare/${base}...${head}`);
  assert.equal(cmp.status, 200);
  assert.deepEqual(cmp.body.files.map((f) => [f.filename, f.status]), [['migrations/003.sql', 'added'], ['README.md', 'modified']]);
  assert.deepEqual(cmp.body.commits.map((c) => c.sha), ['c'.repeat(40), head]);
  assert.equal(cmp.body.status, 'ahead');
  assert.equal(cmp.body.ahead_by, 2);
  assert.equal((await api(gh, 'GET', `/repos/acme/shop/compare/${head}...${base}`)).status, 404);

  const jobs = await api(gh, 'GET', '/repos/acme/shop/actions/runs/9876543210/jobs');
  assert.equal(jobs.status, 200);
  assert.equal(jobs.body.total_count, 1);
  assert.equal(jobs.body.jobs[0].name, 'neon');
  assert.match(jobs.body.jobs[0].html_url, /^https:\/\/github\.com\/acme\/shop\/actions\/runs\/9876543210\/job\/\d+$/);
  gh.setJobs(5, [{ id: 51, name: 'build' }, { id: 52, name: 'Neon preview' }]);
  const named = await api(gh, 'GET', '/repos/acme/shop/actions/runs/5/jobs');
  assert.deepEqual(named.body.jobs.map((j) => j.name), ['build', 'Neon preview']);
  assert.deepEqual(gh.validationErrors, []);
});
