'use strict';
// Webhook payloads shaped like the ones GitHub writes to GITHUB_EVENT_PATH.
//
// The shapes follow GitHub's webhook documentation (and are checked against the
// x-webhooks schemas of @octokit/openapi in events.test.js): numeric ids, node_ids,
// API and HTML URLs, `repository.full_name`, `owner.login`, `sender`. `installation` is
// absent, as it is for workflow runs that are not triggered through a GitHub App.
//
// Ids are derived from the inputs with a hash, so the same call builds the same payload.

const crypto = require('node:crypto');
const { simpleUser, nodeId, WEB } = require('./github-user');

const API = 'https://api.github.com';
const CREATED = '2025-01-15T09:00:00Z';
const UPDATED = '2025-01-15T09:30:00Z';

function stableId(...parts) {
  return crypto.createHash('sha256').update(parts.join('\0')).digest().readUInt32BE(0) % 900000000 + 10000000;
}
function fakeSha(...parts) {
  return crypto.createHash('sha1').update(parts.join('\0')).digest('hex');
}

/** A user or organization object ("simple-user" in GitHub's schemas). */
function account(login, type = 'User') {
  return simpleUser(API, { login, id: stableId('account', login), type });
}

/**
 * A repository object. `style: 'push'` gives the push event's variant, where
 * created_at/pushed_at are unix timestamps and the owner carries name/email.
 */
function repository(fullName, { style = 'default', fork = false } = {}) {
  const [ownerLogin, name] = fullName.split('/');
  const id = stableId('repo', fullName);
  const url = `${API}/repos/${fullName}`;
  const owner = account(ownerLogin, ownerLogin === 'acme' ? 'Organization' : 'User');
  if (style === 'push') Object.assign(owner, { name: ownerLogin, email: null });
  const repo = {
    id,
    node_id: nodeId('R', id),
    name,
    full_name: fullName,
    private: false,
    owner,
    html_url: `${WEB}/${fullName}`,
    description: 'Shop backend',
    fork,
    url,
    forks_url: `${url}/forks`,
    keys_url: `${url}/keys{/key_id}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    teams_url: `${url}/teams`,
    hooks_url: `${url}/hooks`,
    issue_events_url: `${url}/issues/events{/number}`,
    events_url: `${url}/events`,
    assignees_url: `${url}/assignees{/user}`,
    branches_url: `${url}/branches{/branch}`,
    tags_url: `${url}/tags`,
    blobs_url: `${url}/git/blobs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    trees_url: `${url}/git/trees{/sha}`,
    statuses_url: `${url}/statuses/{sha}`,
    languages_url: `${url}/languages`,
    stargazers_url: `${url}/stargazers`,
    contributors_url: `${url}/contributors`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    commits_url: `${url}/commits{/sha}`,
    git_commits_url: `${url}/git/commits{/sha}`,
    comments_url: `${url}/comments{/number}`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    contents_url: `${url}/contents/{+path}`,
    compare_url: `${url}/compare/{base}...{head}`,
    merges_url: `${url}/merges`,
    archive_url: `${url}/{archive_format}{/ref}`,
    downloads_url: `${url}/downloads`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    labels_url: `${url}/labels{/name}`,
    releases_url: `${url}/releases{/id}`,
    deployments_url: `${url}/deployments`,
    created_at: style === 'push' ? 1736931600 : '2025-01-15T09:00:00Z',
    updated_at: UPDATED,
    pushed_at: style === 'push' ? 1736933400 : UPDATED,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `${WEB}/${fullName}.git`,
    svn_url: `${WEB}/${fullName}`,
    homepage: null,
    size: 512,
    stargazers_count: 3,
    watchers_count: 3,
    language: 'TypeScript',
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 1,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 2,
    license: { key: 'mit', name: 'MIT License', spdx_id: 'MIT', url: `${API}/licenses/mit`, node_id: 'MDc6TGljZW5zZTEz' },
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: 'public',
    forks: 1,
    open_issues: 2,
    watchers: 3,
    default_branch: 'main',
  };
  if (style === 'push') Object.assign(repo, { stargazers: 3, master_branch: 'main', organization: ownerLogin });
  return repo;
}

function prBranch({ label, ref, sha, repo }) {
  return { label: `${label}:${ref}`, ref, sha, user: repo.owner, repo };
}

/**
 * pull_request event. `fork: true` puts the head branch in another repository
 * (`<sender>/<name>`), as for a PR from a fork.
 */
function pullRequestEvent({
  action = 'opened',
  number = 1,
  title = 'Add orders table',
  body = 'Adds the orders table.',
  headRef = 'feature/orders',
  headSha,
  baseRef = 'main',
  baseSha,
  merged = false,
  mergeCommitSha,
  fork = false,
  repo = 'acme/shop',
  sender = 'octocat',
  draft = false,
  before,
  after,
} = {}) {
  headSha = headSha || fakeSha(repo, 'head', number, headRef);
  baseSha = baseSha || fakeSha(repo, 'base', baseRef);
  const baseRepo = repository(repo);
  const headRepo = fork ? repository(`${sender}/${repo.split('/')[1]}`, { fork: true }) : baseRepo;
  const closed = action === 'closed';
  const isMerged = closed && merged;
  const id = stableId('pr', repo, number);
  const url = `${API}/repos/${repo}/pulls/${number}`;
  const html = `${WEB}/${repo}/pull/${number}`;
  const issueUrl = `${API}/repos/${repo}/issues/${number}`;
  const user = account(sender);
  const pullRequest = {
    url,
    id,
    node_id: nodeId('PR', id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    number,
    state: closed ? 'closed' : 'open',
    locked: false,
    title,
    user,
    body,
    created_at: CREATED,
    updated_at: UPDATED,
    closed_at: closed ? UPDATED : null,
    merged_at: isMerged ? UPDATED : null,
    // For an open PR this is GitHub's test merge commit (what GITHUB_SHA points to);
    // for a merged one it is the real merge commit; it may be null after a close.
    merge_commit_sha: mergeCommitSha !== undefined ? mergeCommitSha : (closed && !merged ? null : fakeSha(repo, 'merge', number, headSha, baseSha)),
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${API}/repos/${repo}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${API}/repos/${repo}/statuses/${headSha}`,
    head: prBranch({ label: headRepo.owner.login, ref: headRef, sha: headSha, repo: headRepo }),
    base: prBranch({ label: baseRepo.owner.login, ref: baseRef, sha: baseSha, repo: baseRepo }),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${API}/repos/${repo}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${API}/repos/${repo}/statuses/${headSha}` },
    },
    author_association: fork ? 'CONTRIBUTOR' : 'MEMBER',
    auto_merge: null,
    active_lock_reason: null,
    merged: isMerged,
    mergeable: closed ? null : true,
    rebaseable: closed ? null : true,
    mergeable_state: closed ? 'unknown' : 'clean',
    merged_by: isMerged ? account('maintainer') : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: fork,
    commits: 1,
    additions: 12,
    deletions: 0,
    changed_files: 1,
  };
  const payload = { action, number, pull_request: pullRequest };
  if (action === 'synchronize') {
    payload.before = before || fakeSha(repo, 'before', number, headSha);
    payload.after = after || headSha;
  }
  payload.repository = baseRepo;
  payload.sender = user;
  return payload;
}

/** push event. `commits`: [{ id?, message, added?, removed?, modified? }]. */
function pushEvent({
  before,
  after,
  ref = 'refs/heads/main',
  commits,
  repo = 'acme/shop',
  pusher = 'octocat',
  created = false,
  deleted = false,
  forced = false,
} = {}) {
  before = before || fakeSha(repo, 'before', ref);
  const list = (commits || [{ message: 'Update migrations', modified: [] }]).map((c, i) => {
    const id = c.id || fakeSha(repo, 'commit', ref, i, c.message);
    const who = { name: c.authorName || pusher, email: `${pusher}@users.noreply.github.com`, username: pusher };
    return {
      id,
      tree_id: fakeSha(repo, 'tree', id),
      distinct: true,
      message: c.message || `Commit ${i + 1}`,
      timestamp: c.timestamp || '2025-01-15T09:30:00Z',
      url: `${WEB}/${repo}/commit/${id}`,
      author: who,
      committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
      added: c.added || [],
      removed: c.removed || [],
      modified: c.modified || [],
    };
  });
  after = after || (list.length ? list[list.length - 1].id : fakeSha(repo, 'after', ref));
  if (list.length) list[list.length - 1].id = after;
  const headCommit = deleted || list.length === 0 ? null : { ...list[list.length - 1], url: `${WEB}/${repo}/commit/${after}` };
  return {
    ref,
    before,
    after,
    repository: repository(repo, { style: 'push' }),
    pusher: { name: pusher, email: `${pusher}@users.noreply.github.com` },
    sender: account(pusher),
    created,
    deleted,
    forced,
    base_ref: null,
    compare: `${WEB}/${repo}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: deleted ? [] : list,
    head_commit: headCommit,
  };
}

/**
 * schedule event. GitHub's payload for a scheduled run carries the cron expression and
 * the workflow file; it has no sender (no human triggered it).
 */
function scheduleEvent({ cron = '0 3 * * *', repo = 'acme/shop', workflow = '.github/workflows/neon-sync.yml' } = {}) {
  return { schedule: cron, repository: repository(repo), workflow };
}

/** workflow_dispatch event; input values arrive as strings unless typed boolean/number. */
function workflowDispatchEvent({ inputs = null, ref = 'refs/heads/main', repo = 'acme/shop', sender = 'octocat', workflow = '.github/workflows/neon.yml' } = {}) {
  return { inputs, ref, repository: repository(repo), sender: account(sender), workflow };
}

/** Event names for runAction's `eventName`. */
const EVENT_NAMES = { pullRequest: 'pull_request', push: 'push', schedule: 'schedule', workflowDispatch: 'workflow_dispatch' };

module.exports = {
  pullRequestEvent,
  pushEvent,
  scheduleEvent,
  workflowDispatchEvent,
  account,
  repository,
  fakeSha,
  EVENT_NAMES,
};
