'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');

const { startSlackEmulator } = require('./index');

async function post(url, body, contentType = 'application/json') {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

test('records text and blocks posts and answers ok like Slack', async (t) => {
  const slack = await startSlackEmulator();
  t.after(() => slack.stop());
  assert.match(slack.url, /^http:\/\/127\.0\.0\.1:\d+\/services\/T000\/B000\/[0-9a-f]{24}$/);
  assert.deepEqual(await post(slack.url, { text: 'Migration applied' }), { status: 200, text: 'ok' });
  const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'neon-gitops' } }, { type: 'section', text: { type: 'mrkdwn', text: '*3* migrations' } }];
  assert.deepEqual(await post(slack.url, { text: 'fallback', blocks }), { status: 200, text: 'ok' });
  assert.deepEqual(slack.messages, [{ text: 'Migration applied' }, { text: 'fallback', blocks }]);
});

test('rejects what Slack rejects', async (t) => {
  const slack = await startSlackEmulator();
  t.after(() => slack.stop());
  assert.deepEqual(await post(slack.url, 'payload=%7B%7D', 'application/x-www-form-urlencoded'), { status: 400, text: 'invalid_payload' });
  assert.deepEqual(await post(slack.url, '{"text": '), { status: 400, text: 'invalid_payload' });
  assert.deepEqual(await post(slack.url, { username: 'x' }), { status: 400, text: 'no_text' });
  assert.deepEqual(await post(slack.url, { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }] }), { status: 400, text: 'invalid_blocks' });
  assert.deepEqual(await post(slack.url, { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }), { status: 400, text: 'invalid_blocks' });
  assert.deepEqual(await post(slack.url.replace(/[0-9a-f]{24}$/, 'wrongsecret'), { text: 'x' }), { status: 404, text: 'no_service' });
  assert.deepEqual(slack.messages, []);
  assert.equal(slack.requests.length, 6);
});

test('faults apply to the webhook too', async (t) => {
  const slack = await startSlackEmulator();
  t.after(() => slack.stop());
  slack.faults.add({ status: 503, times: 1 });
  assert.equal((await post(slack.url, { text: 'a' })).status, 503);
  assert.deepEqual(await post(slack.url, { text: 'b' }), { status: 200, text: 'ok' });
  assert.deepEqual(slack.messages, [{ text: 'b' }]);
  assert.equal(slack.requests[0].fault.kind, 'status');
});
