'use strict';
// Shared set-up for the migrate-mode end-to-end tests: a "production" database per test
// on the throwaway Postgres, a git checkout with a merged pull request, and one call that
// runs the action the way the runner does.

const crypto = require('node:crypto');
const { runAction } = require('../support/runner');
const { makeWorkspace } = require('../support/workspace');
const { pullRequestEvent, pushEvent } = require('../support/events');
const { quoteIdent } = require('../support/postgres');

/** A fresh database on `pg`; returns { name, url, psql(sql) }. */
async function newDatabase(pg, prefix = 'prod') {
  const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  await pg.createDatabase(name);
  return {
    name,
    url: pg.url(name),
    psql: async (sql) => (await pg.psql(sql, { db: name })).trim(),
    // pg_dump's \\restrict key is random per dump.
    dump: async () => (await pg.dumpSchema(name)).split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n'),
  };
}

/**
 * A repository whose main branch has `base` files, and a PR (branch `feature`) adding
 * `pr` files, merged into main with a merge commit, as GitHub does. The checkout is at
 * the merge commit. Returns { ws, event } with a closed+merged pull_request event.
 */
async function mergedPr(base, pr, { number = 7 } = {}) {
  const ws = await makeWorkspace({ files: { 'README.md': '# shop\n', ...base } });
  await ws.branch('feature');
  await ws.commit(pr, 'Add migrations');
  await ws.checkout('main');
  const { sha, baseSha, headSha } = await ws.merge('feature', { into: 'main' });
  const event = pullRequestEvent({ action: 'closed', merged: true, number, baseSha, headSha, mergeCommitSha: sha });
  return { ws, event, eventName: 'pull_request' };
}

/** Another commit on main of the same checkout: a push event for before..after. */
async function push(ws, files, message = 'More migrations') {
  const before = await ws.head();
  const after = await ws.commit(files, message);
  return { event: pushEvent({ before, after }), eventName: 'push' };
}

async function removeFiles(ws, paths) {
  const before = await ws.head();
  const after = await ws.remove(paths);
  return { event: pushEvent({ before, after }), eventName: 'push' };
}

/** Run mode: migrate against `db` from the checkout `ws`. */
function migrate({ ws, db, event, eventName = 'pull_request', inputs = {}, ...rest }) {
  return runAction({
    workspace: ws.path,
    eventName,
    event,
    inputs: { mode: 'migrate', 'database-url': db.url, 'lock-timeout': '2s', ...inputs },
    timeoutMs: 120000,
    ...rest,
  });
}

function outputs(r) {
  return {
    applied: r.outputs.applied === undefined ? undefined : JSON.parse(r.outputs.applied),
    pending_before: r.outputs.pending_before,
    skipped: r.outputs.skipped,
  };
}

/** Tracking rows as [version, status]. */
async function tracked(db, table = 'public.neon_gitops_migrations') {
  const exists = await db.psql(`SELECT to_regclass('${table}') IS NOT NULL`);
  if (exists !== 't') return null;
  const out = await db.psql(`SELECT version || '|' || status FROM ${table} ORDER BY id`);
  return out ? out.split('\n').map((l) => l.split('|')) : [];
}

function errorAnnotations(r) {
  return r.annotations.filter((a) => a.command === 'error');
}

function describeRun(r) {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}\n--- summary ---\n${r.summary}`;
}

module.exports = { newDatabase, mergedPr, push, removeFiles, migrate, outputs, tracked, errorAnnotations, describeRun, quoteIdent };
