'use strict';
// The split agrees with Postgres (issue 3, acceptance): for every project of
// the shared corpus (../shared/corpus, see its MANIFEST.md), the history is
// applied twice into fresh databases of one throw-away cluster:
//   (a) reference: `psql -X -v ON_ERROR_STOP=1 -f <file>` for each file
//       (dbmate: only the UP section, as the MANIFEST says);
//   (b) our split: the statements that dist/index.js's `analyze` returns
//       (include_statements: true, so the shipped wasm is what is tested),
//       each sent to the server as its own unit.
// Both final schemas (pg_dump --schema-only) must be equal, and both runs must
// report the same server errors (a few musicbrainz scripts `\unset
// ON_ERROR_STOP`, so an error there would not stop either run).
//
// "Its own unit": psql re-splits whatever script text it reads, so writing the
// statements to psql's stdin one after another would only test psql's lexer.
// Each SQL statement is therefore wrapped as `SELECT $tag$<statement>$tag$ \gexec`:
// psql reads the dollar-quoted literal without splitting it, and \gexec sends
// the returned value to the server as exactly one query string. A statement cut
// inside a `$$` body reaches the server cut; two statements glued together run
// as one multi-statement query (one implicit transaction). psql meta-command
// statements (`\set ON_ERROR_STOP 1`, …) are passed as psql script lines.
//
// Sessions: one psql process per project and side; every file gets its own
// server session (`\connect` between files, like one `psql -f` per file) and
// ON_ERROR_STOP is set again before each file (a file's `\unset` would
// otherwise carry over to the next file in the same psql process).
//
// A small in-test fixture proves the comparison can fail: deliberately wrong
// splits (cut inside a `$$` body, drop an unterminated last statement, glue a
// file into one unit) are all detected.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startPostgres, quoteIdent } = require('../support/postgres');

const ROOT = path.resolve(__dirname, '../..');
const CORPUS = path.resolve(ROOT, '../shared/corpus');

let pg;
let analyzeDist;
let dbCounter = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-split-'));

test.before(async () => {
  ({ analyze: analyzeDist } = require(path.join(ROOT, 'dist/index.js')));
  pg = await startPostgres({ ssl: false });
});
test.after(async () => {
  if (pg) await pg.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------- child processes (async, never a shell) ----------

/** Resolves to {code, stdout, stderr}; never rejects on a non-zero exit. */
function exec(file, args, { input, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd, env: pg.clientEnv, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const psqlBin = () => path.join(pg.clientBinDir, 'psql');
// -q: no command tags; -o /dev/null: query results are not needed (errors go to stderr).
const psqlArgs = (db) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', ...pg.clientArgs(db)];

/** The server errors psql reported, in order, without psql's file:line prefix. */
const serverErrors = (stderr) => stderr.split('\n').filter((l) => /\bERROR: /.test(l)).map((l) => l.replace(/^.*?ERROR:\s+/, ''));

// ---------- corpus projects ----------

const readLines = (file) => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    return [];
  }
};

/** dbmate's UP section (MANIFEST: between `-- migrate:up` and `-- migrate:down`), or null for other files. */
function dbmateUp(text) {
  const up = /^--\s*migrate:up(?:[ \t].*)?$/m.exec(text);
  if (!up) return null;
  const start = up.index + up[0].length + 1;
  const rest = text.slice(start);
  const down = /^--\s*migrate:down(?:[ \t].*)?$/m.exec(rest);
  return down ? rest.slice(0, down.index) : rest;
}

/** The files that apply on vanilla PG15 (order.txt) or after bootstrap.sql (order.bootstrap.txt), whichever goes further. */
function loadProject(dir) {
  const plain = readLines(path.join(dir, 'order.txt'));
  const boot = readLines(path.join(dir, 'order.bootstrap.txt'));
  const bootstrap = path.join(dir, 'bootstrap.sql');
  const useBoot = boot.length > plain.length && fs.existsSync(bootstrap);
  const order = useBoot ? boot : plain;
  return {
    name: path.basename(dir),
    dir,
    bootstrap: useBoot ? bootstrap : null,
    files: order.map((rel) => projectFile(dir, rel)),
  };
}

function projectFile(dir, rel) {
  const abs = path.join(dir, rel);
  const text = fs.readFileSync(abs, 'utf8');
  let metadata;
  try { metadata = fs.readFileSync(path.join(path.dirname(abs), 'metadata.toml'), 'utf8'); } catch { /* not diesel */ }
  return { rel, abs, text, up: dbmateUp(text), metadata };
}

// ---------- the two ways of applying a history ----------

/** Our split through the shipped bundle: per file, the units to send, in psql's execution order. */
function splitWithDist(project) {
  const request = {
    files: project.files.map((f) => ({ path: f.rel, text: f.text, ...(f.metadata ? { metadata: f.metadata } : {}) })),
    include_statements: true,
  };
  const response = JSON.parse(analyzeDist(JSON.stringify(request)));
  assert.ok(response.analysis, `analyze failed: ${JSON.stringify(response).slice(0, 500)}`);
  return response.analysis.files.map((fa, i) => {
    assert.equal(fa.path, project.files[i].rel);
    assert.equal(fa.file_error, null, `${fa.path}: file error ${JSON.stringify(fa.file_error)}`);
    assert.deepEqual(fa.errors, [], `${fa.path}: validation errors`);
    // psql runs a meta-command when its line ends and a statement at its `;`,
    // so a meta-command line inside a statement runs first: order by end.
    return [...fa.statements]
      .sort((x, y) => x.span.end - y.span.end)
      .map((s) => ({ kind: s.kind, text: s.text, line: s.span.line }));
  });
}

async function freshDatabase(project) {
  const db = `split_${process.pid}_${++dbCounter}`;
  await pg.createDatabase(db, { template: 'template0' });
  if (project.bootstrap) {
    const r = await exec(psqlBin(), [...psqlArgs(db), '-f', project.bootstrap]);
    assert.equal(r.code, 0, `${project.name}: bootstrap.sql failed:\n${r.stderr}`);
  }
  return db;
}

/** (a) psql -f per file (dbmate: the UP section from a temporary file), one psql process, a new session per file. */
async function applyReference(project, db) {
  const args = psqlArgs(db);
  const shown = new Map();
  project.files.forEach((f, i) => {
    let file = f.abs;
    if (f.up !== null) {
      file = path.join(tmp, `${dbCounter}-${i}-${path.basename(f.rel)}`);
      fs.writeFileSync(file, f.up);
      shown.set(file, f.rel);
    }
    if (i > 0) args.push('-c', '\\connect', '-c', '\\set ON_ERROR_STOP 1');
    args.push('-f', file);
  });
  const r = await exec(psqlBin(), args, { cwd: project.dir });
  for (const [file, rel] of shown) r.stderr = r.stderr.split(file).join(`${rel} (UP section)`);
  return r;
}

function dollarQuote(text) {
  let tag = 'nsplit';
  for (let n = 0; text.includes(`$${tag}$`); n++) tag = `nsplit${n}`;
  return `$${tag}$${text}$${tag}$`;
}

/** (b) the given units: one psql process reading stdin, a new session per file, each SQL unit sent on its own. */
async function applyUnits(project, db, unitsPerFile) {
  const lines = [];
  let lineCount = 0;
  const push = (text) => { lines.push(text); lineCount += text.split('\n').length; };
  const where = []; // [script line where a unit ends, "file:line"]
  unitsPerFile.forEach((units, i) => {
    if (i > 0) push('\\connect');
    push('\\set ON_ERROR_STOP 1');
    for (const u of units) {
      if (u.kind === 'psql-meta') {
        push(u.text);
      } else if (/^\s*COPY\b/i.test(u.text) && /\bFROM\s+STDIN\b/i.test(u.text)) {
        push(u.text); // data lines follow the statement; psql must read them itself
      } else if (u.text.trim() !== '') {
        push(`SELECT ${dollarQuote(u.text)} \\gexec`);
      }
      where.push([lineCount, `${project.files[i].rel}:${u.line ?? '?'}`]);
    }
  });
  const r = await exec(psqlBin(), [...psqlArgs(db), '-f', '-'], { input: lines.join('\n') + '\n', cwd: project.dir });
  // Name the corpus file and line instead of psql's <stdin>:N.
  r.stderr = r.stderr.replace(/psql:<stdin>:(\d+):/g, (m, n) => {
    const hit = where.find(([end]) => end >= Number(n));
    return hit ? `${hit[1]} (split unit):` : m;
  });
  return r;
}

async function withNewRoles(fn) {
  // Roles are cluster-wide: drop the ones a run created (bootstrap.sql, CREATE ROLE)
  // so the second run starts from the same cluster state as the first.
  const before = new Set((await pg.psql('SELECT rolname FROM pg_roles')).split('\n'));
  try {
    return await fn();
  } finally {
    for (const r of (await pg.psql('SELECT rolname FROM pg_roles')).split('\n')) {
      if (r && !before.has(r)) await pg.psql(`DROP ROLE ${quoteIdent(r)}`);
    }
  }
}

/** Run one side into a fresh database; returns {code, stderr, errors, schema}. */
async function runSide(project, apply) {
  return withNewRoles(async () => {
    const db = await freshDatabase(project);
    try {
      const r = await apply(db);
      return { code: r.code, stderr: r.stderr, errors: serverErrors(r.stderr), schema: await pg.dumpSchema(db) };
    } finally {
      await pg.dropDatabase(db);
    }
  });
}

function firstDifference(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const ctx = (l) => l.slice(Math.max(0, i - 3), i + 4).map((s, k) => `${Math.max(0, i - 3) + k + 1}: ${s}`).join('\n');
  return `first difference at dump line ${i + 1}\n--- psql -f\n${ctx(x)}\n+++ split\n${ctx(y)}`;
}

/**
 * Apply `project` both ways; `units` (default: our split via dist) gives the
 * per-file units of side (b). Returns {ok, reason, reference, split}.
 */
async function compare(project, units = splitWithDist(project)) {
  const reference = await runSide(project, (db) => applyReference(project, db));
  if (reference.code !== 0) {
    return { ok: false, reason: `reference (psql -f) failed, exit ${reference.code}:\n${reference.stderr.slice(0, 2000)}`, reference };
  }
  const split = await runSide(project, (db) => applyUnits(project, db, units));
  if (split.code !== 0) {
    return { ok: false, reason: `split statements failed in psql, exit ${split.code}:\n${split.stderr.slice(0, 2000)}`, reference, split };
  }
  if (JSON.stringify(split.errors) !== JSON.stringify(reference.errors)) {
    return {
      ok: false,
      reason: `server errors differ:\npsql -f: ${JSON.stringify(reference.errors)}\nsplit:   ${JSON.stringify(split.errors)}`,
      reference,
      split,
    };
  }
  if (split.schema !== reference.schema) return { ok: false, reason: firstDifference(reference.schema, split.schema), reference, split };
  return { ok: true, reference, split };
}

// ---------- the comparison can fail ----------

test('a wrong split is detected (in-test fixture)', async (t) => {
  const dir = path.join(tmp, 'fixture');
  const files = {
    'migrations/001_init.sql': [
      '-- a comment; with a semicolon',
      "CREATE TABLE item (id int PRIMARY KEY, note text DEFAULT 'a;b');",
      'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$',
      'BEGIN',
      "  NEW.note := NEW.note || ';';",
      '  RETURN NEW;',
      'END',
      '$$;',
      'CREATE TRIGGER item_touch BEFORE INSERT ON item FOR EACH ROW EXECUTE FUNCTION touch();',
      'CREATE INDEX CONCURRENTLY item_note ON item (note);',
      'CREATE TABLE tail (id int)',
      '',
    ].join('\n'),
    'db/migrations/20240101000000_two.sql': '-- migrate:up\nCREATE TABLE two (id int);\n\n-- migrate:down\nDROP TABLE two;\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const project = { name: 'fixture', dir, bootstrap: null, files: Object.keys(files).map((rel) => projectFile(dir, rel)) };
  const good = splitWithDist(project);
  assert.deepEqual(good[1].map((u) => u.text), ['CREATE TABLE two (id int);'], 'dbmate: only the UP section');

  const right = await compare(project, good);
  assert.ok(right.ok, right.reason);
  assert.match(right.reference.schema, /CREATE TABLE public\.tail/);
  assert.match(right.reference.schema, /CREATE TABLE public\.two/);

  const sqlOnly = (units) => units.filter((u) => u.kind === 'sql');
  const cutInsideDollarBody = (u) => {
    const body = u.text.indexOf('$$');
    const cut = body < 0 ? -1 : u.text.indexOf(';', body);
    return cut < 0 || cut === u.text.length - 1 ? [u]
      : [{ ...u, text: u.text.slice(0, cut + 1) }, { ...u, text: u.text.slice(cut + 1) }];
  };
  const wrong = {
    // The function is cut at the first `;` of its $$ body.
    'cut inside the $$ body': good.map((units) => units.flatMap(cutInsideDollarBody)),
    // Cut at every `;`, also inside quotes and the $$ body.
    'cut at every semicolon': good.map((units) => sqlOnly(units).map((u) => u.text).join('\n')
      .split(/(?<=;)/).map((text) => ({ kind: 'sql', text }))),
    // Lose a last statement that has no `;` (psql -f still runs it).
    'drop the unterminated last statement': good.map((units) => units.filter((u) => u.text.trimEnd().endsWith(';'))),
    // Glue a file's statements into one unit (CONCURRENTLY inside an implicit transaction).
    'one unit per file': good.map((units) => [{ kind: 'sql', text: sqlOnly(units).map((u) => u.text).join('\n') }]),
  };
  for (const [name, units] of Object.entries(wrong)) {
    const r = await compare(project, units);
    assert.equal(r.ok, false, `${name}: not detected`);
    t.diagnostic(`${name}: detected: ${r.reason.split('\n').slice(0, name.startsWith('drop') ? 8 : 2).join(' | ')}`);
  }
});

// ---------- the shared corpus ----------

test('split statements give the same schema as psql -f (shared corpus)', async (t) => {
  if (!fs.existsSync(path.join(CORPUS, 'MANIFEST.md'))) {
    t.skip(`shared corpus not found at ${CORPUS}: nothing to compare`);
    return;
  }
  const dirs = fs.readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(CORPUS, d.name)).sort();
  let checked = 0;
  for (const dir of dirs) {
    await t.test(path.basename(dir), async (st) => {
      const project = loadProject(dir);
      if (project.files.length === 0) {
        st.skip('no file applies on vanilla PostgreSQL 15, even after bootstrap.sql (see MANIFEST.md)');
        return;
      }
      const started = Date.now();
      const units = splitWithDist(project);
      const r = await compare(project, units);
      assert.ok(r.ok, `${project.name}: ${r.reason}`);
      const n = units.reduce((s, u) => s + u.length, 0);
      st.diagnostic(`${project.files.length} files${project.bootstrap ? ' (after bootstrap.sql)' : ''}, ${n} statements, `
        + `${r.reference.schema.length} bytes of schema, ${r.reference.errors.length} tolerated server errors, ${Date.now() - started} ms`);
      checked++;
    });
  }
  assert.ok(checked > 0, 'no project was compared');
});
