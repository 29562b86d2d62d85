'use strict';
// The payload builders are checked against GitHub's own webhook schemas (the
// x-webhooks section of @octokit/openapi), so a shape drift fails here first.

const test = require('node:test');
const assert = require('node:assert/strict');
const { createValidator, loadGitHubSpec } = require('./openapi');
const { pullRequestEvent, pushEvent, scheduleEvent, workflowDispatchEvent } = require('./events');

// The shared OpenAPI validator only routes `paths`, so the webhook request bodies are
// mounted on synthetic paths of a small spec built from the real one.
let validator;
function webhookProblems(name, payload) {
  if (!validator) {
    const spec = loadGitHubSpec();
    const paths = {};
    for (const [hook, item] of Object.entries(spec['x-webhooks'])) {
      paths[`/webhooks/${hook}`] = { post: { operationId: `webhook/${hook}`, requestBody: item.post.requestBody, responses: { 200: { description: 'ok' } } } };
    }
    validator = createValidator({ openapi: spec.openapi, info: spec.info, paths, components: spec.components || {} });
  }
  return validator.validateRequest({ method: 'POST', path: `/webhooks/${name}`, headers: { 'content-type': 'application/json' }, body: payload });
}

function assertValid(name, payload) {
  assert.deepEqual(webhookProblems(name, payload), []);
}

test('pull_request payloads match GitHub webhook schemas', () => {
  for (const action of ['opened', 'synchronize', 'reopened']) {
    const ev = pullRequestEvent({ action, number: 42, headRef: 'feat/x', headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40) });
    assertValid(`pull-request-${action}`, ev);
    assert.equal(ev.action, action);
    assert.equal(ev.number, 42);
    assert.equal(ev.repository.full_name, 'acme/shop');
    assert.equal(ev.repository.owner.login, 'acme');
    assert.equal(ev.pull_request.head.sha, 'a'.repeat(40));
    assert.equal(ev.pull_request.base.sha, 'b'.repeat(40));
    assert.equal(ev.installation, undefined);
    assert.ok(ev.sender.login);
  }
  const merged = pullRequestEvent({ action: 'closed', merged: true, mergeCommitSha: 'c'.repeat(40) });
  assertValid('pull-request-closed', merged);
  assert.equal(merged.pull_request.merged, true);
  assert.equal(merged.pull_request.merge_commit_sha, 'c'.repeat(40));
  assert.equal(merged.pull_request.state, 'closed');

  const abandoned = pullRequestEvent({ action: 'closed', merged: false });
  assertValid('pull-request-closed', abandoned);
  assert.equal(abandoned.pull_request.merged, false);
  assert.equal(abandoned.pull_request.merged_at, null);

  const sync = pullRequestEvent({ action: 'synchronize', headSha: 'd'.repeat(40) });
  assert.equal(sync.after, 'd'.repeat(40));
  assert.match(sync.before, /^[0-9a-f]{40}$/);
});

test('fork PRs have a head repo that differs from the base repo', () => {
  const ev = pullRequestEvent({ fork: true, sender: 'mallory' });
  assertValid('pull-request-opened', ev);
  assert.equal(ev.pull_request.head.repo.full_name, 'mallory/shop');
  assert.equal(ev.pull_request.head.repo.fork, true);
  assert.equal(ev.pull_request.base.repo.full_name, 'acme/shop');
  assert.notEqual(ev.pull_request.head.repo.id, ev.pull_request.base.repo.id);
});

test('push and workflow_dispatch payloads match GitHub webhook schemas', () => {
  const push = pushEvent({
    before: '1'.repeat(40),
    after: '2'.repeat(40),
    commits: [{ message: 'Add 003', added: ['migrations/003.sql'] }],
  });
  assertValid('push', push);
  assert.equal(push.after, '2'.repeat(40));
  assert.equal(push.head_commit.id, '2'.repeat(40));
  assert.equal(push.commits[0].id, '2'.repeat(40));
  assert.equal(typeof push.repository.pushed_at, 'number');

  const dispatch = workflowDispatchEvent({ inputs: { mode: 'sync' } });
  assertValid('workflow-dispatch', dispatch);
  assert.deepEqual(dispatch.inputs, { mode: 'sync' });
});

test('schedule payload carries the cron expression and no sender', () => {
  const ev = scheduleEvent({ cron: '*/30 * * * *' });
  assert.equal(ev.schedule, '*/30 * * * *');
  assert.equal(ev.repository.full_name, 'acme/shop');
  assert.equal(ev.sender, undefined);
});

test('builders are deterministic', () => {
  assert.deepEqual(pullRequestEvent({ number: 3 }), pullRequestEvent({ number: 3 }));
  assert.notEqual(pullRequestEvent({ number: 3 }).pull_request.id, pullRequestEvent({ number: 4 }).pull_request.id);
});
