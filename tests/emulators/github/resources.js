'use strict';
// Builders for the objects the GitHub emulator returns, in the shapes of GitHub's REST
// API (issue-comment, diff-entry, commit, commit-comparison, job). API URLs point at the
// emulator (so a client that follows `url` fields stays local), HTML URLs at github.com.

const crypto = require('node:crypto');
const { simpleUser, nodeId, WEB } = require('../../support/github-user');

function sha1(...parts) {
  return crypto.createHash('sha1').update(parts.join('\0')).digest('hex');
}

/** The identity behind a workflow's GITHUB_TOKEN. */
const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

/** The GitHub App object attached to comments made with GITHUB_TOKEN. */
function actionsApp() {
  return {
    id: 15368,
    slug: 'github-actions',
    node_id: 'MDM6QXBwMTUzNjg=',
    client_id: 'Iv1.05c79e9ad1f6bdfa',
    owner: {
      login: 'github', id: 9919, node_id: 'MDEyOk9yZ2FuaXphdGlvbjk5MTk=', avatar_url: 'https://avatars.githubusercontent.com/u/9919?v=4', gravatar_id: '',
      url: 'https://api.github.com/users/github', html_url: 'https://github.com/github', followers_url: 'https://api.github.com/users/github/followers',
      following_url: 'https://api.github.com/users/github/following{/other_user}', gists_url: 'https://api.github.com/users/github/gists{/gist_id}',
      starred_url: 'https://api.github.com/users/github/starred{/owner}{/repo}', subscriptions_url: 'https://api.github.com/users/github/subscriptions',
      organizations_url: 'https://api.github.com/users/github/orgs', repos_url: 'https://api.github.com/users/github/repos',
      events_url: 'https://api.github.com/users/github/events{/privacy}', received_events_url: 'https://api.github.com/users/github/received_events',
      type: 'Organization', user_view_type: 'public', site_admin: false,
    },
    name: 'GitHub Actions',
    description: 'Automate your workflow from idea to production',
    external_url: 'https://help.github.com/en/actions',
    html_url: 'https://github.com/apps/github-actions',
    created_at: '2018-07-30T09:30:17Z',
    updated_at: '2024-04-10T20:33:16Z',
    permissions: { actions: 'write', checks: 'write', contents: 'write', issues: 'write', metadata: 'read', pull_requests: 'write', statuses: 'write' },
    events: ['branch_protection_rule', 'check_run', 'pull_request', 'push', 'workflow_dispatch'],
  };
}

/** issue-comment. `stored` is the emulator's record { id, issue, body, user, created, updated, viaApp }. */
function issueComment(api, repo, stored) {
  const url = `${api}/repos/${repo}/issues/comments/${stored.id}`;
  return {
    id: stored.id,
    node_id: nodeId('IC', stored.id),
    url,
    html_url: `${WEB}/${repo}/${stored.isPull ? 'pull' : 'issues'}/${stored.issue}#issuecomment-${stored.id}`,
    body: stored.body,
    user: simpleUser(api, stored.user),
    created_at: stored.created,
    updated_at: stored.updated,
    issue_url: `${api}/repos/${repo}/issues/${stored.issue}`,
    author_association: stored.user.type === 'Bot' ? 'NONE' : (stored.authorAssociation || 'MEMBER'),
    performed_via_github_app: stored.viaApp ? actionsApp() : null,
    reactions: {
      url: `${url}/reactions`, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0,
    },
  };
}

/** pull-request-review-comment, as pulls/{n}/comments lists them. */
function reviewComment(api, repo, c) {
  const url = `${api}/repos/${repo}/pulls/comments/${c.id}`;
  const html = `${WEB}/${repo}/pull/${c.pr}#discussion_r${c.id}`;
  const pr = `${api}/repos/${repo}/pulls/${c.pr}`;
  return {
    url,
    pull_request_review_id: c.reviewId,
    id: c.id,
    node_id: nodeId('PRRC', c.id),
    diff_hunk: c.diffHunk,
    path: c.path,
    commit_id: c.commitId,
    original_commit_id: c.commitId,
    user: simpleUser(api, c.user),
    body: c.body,
    created_at: c.created,
    updated_at: c.updated,
    html_url: html,
    pull_request_url: pr,
    author_association: c.user.type === 'Bot' ? 'NONE' : 'MEMBER',
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: pr } },
    start_line: c.startLine === undefined ? null : c.startLine,
    original_start_line: c.startLine === undefined ? null : c.startLine,
    start_side: c.startLine === undefined ? null : 'RIGHT',
    line: c.line,
    original_line: c.line,
    side: 'RIGHT',
    subject_type: 'line',
  };
}

/** pull-request-review, as creating a review answers. */
function review(api, repo, r) {
  const html = `${WEB}/${repo}/pull/${r.pr}#pullrequestreview-${r.id}`;
  const pr = `${api}/repos/${repo}/pulls/${r.pr}`;
  return {
    id: r.id,
    node_id: nodeId('PRR', r.id),
    user: simpleUser(api, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: pr,
    _links: { html: { href: html }, pull_request: { href: pr } },
    submitted_at: r.submitted,
    commit_id: r.commitId,
    author_association: r.user.type === 'Bot' ? 'NONE' : 'MEMBER',
  };
}

/** diff-entry, as in pulls/{n}/files and compare. */
function diffEntry(repo, headSha, f) {
  const status = f.status || 'modified';
  const additions = f.additions !== undefined ? f.additions : (status === 'removed' ? 0 : 3);
  const deletions = f.deletions !== undefined ? f.deletions : (status === 'added' ? 0 : status === 'removed' ? 3 : 1);
  const encoded = f.filename.split('/').map(encodeURIComponent).join('/');
  const entry = {
    sha: f.sha || sha1('blob', f.filename, headSha),
    filename: f.filename,
    status,
    additions,
    deletions,
    changes: additions + deletions,
    blob_url: `${WEB}/${repo}/blob/${headSha}/${encoded}`,
    raw_url: `${WEB}/${repo}/raw/${headSha}/${encoded}`,
    contents_url: `https://api.github.com/repos/${repo}/contents/${encoded}?ref=${headSha}`,
  };
  if (f.patch !== undefined) entry.patch = f.patch;
  else if (status !== 'renamed' || f.changes) entry.patch = '@@ -0,0 +1,3 @@\n+-- migration\n+select 1;\n+';
  if (status === 'renamed' || status === 'copied') entry.previous_filename = f.previous_filename;
  return entry;
}

/** commit (as in compare's commits / base_commit). */
function commit(api, repo, c) {
  const when = c.date || '2025-01-15T09:30:00Z';
  const gitUser = { name: c.authorName || 'Test Author', email: c.authorEmail || 'author@example.com', date: when };
  const author = c.author === null ? null : simpleUser(api, { login: c.author || 'octocat', id: 583231 });
  return {
    url: `${api}/repos/${repo}/commits/${c.sha}`,
    sha: c.sha,
    node_id: nodeId('C', c.sha.slice(0, 12)),
    html_url: `${WEB}/${repo}/commit/${c.sha}`,
    comments_url: `${api}/repos/${repo}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/repos/${repo}/git/commits/${c.sha}`,
      author: gitUser,
      committer: { ...gitUser },
      message: c.message || 'Update',
      comment_count: 0,
      tree: { sha: sha1('tree', c.sha), url: `${api}/repos/${repo}/git/trees/${sha1('tree', c.sha)}` },
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    author,
    committer: author,
    parents: (c.parents || []).map((p) => ({ sha: p, url: `${api}/repos/${repo}/commits/${p}`, html_url: `${WEB}/${repo}/commit/${p}` })),
  };
}

/** workflow job; `html_url` is the link a user clicks to see the job's log. */
function job(api, repo, runId, j) {
  const id = j.id;
  return {
    id,
    run_id: Number(runId),
    workflow_name: j.workflowName || 'Neon',
    head_branch: j.headBranch || 'main',
    run_url: `${api}/repos/${repo}/actions/runs/${runId}`,
    run_attempt: j.runAttempt || 1,
    node_id: nodeId('CR', id),
    head_sha: j.headSha || sha1('run', runId),
    url: `${api}/repos/${repo}/actions/jobs/${id}`,
    html_url: `${WEB}/${repo}/actions/runs/${runId}/job/${id}`,
    status: j.status || 'in_progress',
    conclusion: j.conclusion === undefined ? null : j.conclusion,
    created_at: j.createdAt || '2025-01-15T09:59:50Z',
    started_at: j.startedAt || '2025-01-15T10:00:00Z',
    completed_at: j.completedAt || null,
    name: j.name,
    steps: j.steps || [
      { name: 'Set up job', status: 'completed', conclusion: 'success', number: 1, started_at: '2025-01-15T10:00:00Z', completed_at: '2025-01-15T10:00:02Z' },
      { name: 'Run neon-gitops', status: 'in_progress', conclusion: null, number: 2, started_at: '2025-01-15T10:00:02Z', completed_at: null },
    ],
    check_run_url: `${api}/repos/${repo}/check-runs/${id}`,
    labels: j.labels || ['ubuntu-latest'],
    runner_id: 1,
    runner_name: 'GitHub Actions 1',
    runner_group_id: 0,
    runner_group_name: 'GitHub Actions',
  };
}

/** GitHub's error body: message, documentation_url and (in current API versions) status. */
function errorBody(status, message, documentationUrl = 'https://docs.github.com/rest', extra = {}) {
  return { message, ...extra, documentation_url: documentationUrl, status: String(status) };
}

module.exports = { simpleUser, ACTIONS_BOT, issueComment, reviewComment, review, diffEntry, commit, job, errorBody, sha1 };
