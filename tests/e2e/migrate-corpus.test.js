'use strict';
// Corpus replay: for every project of the shared corpus with a usable apply order, the
// whole history applied by mode: migrate to an empty database gives the same
// `pg_dump --schema-only` as `psql -f` file by file. Skips when ../shared is absent.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { startPostgres } = require('../support/postgres');
const { runAction, REPO_ROOT } = require('../support/runner');
const { workflowDispatchEvent } = require('../support/events');
const h = require('./migrate-helpers');

const CORPUS = process.env.NEON_GITOPS_CORPUS || path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
const present = fs.existsSync(path.join(CORPUS, 'MANIFEST.md'));

function lines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
}

function projects() {
  if (!present) return [];
  return fs.readdirSync(CORPUS).filter((p) => fs.statSync(path.join(CORPUS, p)).isDirectory()).sort().flatMap((name) => {
    const dir = path.join(CORPUS, name);
    const order = lines(path.join(dir, 'order.txt'));
    if (order.length) return [{ name, dir, order, bootstrap: null }];
    const boot = lines(path.join(dir, 'order.bootstrap.txt'));
    if (boot.length) return [{ name, dir, order: boot, bootstrap: path.join(dir, 'bootstrap.sql') }];
    return [];
  });
}

function exec(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 256 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) { err.message = `${path.basename(file)} failed: ${stderr || err.message}`; return reject(err); }
      resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

/** dbmate files: only the UP section goes to psql. */
function upSection(text) {
  const up = text.match(/^--\s*migrate:up.*$/m);
  if (!up) return text;
  const start = up.index + up[0].length + 1;
  const rest = text.slice(start);
  const down = rest.match(/^--\s*migrate:down.*$/m);
  return down ? rest.slice(0, down.index) : rest;
}

function isPlain(rel, text) {
  const name = path.basename(rel);
  return !(name === 'migration.sql' || name === 'up.sql' || /^[VR]\d*__/.test(name) || /^--\s*migrate:up/m.test(text));
}

let pg;
before(async () => { if (present) pg = await startPostgres(); });
after(async () => { if (pg) await pg.stop(); });

describe('mode: migrate corpus replay (same schema as psql -f file by file)', () => {
  if (!present) {
    it('skipped: the shared corpus is absent', (t) => t.skip(`no corpus at ${CORPUS} (set NEON_GITOPS_CORPUS)`));
    return;
  }
  for (const project of projects()) {
    it(`${project.name}: ${project.order.length} files${project.bootstrap ? ' after bootstrap.sql' : ''}`, async () => {
      const psql = path.join(pg.clientBinDir, 'psql');
      const env = pg.clientEnv;
      const ref = await h.newDatabase(pg, 'ref');
      const ours = await h.newDatabase(pg, 'ours');
      for (const db of [ref, ours]) {
        // Roles are cluster-wide: a second bootstrap may find them already there.
        if (project.bootstrap) await exec(psql, ['-X', '-q', ...pg.clientArgs(db.name), '-f', project.bootstrap], { env });
      }
      // Reference: psql -f, one process per file, in the MANIFEST's order.
      for (const rel of project.order) {
        const file = path.join(project.dir, rel);
        const text = fs.readFileSync(file, 'utf8');
        const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...pg.clientArgs(ref.name)];
        if (/^--\s*migrate:up/m.test(text)) await exec(psql, [...args, '-f', '-'], { env, input: upSection(text) });
        else await exec(psql, [...args, '-f', file], { env, cwd: path.dirname(file) });
      }
      // Ours: the files staged in a checkout, in their tool's layout (plain scripts get an
      // order prefix, since their order is a list kept outside the files).
      const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-corpus-'));
      try {
        project.order.forEach((rel, i) => {
          const src = path.join(project.dir, rel);
          const plain = isPlain(rel, fs.readFileSync(src, 'utf8'));
          const dest = path.join(ws, 'db', plain ? `${String(i).padStart(4, '0')}/${rel}` : rel);
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          fs.copyFileSync(src, dest);
          const meta = path.join(path.dirname(src), 'metadata.toml');
          if (path.basename(rel) === 'up.sql' && fs.existsSync(meta)) fs.copyFileSync(meta, path.join(path.dirname(dest), 'metadata.toml'));
        });
        const r = await runAction({
          workspace: ws,
          eventName: 'workflow_dispatch',
          event: workflowDispatchEvent(),
          inputs: { mode: 'migrate', 'database-url': ours.url, 'migrations-path': 'db/**/*.sql', 'tracking-table': 'neon_gitops.migrations', 'fail-on': 'never' },
          timeoutMs: 600000,
        });
        assert.equal(r.code, 0, h.describeRun(r));
        assert.equal(JSON.parse(r.outputs.applied).length, project.order.length);
      } finally {
        fs.rmSync(ws, { recursive: true, force: true });
      }
      const dump = async (db) => (await exec(path.join(pg.clientBinDir, 'pg_dump'), ['--schema-only', '--no-owner', '--no-privileges', '-N', 'neon_gitops', ...pg.clientArgs(db)], { env }))
        .split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
      const [a, b] = [await dump(ref.name), await dump(ours.name)];
      assert.ok(a === b, `schemas differ for ${project.name}`);
    });
  }
});
