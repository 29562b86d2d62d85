'use strict';
// The demo: the action run exactly as the GitHub runner runs it, against a throwaway local
// Postgres, the Neon API emulator and the GitHub emulator. Prints what a user would see in
// the job log, the outputs and the PR comment. Each mode adds its chapter as it lands.

const { startPostgres } = require('../tests/support/postgres');
const { startNeonEmulator } = require('../tests/emulators/neon');
const { startGitHubEmulator } = require('../tests/emulators/github');
const { runAction, logText } = require('../tests/support/runner');
const { makeWorkspace } = require('../tests/support/workspace');
const { pullRequestEvent, scheduleEvent, workflowDispatchEvent } = require('../tests/support/events');

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function show(title, r, extra = {}) {
  console.log(`\n${bold(`━━ ${title}`)}  (exit ${r.code}, ${Math.round(r.durationMs)} ms)`);
  console.log(logText(r).split('\n').map((l) => `  │ ${l}`).join('\n'));
  const outputs = Object.entries(r.outputs || {});
  if (outputs.length) {
    console.log('  outputs:');
    for (const [k, v] of outputs) {
      const shown = r.maskValues.some((m) => m && v.includes(m)) ? '***' : v;
      console.log(`    ${k} = ${shown}`);
    }
  }
  for (const [k, v] of Object.entries(extra)) console.log(`  ${k}: ${v}`);
}

async function main() {
  const pg = await startPostgres();
  const neon = await startNeonEmulator({ pg });
  const gh = await startGitHubEmulator({ repo: 'acme/shop' });
  const first = { 'migrations/001_orders.sql': 'create table orders (id bigint primary key, user_id bigint not null references users (id));\n' };
  const second = { 'migrations/002_orders_index.sql': 'create index orders_user_id_idx on orders (user_id);\n' };
  const ws = await makeWorkspace({ files: first });
  const prFiles = (files) => gh.setPullFiles(42, Object.keys(files).map((filename) => ({ filename, status: 'added' })));
  const showComment = (title) => {
    const comments = gh.comments(42);
    if (comments.length) console.log(`\n${bold(title)}\n${comments[comments.length - 1].body.split('\n').map((l) => `  ┃ ${l}`).join('\n')}`);
  };
  try {
    await neon.query(neon.defaultBranchId, "create table users (id bigint primary key, email text not null); insert into users values (1, 'ada@example.com'), (2, 'grace@example.com');");
    const common = {
      'neon-api-key': neon.apiKey,
      'neon-project-id': neon.projectId,
      'neon-api-host': neon.apiUrl,
      'github-token': gh.token,
    };
    const env = { GITHUB_REPOSITORY: 'acme/shop' };

    console.log(bold('neon-gitops demo: a pull request\'s life with mode: preview'));
    prFiles(first);
    const opened = await runAction({
      inputs: { mode: 'preview', ...common },
      eventName: 'pull_request',
      event: pullRequestEvent({ action: 'opened', number: 42, headRef: 'feature/orders' }),
      githubApiUrl: gh.url,
      githubToken: gh.token,
      workspace: ws.path,
      env,
    });
    show('pull_request opened → preview branch created, migration applied on it', opened, {
      'branches in the project': neon.branches().map((b) => b.name).join(', '),
    });
    showComment('PR #42 comment after opening');
    // A push adds a second migration.
    await ws.commit(second, 'Index orders by user');
    prFiles({ ...first, ...second });
    const pushed = await runAction({
      inputs: { mode: 'preview', ...common },
      eventName: 'pull_request',
      event: pullRequestEvent({ action: 'synchronize', number: 42, headRef: 'feature/orders' }),
      githubApiUrl: gh.url,
      githubToken: gh.token,
      workspace: ws.path,
      env,
    });
    show('pull_request synchronize → same branch, reset to its parent, both migrations applied again', pushed);
    showComment('PR #42 comment after the push (the same comment, updated)');
    const closed = await runAction({
      inputs: { mode: 'preview', ...common },
      eventName: 'pull_request',
      event: pullRequestEvent({ action: 'closed', number: 42, headRef: 'feature/orders', merged: true }),
      githubApiUrl: gh.url,
      githubToken: gh.token,
      workspace: ws.path,
      env,
    });
    show('pull_request closed → branch deleted', closed, {
      'branches in the project': neon.branches().map((b) => b.name).join(', '),
    });
    showComment('PR #42 comment after closing');

    // Chapter 2: the merge applies the PR's migrations to "production" (here a database on
    // the same local server; in real life RDS, Neon or any Postgres).
    console.log(`\n${bold('mode: migrate — the merge applies the PR\'s migrations to production')}`);
    await pg.psql('CREATE DATABASE shop_production');
    await pg.psql("create table users (id bigint primary key, email text not null); insert into users select g, 'user' || g || '@example.com' from generate_series(1, 1000) g;", { db: 'shop_production' });
    const migrateInputs = { mode: 'migrate', 'database-url': pg.url('shop_production'), 'github-token': gh.token };
    const merged = pullRequestEvent({ action: 'closed', number: 42, headRef: 'feature/orders', merged: true });
    const migrated = await runAction({ inputs: migrateInputs, eventName: 'pull_request', event: merged, githubApiUrl: gh.url, githubToken: gh.token, workspace: ws.path, env });
    show('pull_request closed (merged) → migrations applied to production, tracked', migrated);
    const again = await runAction({ inputs: migrateInputs, eventName: 'pull_request', event: merged, githubApiUrl: gh.url, githubToken: gh.token, workspace: ws.path, env });
    show('the same event again (a re-run) → nothing to apply', again);

    // Chapter 3: the Neon Twin is refreshed from production, all or nothing.
    console.log(`\n${bold('mode: sync — the Neon Twin refreshed from production')}`);
    const syncInputs = {
      mode: 'sync',
      'source-url': pg.url('shop_production'),
      'neon-api-key': neon.apiKey,
      'neon-project-id': neon.projectId,
      'neon-api-host': neon.apiUrl,
      'twin-branch': 'twin',
      mask: 'users.email: fake-email',
    };
    const synced = await runAction({ inputs: syncInputs, eventName: 'schedule', event: scheduleEvent(), githubApiUrl: gh.url, githubToken: gh.token, workspace: ws.path, env });
    const twin = neon.branches().find((b) => b.name === 'twin');
    show('schedule → twin = production (emails masked in flight), verified, swapped in', synced, {
      'twin sample': twin ? (await neon.query(twin.id, 'select email from users order by id limit 2')).trim().replace(/\n/g, ', ') : '(no twin)',
      'branches in the project': neon.branches().map((b) => b.name).join(', '),
    });

    // Chapter 4: a development branch per engineer, below the twin.
    console.log(`\n${bold('mode: dev — a branch per engineer, following the twin')}`);
    const devInputs = { mode: 'dev', 'neon-api-key': neon.apiKey, 'neon-project-id': neon.projectId, 'neon-api-host': neon.apiUrl };
    const created = await runAction({ inputs: { ...devInputs, 'dev-command': 'create' }, eventName: 'workflow_dispatch', event: workflowDispatchEvent({ sender: 'ada' }), githubApiUrl: gh.url, githubToken: gh.token, workspace: ws.path, env });
    const devBranch = neon.branches().find((b) => b.name === 'dev/ada');
    show('workflow_dispatch by ada → dev/ada below the twin (the password never printed)', created, {
      'dev/ada sample': devBranch ? (await neon.query(devBranch.id, 'select email from users order by id limit 2')).trim().replace(/\n/g, ', ') : '(no branch)',
    });
    const listed = await runAction({ inputs: { ...devInputs, 'dev-command': 'list' }, eventName: 'schedule', event: scheduleEvent(), githubApiUrl: gh.url, githubToken: gh.token, workspace: ws.path, env });
    show('dev-command: list → who has a branch, what it follows', listed);

    const failed = [opened, pushed, closed, migrated, again, synced, created, listed].filter((r) => r.code !== 0);
    if (failed.length) {
      console.error(`\ndemo: ${failed.length} step(s) failed`);
      process.exitCode = 1;
    }
  } finally {
    await gh.stop();
    await neon.stop();
    await pg.stop();
    ws.cleanup();
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exit(1);
});
