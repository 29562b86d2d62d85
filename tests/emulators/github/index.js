'use strict';
// GitHub REST emulator: the part of api.github.com the action uses, with GitHub's
// semantics (auth, pagination, validation errors), on 127.0.0.1.
//
//   const gh = await startGitHubEmulator({ repo: 'acme/shop' });
//   runAction({ githubApiUrl: gh.url, inputs: { 'github-token': gh.token }, ... });
//
// Every request and every response is checked against GitHub's OpenAPI description
// (tests/support/openapi.js). A mismatch is a bug in the action or in the emulator, so
// it is recorded in `validationErrors` and answered with a 500: the action then fails
// loudly instead of a test passing against a GitHub that does not exist. Statuses
// GitHub sends on every endpoint but the description leaves out of most operations
// (400, 401, 403, 404) are not schema-checked; their bodies are GitHub's error shape.
//
// Faults (tests/support/faults.js) are applied before anything else, like a network or
// a GitHub outage would be.

const http = require('node:http');
const crypto = require('node:crypto');

const { createValidator, loadGitHubSpec } = require('../../support/openapi');
const { FaultSchedule, applyFaults } = require('../../support/faults');
const R = require('./resources');
const { paginate } = require('./pagination');
const guard = require('../../support/guard');
const KIND = 'github';

const MAX_COMMENT_CHARS = 65536;
const MAX_PR_FILES = 3000; // GitHub lists at most 3000 files of a pull request
const MAX_COMPARE_FILES = 300;
const UNDOCUMENTED_OK = new Set([400, 401, 403, 404]);
const DOCS = {
  comments: 'https://docs.github.com/rest/issues/comments',
  createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  updateComment: 'https://docs.github.com/rest/issues/comments#update-an-issue-comment',
};

let sharedValidator = null;
function validator() {
  // One validator per process: the spec is large and compiled schemas are cached in it.
  if (!sharedValidator) sharedValidator = createValidator(loadGitHubSpec());
  return sharedValidator;
}

class HttpError extends Error {
  constructor(status, body, headers = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** A 500 the emulator sends about itself (spec mismatch, route not emulated). */
function emulatorError(message) {
  const e = new HttpError(500, R.errorBody(500, `emulator: ${message}`));
  e.skipValidation = true;
  return e;
}

/** The request log keeps the auth scheme but not the credential itself. */
function redactAuth(headers, token) {
  if (headers.authorization) {
    headers.authorization = headers.authorization.replace(/^(\S+\s+)(\S+)$/, (_, scheme, value) => scheme + (value === token ? '<token>' : '<other credential>'));
  }
  return headers;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Body length as GitHub counts it: characters (code points), not bytes or UTF-16 units. */
function charCount(s) {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
}

async function startGitHubEmulator({
  repo = 'acme/shop',
  token = 'ghs_' + crypto.randomBytes(27).toString('base64url').slice(0, 36),
  user = R.ACTIONS_BOT,
  validate = true,
} = {}) {
  const state = {
    comments: new Map(), // id -> stored comment
    reviews: [], // stored reviews, oldest first
    reviewComments: new Map(), // id -> stored review comment
    nextReviewId: 80000001,
    nextCommentId: 2000000001,
    pullFiles: new Map(), // pr number -> [file spec]
    pulls: new Set(), // numbers known to be PRs (comment html_url uses /pull/)
    compares: new Map(), // "base...head" -> { files, commits, ... }
    jobs: new Map(), // run id -> [job spec]
    clock: Date.UTC(2025, 0, 15, 10, 0, 0),
    rateRemaining: 5000,
  };
  const requests = [];
  const validationErrors = [];
  const debug = { corruptNextResponse: false };
  const faults = new FaultSchedule({
    errorBody: (status) => R.errorBody(status, http.STATUS_CODES[status] || 'Error'),
  });
  let baseUrl = '';

  /** Simulated clock: every write is one second after the previous one. */
  const tick = () => {
    state.clock += 1000;
    return new Date(state.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };
  const now = () => new Date(state.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');

  // ---- routes
  const routes = [
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, listComments],
    ['POST', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, createComment],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, getComment],
    ['PATCH', /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, updateComment],
    ['DELETE', /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, deleteComment],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/, listPullFiles],
    ['POST', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/, createReview],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/comments$/, listReviewComments],
    ['PATCH', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/comments\/(\d+)$/, updateReviewComment],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+)$/, compare],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/jobs$/, listJobs],
  ];

  function notFound() {
    return new HttpError(404, R.errorBody(404, 'Not Found'));
  }

  function checkRepo(owner, name) {
    // Owner and repo names are case-insensitive on GitHub.
    if (`${owner}/${name}`.toLowerCase() !== repo.toLowerCase()) throw notFound();
  }

  function commentBodyFrom(body, docs) {
    if (!body || typeof body.body !== 'string') {
      throw new HttpError(422, R.errorBody(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs));
    }
    if (charCount(body.body) > MAX_COMMENT_CHARS) {
      throw new HttpError(422, R.errorBody(422, 'Validation Failed', docs, {
        errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${MAX_COMMENT_CHARS} characters)` }],
      }));
    }
    return body.body;
  }

  const render = (c) => R.issueComment(baseUrl, repo, c);

  function listComments({ params, url }) {
    const issue = Number(params[3]);
    const since = url.searchParams.get('since');
    let list = [...state.comments.values()].filter((c) => c.issue === issue).sort((a, b) => a.id - b.id);
    if (since) list = list.filter((c) => c.updated >= since);
    const page = paginate(list, url);
    return { status: 200, body: page.items.map(render), headers: page.link ? { link: page.link } : {} };
  }

  function createComment({ params, body }) {
    const text = commentBodyFrom(body, DOCS.createComment);
    const at = tick();
    const c = { id: state.nextCommentId++, issue: Number(params[3]), body: text, user, created: at, updated: at, viaApp: user === R.ACTIONS_BOT, isPull: true };
    state.comments.set(c.id, c);
    const out = render(c);
    return { status: 201, body: out, headers: { location: out.url } };
  }

  function findComment(id) {
    const c = state.comments.get(Number(id));
    if (!c) throw notFound();
    return c;
  }

  function getComment({ params }) {
    return { status: 200, body: render(findComment(params[3])) };
  }

  function updateComment({ params, body }) {
    const c = findComment(params[3]);
    c.body = commentBodyFrom(body, DOCS.updateComment);
    c.updated = tick();
    return { status: 200, body: render(c) };
  }

  function deleteComment({ params }) {
    findComment(params[3]);
    state.comments.delete(Number(params[3]));
    tick();
    return { status: 204 };
  }

  function listPullFiles({ params, url }) {
    const n = Number(params[3]);
    if (!state.pullFiles.has(n)) throw notFound();
    const headSha = R.sha1('pr-head', n);
    const files = state.pullFiles.get(n).slice(0, MAX_PR_FILES).map((f) => R.diffEntry(repo, headSha, f));
    const page = paginate(files, url);
    return { status: 200, body: page.items, headers: page.link ? { link: page.link } : {} };
  }

  // Reviews (docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request): a
  // comment's `line` (and `start_line`) must be lines of the PR's diff on the side given,
  // else GitHub refuses the whole review with 422 "Pull request review thread line must be
  // part of the diff"; a multi-line comment needs start_line < line.
  function diffLines(n, path) {
    const f = (state.pullFiles.get(n) || []).find((x) => x.filename === path);
    if (!f) return null;
    const patch = R.diffEntry(repo, R.sha1('pr-head', n), f).patch || '';
    const lines = new Set();
    let next = 0;
    for (const l of patch.split('\n')) {
      const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
      if (h) next = Number(h[1]);
      else if (l.startsWith('+') || l.startsWith(' ')) lines.add(next++);
    }
    return { lines, hunk: patch };
  }

  function createReview({ params, body }) {
    const n = Number(params[3]);
    if (!state.pulls.has(n)) throw notFound();
    const docs = 'https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request';
    const unprocessable = (why) => new HttpError(422, R.errorBody(422, 'Unprocessable Entity', docs, { errors: [why] }));
    if ((body.event === 'COMMENT' || body.event === 'REQUEST_CHANGES') && !body.body && !(body.comments || []).length) {
      throw unprocessable('Review body is required for this event');
    }
    const checked = (body.comments || []).map((c) => {
      if (c.position !== undefined) throw unprocessable('the emulator models line-based comments only');
      const diff = diffLines(n, c.path);
      if (!diff) throw unprocessable('Path could not be resolved');
      if ((c.side && c.side !== 'RIGHT') || (c.start_side && c.start_side !== 'RIGHT')) throw unprocessable('the emulator models RIGHT-side comments only');
      const first = c.start_line === undefined ? c.line : c.start_line;
      if (first >= c.line && c.start_line !== undefined) throw unprocessable('start_line must precede the end line');
      for (let l = first; l <= c.line; l++) {
        if (!diff.lines.has(l)) throw unprocessable('Pull request review thread line must be part of the diff');
      }
      return { ...c, diffHunk: diff.hunk };
    });
    const at = tick();
    const r = { id: state.nextReviewId++, pr: n, user, body: body.body || '', state: body.event === 'COMMENT' ? 'COMMENTED' : body.event === 'APPROVE' ? 'APPROVED' : body.event ? 'CHANGES_REQUESTED' : 'PENDING', commitId: body.commit_id || R.sha1('pr-head', n), submitted: at };
    state.reviews.push(r);
    for (const c of checked) {
      const id = state.nextCommentId++;
      state.reviewComments.set(id, { id, pr: n, reviewId: r.id, user, body: c.body, path: c.path, line: c.line, startLine: c.start_line, diffHunk: c.diffHunk, commitId: r.commitId, created: at, updated: at });
    }
    return { status: 200, body: R.review(baseUrl, repo, r) };
  }

  function listReviewComments({ params, url }) {
    const n = Number(params[3]);
    if (!state.pulls.has(n)) throw notFound();
    const list = [...state.reviewComments.values()].filter((c) => c.pr === n).sort((a, b) => a.id - b.id);
    const page = paginate(list, url);
    return { status: 200, body: page.items.map((c) => R.reviewComment(baseUrl, repo, c)), headers: page.link ? { link: page.link } : {} };
  }

  function updateReviewComment({ params, body }) {
    const c = state.reviewComments.get(Number(params[3]));
    if (!c) throw notFound();
    c.body = commentBodyFrom(body, 'https://docs.github.com/rest/pulls/comments#update-a-review-comment-for-a-pull-request');
    c.updated = tick();
    return { status: 200, body: R.reviewComment(baseUrl, repo, c) };
  }

  function compare({ params, url }) {
    const basehead = decodeURIComponent(params[3]);
    const m = /^(.+?)\.{2,3}(.+)$/.exec(basehead);
    const entry = m && state.compares.get(`${m[1]}...${m[2]}`);
    if (!entry) throw notFound();
    const headSha = entry.headSha;
    const commits = entry.commits;
    // compare paginates its commits (max 250 per page); files come in full (max 300).
    const page = paginate(commits, url, { defaultPerPage: 250, maxPerPage: 250 });
    const ahead = entry.aheadBy !== undefined ? entry.aheadBy : commits.length;
    const behind = entry.behindBy || 0;
    const body = {
      url: `${baseUrl}/repos/${repo}/compare/${m[1]}...${m[2]}`,
      html_url: `https://github.com/${repo}/compare/${m[1]}...${m[2]}`,
      permalink_url: `https://github.com/${repo}/compare/${repo.split('/')[0]}:${entry.baseSha.slice(0, 7)}...${repo.split('/')[0]}:${headSha.slice(0, 7)}`,
      diff_url: `https://github.com/${repo}/compare/${m[1]}...${m[2]}.diff`,
      patch_url: `https://github.com/${repo}/compare/${m[1]}...${m[2]}.patch`,
      base_commit: R.commit(baseUrl, repo, { sha: entry.baseSha, message: 'Base' }),
      merge_base_commit: R.commit(baseUrl, repo, { sha: entry.mergeBaseSha || entry.baseSha, message: 'Merge base' }),
      status: ahead && behind ? 'diverged' : ahead ? 'ahead' : behind ? 'behind' : 'identical',
      ahead_by: ahead,
      behind_by: behind,
      total_commits: commits.length,
      commits: page.items.map((c) => R.commit(baseUrl, repo, c)),
      files: entry.files.slice(0, MAX_COMPARE_FILES).map((f) => R.diffEntry(repo, headSha, f)),
    };
    return { status: 200, body, headers: page.link ? { link: page.link } : {} };
  }

  function listJobs({ params, url }) {
    const runId = params[3];
    const specs = state.jobs.get(runId) || [{ id: Number(runId) * 10 + 1, name: 'neon' }];
    const all = specs.map((j) => R.job(baseUrl, repo, runId, j));
    const page = paginate(all, url);
    return { status: 200, body: { total_count: all.length, jobs: page.items }, headers: page.link ? { link: page.link } : {} };
  }

  // ---- request pipeline

  function authenticate(req) {
    const header = req.headers.authorization;
    if (!header) throw new HttpError(401, R.errorBody(401, 'Requires authentication', 'https://docs.github.com/rest'));
    const m = /^(bearer|token)\s+(\S+)$/i.exec(header.trim());
    if (!m || m[2] !== token) throw new HttpError(401, R.errorBody(401, 'Bad credentials', 'https://docs.github.com/rest'));
  }

  function rateHeaders() {
    state.rateRemaining = Math.max(0, state.rateRemaining - 1);
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(state.rateRemaining),
      'x-ratelimit-reset': String(Math.floor(state.clock / 1000) + 3600),
      'x-ratelimit-used': String(5000 - state.rateRemaining),
      'x-ratelimit-resource': 'core',
    };
  }

  function corrupt(body) {
    // Break the shape in a way any schema catches: an id that is not an integer.
    if (typeof debug.corruptNextResponse === 'function') return debug.corruptNextResponse(body);
    const copy = JSON.parse(JSON.stringify(body));
    const target = Array.isArray(copy) ? copy[0] : (copy.jobs ? copy.jobs[0] : copy);
    if (target && typeof target === 'object') {
      if ('id' in target) target.id = 'not-an-integer';
      else delete target[Object.keys(target)[0]];
    }
    return copy;
  }

  async function handle(req, res, entry, rawBody, url) {
    let response;
    try {
      authenticate(req);
      let body;
      if (rawBody.length) {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          // GitHub would answer 400 "Problems parsing JSON"; for the emulator it is a
          // client bug like any other spec mismatch.
          validationErrors.push(`request: ${req.method} ${url.pathname}: body is not valid JSON`);
          throw emulatorError('Problems parsing JSON');
        }
      }
      if (validate) {
        const problems = validator().validateRequest({
          method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body,
        });
        if (problems.length) {
          validationErrors.push(...problems.map((p) => `request: ${p}`));
          throw emulatorError(`request does not match GitHub's OpenAPI description: ${problems.join('; ')}`);
        }
      }
      const route = routes.find(([m, re]) => m === req.method && re.test(url.pathname));
      if (!route) {
        validationErrors.push(`not emulated: ${req.method} ${url.pathname}`);
        throw emulatorError(`${req.method} ${url.pathname} is not emulated`);
      }
      const params = route[1].exec(url.pathname);
      checkRepo(params[1], params[2]);
      response = route[2]({ params, url, body, req });
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      response = { status: e.status, body: e.body, headers: e.headers, skipValidation: e.skipValidation };
    }

    if (debug.corruptNextResponse && response.body !== undefined && response.status < 300) {
      response.body = corrupt(response.body);
      debug.corruptNextResponse = false;
    }
    const headers = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': crypto.randomBytes(8).toString('hex').toUpperCase(),
      ...rateHeaders(),
      ...(response.headers || {}),
    };
    if (response.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';

    if (validate && !response.skipValidation && !UNDOCUMENTED_OK.has(response.status)) {
      const problems = validator().validateResponse({
        method: req.method, path: url.pathname, status: response.status, headers, body: response.body,
      });
      if (problems.length) {
        validationErrors.push(...problems.map((p) => `response: ${p}`));
        response = { status: 500, body: R.errorBody(500, `emulator: response does not match GitHub's OpenAPI description: ${problems.join('; ')}`) };
        headers['content-type'] = 'application/json; charset=utf-8';
      }
    }

    const text = response.body === undefined ? '' : JSON.stringify(response.body);
    headers['content-length'] = String(Buffer.byteLength(text));
    entry.status = response.status;
    entry.responseBody = response.body;
    entry.responseHeaders = headers;
    res.writeHead(response.status, headers);
    res.end(text);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, baseUrl);
    let rawBody;
    try {
      rawBody = await readBody(req);
    } catch {
      return;
    }
    let requestBody;
    try { requestBody = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : undefined; } catch { requestBody = rawBody.toString('utf8'); }
    const entry = {
      at: Date.now(),
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redactAuth({ ...req.headers }, token),
      requestBody,
      status: null,
      responseBody: undefined,
      fault: null,
    };
    requests.push(entry);
    // applyFaults matches on req.path when present (no query string).
    req.path = url.pathname;
    try {
      // onFault: a stall shows in the log while it is still happening.
      entry.fault = await applyFaults(faults, req, res, () => handle(req, res, entry, rawBody, url), (f) => { entry.fault = f; });
      if (entry.fault && entry.fault.kind === 'status') {
        entry.status = entry.fault.status;
        entry.responseBody = entry.fault.body;
      }
    } catch (e) {
      validationErrors.push(`emulator crashed on ${req.method} ${url.pathname}: ${e.stack}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(R.errorBody(500, `emulator crashed: ${e.message}`)));
      }
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  baseUrl = `http://127.0.0.1:${server.address().port}`;

  const emulator = {
    url: baseUrl,
    token,
    repo,
    faults,
    requests,
    validationErrors,
    debug,

    /** Files of PR `number` as pulls/{n}/files lists them. */
    setPullFiles(number, files) {
      state.pullFiles.set(Number(number), files.map((f) => ({ ...f })));
      state.pulls.add(Number(number));
    },
    /** What compare/{base}...{head} answers; `opts.commits`: [{ sha, message, parents }]. */
    setCompare(base, head, files, opts = {}) {
      const headSha = opts.headSha || (/^[0-9a-f]{40}$/.test(head) ? head : R.sha1('ref', head));
      const baseSha = opts.baseSha || (/^[0-9a-f]{40}$/.test(base) ? base : R.sha1('ref', base));
      const commits = opts.commits || [{ sha: headSha, message: 'Head commit', parents: [baseSha] }];
      state.compares.set(`${base}...${head}`, { files: files.map((f) => ({ ...f })), commits, headSha, baseSha, mergeBaseSha: opts.mergeBaseSha, aheadBy: opts.aheadBy, behindBy: opts.behindBy });
    },
    /** Jobs of a workflow run: [{ id, name, status?, conclusion? }]. */
    setJobs(runId, jobs) {
      state.jobs.set(String(runId), jobs);
    },
    /** A comment written by someone else (e.g. a human reviewer) before the run. */
    seedComment(issueNumber, body, { login = 'octocat', id = 583231, type = 'User' } = {}) {
      const at = tick();
      const c = { id: state.nextCommentId++, issue: Number(issueNumber), body, user: { login, id, type }, created: at, updated: at, viaApp: false, isPull: true };
      state.comments.set(c.id, c);
      return render(c);
    },
    /** Current comments of one issue/PR, oldest first, in the API's shape. */
    comments(issueNumber) {
      return [...state.comments.values()].filter((c) => c.issue === Number(issueNumber)).sort((a, b) => a.id - b.id).map(render);
    },
    /** Review comments of PR `number`, oldest first, in the API's shape. */
    reviewComments(number) {
      return [...state.reviewComments.values()].filter((c) => c.pr === Number(number)).sort((a, b) => a.id - b.id).map((c) => R.reviewComment(baseUrl, repo, c));
    },
    /** Reviews of PR `number`, oldest first. */
    reviews(number) {
      return state.reviews.filter((r) => r.pr === Number(number)).map((r) => R.review(baseUrl, repo, r));
    },
    /** Current comments of every issue/PR. */
    allComments() {
      return [...state.comments.values()].sort((a, b) => a.id - b.id).map((c) => ({ issue_number: c.issue, ...render(c) }));
    },
    /** Every comment body ever written (created or edited), including deleted ones. */
    commentBodiesEverWritten() {
      const bodies = [];
      for (const r of requests) {
        if ((r.method === 'POST' || r.method === 'PATCH') && /\/(issues|pulls)\/(\d+\/)?(comments|reviews)/.test(r.path) && r.requestBody) {
          if (typeof r.requestBody.body === 'string') bodies.push({ where: `${r.method} ${r.path}`, body: r.requestBody.body });
          for (const c of r.requestBody.comments || []) if (typeof c.body === 'string') bodies.push({ where: `${r.method} ${r.path} (review comment on ${c.path})`, body: c.body });
        }
      }
      return bodies;
    },
    now,
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  guard.registerSecret('github emulator token', token);
  guard.registerSurface(KIND, emulator);
  const stopServer = emulator.stop;
  emulator.stop = () => { guard.unregisterSurface(KIND, emulator); return stopServer(); };
  return emulator;
}

module.exports = { startGitHubEmulator, MAX_COMMENT_CHARS, MAX_PR_FILES };

// Node >= 22's test runner does not expand a directory argument: given
// `node --test tests/emulators/<name>/` it runs this directory as a module, i.e. this
// file. When run as the main module, load the emulator's own test files instead.
if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) require(path.join(__dirname, f));
}
