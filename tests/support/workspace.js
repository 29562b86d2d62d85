'use strict';
// Real git checkouts to use as GITHUB_WORKSPACE.
//
// The action reads migrations from the checkout and may ask git about history, so a
// directory of files is not enough: this builds a real repository (git via execFile
// argument arrays, identity configured locally) and can clone it the way
// actions/checkout does (fetch-depth 1 by default, detached on a PR's merge ref).
//
// Commit dates are fixed and increase by one minute per commit, so the same script
// produces the same SHAs on every run and in CI.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const BASE_DATE = Date.UTC(2025, 0, 15, 9, 0, 0) / 1000;

function gitEnv(extra = {}) {
  // Ignore the developer's global/system git config: a signing or hooks setting there
  // must not change what a test builds.
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

function git(cwd, args, extraEnv) {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv(extraEnv), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        err.message = `git ${args.join(' ')} failed in ${cwd}: ${stderr || err.message}`;
        reject(err);
      } else {
        resolve(stdout.replace(/\n$/, ''));
      }
    });
  });
}

/** Write files (string | Buffer; null deletes) below `root`. */
function writeFiles(root, files) {
  for (const [rel, content] of Object.entries(files || {})) {
    const file = path.join(root, rel);
    if (!file.startsWith(root + path.sep)) throw new Error(`path escapes the workspace: ${rel}`);
    if (content === null) {
      fs.rmSync(file, { force: true });
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  }
}

class Workspace {
  constructor(dir) {
    this.path = dir;
    this.commitCount = 0;
    this.clones = [];
  }

  git(...args) {
    return git(this.path, args);
  }

  /** Env with a deterministic author/committer date for the next commit. */
  nextCommitEnv() {
    const date = `${BASE_DATE + 60 * this.commitCount++} +0000`;
    return { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  }

  /** Commit `files` ({path: content|null}) on the current branch; returns the new sha. */
  async commit(files, message = 'Update files') {
    writeFiles(this.path, files);
    const paths = Object.keys(files || {});
    if (paths.length) await this.git('add', '--all', '--', ...paths);
    await git(this.path, ['commit', '--allow-empty', '--no-verify', '-q', '-m', message], this.nextCommitEnv());
    return this.head();
  }

  /** Delete tracked paths in one commit; returns the new sha. */
  async remove(paths, message = `Remove ${[].concat(paths).join(', ')}`) {
    await this.git('rm', '-q', '-r', '--', ...[].concat(paths));
    await git(this.path, ['commit', '--no-verify', '-q', '-m', message], this.nextCommitEnv());
    return this.head();
  }

  /** Rename a tracked file in one commit; returns the new sha. */
  async rename(from, to, message = `Rename ${from} to ${to}`) {
    fs.mkdirSync(path.dirname(path.join(this.path, to)), { recursive: true });
    await this.git('mv', '--', from, to);
    await git(this.path, ['commit', '--no-verify', '-q', '-m', message], this.nextCommitEnv());
    return this.head();
  }

  head(ref = 'HEAD') {
    return this.git('rev-parse', ref);
  }

  currentBranch() {
    return this.git('rev-parse', '--abbrev-ref', 'HEAD');
  }

  /** Create branch `name` (from `from`, default the current HEAD) and switch to it. */
  async branch(name, { from } = {}) {
    await this.git('checkout', '-q', '-b', name, ...(from ? [from] : []));
    return this.head();
  }

  async checkout(ref) {
    await this.git('checkout', '-q', ref);
    return this.head();
  }

  /**
   * Merge `head` into `into` with a merge commit (parents: base tip, head tip), as
   * GitHub does. With `pr`, the commit is made the way GitHub builds a PR's test merge
   * commit: on a detached HEAD, stored as refs/pull/<pr>/merge, `into` left unmoved.
   * Returns { sha, baseSha, headSha }.
   */
  async merge(head, { into = 'main', message, pr } = {}) {
    const previous = await this.currentBranch();
    const baseSha = await this.head(into);
    const headSha = await this.head(head);
    await this.git('checkout', '-q', ...(pr ? ['--detach'] : []), into);
    const msg = message || (pr ? `Merge ${headSha} into ${baseSha}` : `Merge branch '${head}' into ${into}`);
    await git(this.path, ['merge', '--no-ff', '--no-verify', '-q', '-m', msg, head], this.nextCommitEnv());
    const sha = await this.head();
    if (pr) {
      await this.git('update-ref', `refs/pull/${pr}/merge`, sha);
      await this.git('update-ref', `refs/pull/${pr}/head`, headSha);
    }
    // A real merge leaves you on `into`; a PR test merge leaves your branch as it was.
    if (pr && previous !== 'HEAD') await this.git('checkout', '-q', previous);
    return { sha, baseSha, headSha };
  }

  /** Files changed between two commits, as git reports them (A/M/D/R...). */
  async diff(base, head) {
    const out = await this.git('diff', '--name-status', '-M', base, head);
    return out ? out.split('\n').map((l) => { const [status, ...files] = l.split('\t'); return { status, files }; }) : [];
  }

  /**
   * A clone made like actions/checkout: fresh repo, `git fetch --depth=<depth>` of one
   * commit, checkout. `ref` is a branch name (checked out as that branch), a
   * refs/pull/N/merge ref (detached, like pull_request runs) or a sha (detached).
   * Returns a Workspace for the clone (its own cleanup() is called by ours).
   */
  async shallowClone(depth = 1, { ref } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-checkout-'));
    const clone = new Workspace(dir);
    this.clones.push(clone);
    const source = ref || (await this.currentBranch());
    const isBranch = source !== 'HEAD' && !source.startsWith('refs/') && !/^[0-9a-f]{40}$/.test(source)
      && (await this.git('branch', '--list', source)) !== '';
    const sha = await this.head(source === 'HEAD' ? 'HEAD' : source);
    const localRef = isBranch ? `refs/remotes/origin/${source}`
      : source.startsWith('refs/pull/') ? source.replace(/^refs\/pull\//, 'refs/remotes/pull/') : null;
    // file:// makes git use the real transport, so --depth is honoured for a local path.
    await clone.git('init', '-q', '-b', 'main');
    await clone.git('remote', 'add', 'origin', `file://${this.path}`);
    await clone.git('-c', 'protocol.version=2', 'fetch', '-q', '--no-tags', '--prune', '--no-recurse-submodules',
      ...(depth > 0 ? [`--depth=${depth}`] : []), 'origin', `+${sha}${localRef ? `:${localRef}` : ''}`);
    if (isBranch) await clone.git('checkout', '-q', '--force', '-B', source, localRef);
    else await clone.git('checkout', '-q', '--force', '--detach', localRef || sha);
    return clone;
  }

  async isShallow() {
    return (await this.git('rev-parse', '--is-shallow-repository')) === 'true';
  }

  cleanup() {
    for (const c of this.clones) c.cleanup();
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * Creates a real git repository in a temp dir.
 *   files:   committed as the first commit ("Initial commit") on `branch`
 *   commits: further commits, each { files, message } or { remove: [paths], message }
 */
async function makeWorkspace({ files, commits = [], branch = 'main', name = 'Test Author', email = 'author@example.com' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-ws-'));
  const ws = new Workspace(dir);
  try {
    await ws.git('init', '-q', '-b', branch);
    await ws.git('config', 'user.name', name);
    await ws.git('config', 'user.email', email);
    await ws.git('config', 'commit.gpgsign', 'false');
    // Let shallow clones fetch any commit by sha (what GitHub's servers allow).
    await ws.git('config', 'uploadpack.allowAnySHA1InWant', 'true');
    if (files) await ws.commit(files, 'Initial commit');
    for (const c of commits) {
      if (c.remove) await ws.remove(c.remove, c.message);
      if (c.files || !c.remove) await ws.commit(c.files || {}, c.message);
    }
    return ws;
  } catch (e) {
    ws.cleanup();
    throw e;
  }
}

module.exports = { makeWorkspace, Workspace, writeFiles };
