'use strict';
// The real storage behind the emulated project: one PostgreSQL cluster (from
// tests/support/postgres.js), one physical database per (branch, logical database).
//
// Branching = copying the parent's physical database:
//  * fast path: CREATE DATABASE child TEMPLATE parent. Postgres only allows this when
//    nobody else is connected to the template, and waits up to 5 s before failing
//    if someone is. Real Neon branching never disturbs sessions on the parent, so
//    we do not terminate anything: we look at pg_stat_activity first and
//  * fall back to `pg_dump parent | psql child` (a consistent snapshot that works
//    with clients connected) when the parent is in use, or when the fast path fails.
//
// All statements go through psql over the cluster's private unix socket, with
// argument arrays (never a shell). Calls are serialised: CREATE/DROP DATABASE on a
// small test cluster gain nothing from running in parallel, and one-at-a-time makes
// "is anybody connected to the template" checks meaningful.

const { spawn, execFile } = require('node:child_process');
const path = require('node:path');
const { quoteIdent } = require('../../support/postgres');

const quoteLiteral = (s) => "'" + String(s).replace(/'/g, "''") + "'";

class Backing {
  constructor(pg) {
    this.pg = pg;
    this.queue = Promise.resolve();
    // How branches were copied (for tests and debugging), and how long the copies and
    // drops took: real Neon branches and restores are copy-on-write and deletes are
    // metadata, so benchmarks report this time apart from the code under test's own.
    this.clones = { template: 0, dump: 0, ms: 0, dropMs: 0 };
    /** One entry per copy or drop: { op: 'clone'|'drop', method, source, target, startedAt, ms }. */
    this.timings = [];
  }

  /** Run fn after every earlier backing call finished. */
  serial(fn) {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  bin(name) { return path.join(this.pg.clientBinDir, name); }

  /** psql with several -c commands in one session; resolves to stdout. */
  psql(commands, { db = 'postgres', user = 'postgres' } = {}) {
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', ...this.pg.clientArgs(db, user)];
    for (const c of [].concat(commands)) args.push('-c', c);
    return new Promise((resolve, reject) => {
      execFile(this.bin('psql'), args, { env: this.pg.clientEnv, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) { err.message = `psql failed: ${stderr || err.message}`; err.stderr = stderr; return reject(err); }
        resolve(stdout);
      });
    });
  }

  /** Create the login role, or (second emulator on the same cluster) just reset its password. */
  async createRole(name, password) {
    const exists = (await this.psql(`SELECT count(*) FROM pg_roles WHERE rolname = ${quoteLiteral(name)}`)).trim() === '1';
    const verb = exists ? 'ALTER' : 'CREATE';
    await this.psql(`${verb} ROLE ${quoteIdent(name)} LOGIN CREATEDB CREATEROLE PASSWORD ${quoteLiteral(password)}`);
  }

  setPassword(name, password) {
    return this.serial(() => this.psql(`ALTER ROLE ${quoteIdent(name)} PASSWORD ${quoteLiteral(password)}`));
  }

  /** Create an empty database; resolves to its oid (used as Neon's database id). */
  createEmpty(physical, owner) {
    return this.serial(async () => {
      await this.psql(`CREATE DATABASE ${quoteIdent(physical)} OWNER ${quoteIdent(owner)}`);
      return this.oid(physical);
    });
  }

  async oid(physical) {
    return Number((await this.psql(`SELECT oid FROM pg_database WHERE datname = ${quoteLiteral(physical)}`)).trim());
  }

  /**
   * Copy `source` into a new database `target` owned by `owner`.
   * mode 'parent-data' copies everything, 'schema-only' only the DDL.
   * Resolves to { oid, lsn, method }.
   */
  clone(source, target, owner, { mode = 'parent-data' } = {}) {
    return this.serial(async () => {
      const startedAt = Date.now();
      const lsn = (await this.psql('SELECT pg_current_wal_lsn()')).trim();
      let method = 'dump';
      if (mode === 'parent-data') {
        const busy = Number((await this.psql(
          `SELECT count(*) FROM pg_stat_activity WHERE datname = ${quoteLiteral(source)} AND pid <> pg_backend_pid()`,
        )).trim());
        if (busy === 0) {
          try {
            await this.psql(`CREATE DATABASE ${quoteIdent(target)} TEMPLATE ${quoteIdent(source)} OWNER ${quoteIdent(owner)}`);
            method = 'template';
          } catch (err) {
            // Someone connected between the check and the CREATE: use the dump path.
            if (!/being accessed by other users/.test(err.message)) throw err;
          }
        }
      }
      if (method === 'dump') {
        await this.psql(`CREATE DATABASE ${quoteIdent(target)} OWNER ${quoteIdent(owner)}`);
        try {
          await this.pipeDump(source, target, mode === 'schema-only' ? ['--schema-only'] : []);
        } catch (err) {
          await this.psql(`DROP DATABASE IF EXISTS ${quoteIdent(target)} WITH (FORCE)`).catch(() => {});
          throw err;
        }
      }
      this.clones[method]++;
      const oid = await this.oid(target);
      const ms = Date.now() - startedAt;
      this.clones.ms += ms;
      this.timings.push({ op: 'clone', method, source, target, startedAt, ms });
      return { oid, lsn, method };
    });
  }

  /** pg_dump source | psql target, two processes joined by a pipe. */
  pipeDump(source, target, extraDumpArgs) {
    return new Promise((resolve, reject) => {
      const dump = spawn(this.bin('pg_dump'), [...extraDumpArgs, ...this.pg.clientArgs(source)], { env: this.pg.clientEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const load = spawn(this.bin('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...this.pg.clientArgs(target)], { env: this.pg.clientEnv, stdio: ['pipe', 'ignore', 'pipe'] });
      let errors = '';
      dump.stderr.on('data', (d) => { errors += d; });
      load.stderr.on('data', (d) => { errors += d; });
      dump.stdout.pipe(load.stdin);
      load.stdin.on('error', () => {}); // psql died early: its exit code reports it
      let pending = 2;
      let failed = false;
      const done = (name) => (code) => {
        if (code !== 0 && !failed) { failed = true; reject(new Error(`${name} exited with ${code} while copying ${source} -> ${target}: ${errors}`)); }
        if (--pending === 0 && !failed) resolve();
      };
      dump.on('exit', done('pg_dump'));
      load.on('exit', done('psql'));
    });
  }

  drop(physical) {
    // WITH (FORCE) terminates remaining sessions, like Neon breaking connections
    // when a branch goes away.
    return this.serial(async () => {
      const startedAt = Date.now();
      const out = await this.psql(`DROP DATABASE IF EXISTS ${quoteIdent(physical)} WITH (FORCE)`);
      const ms = Date.now() - startedAt;
      this.clones.dropMs += ms;
      this.timings.push({ op: 'drop', method: 'drop', source: physical, target: null, startedAt, ms });
      return out;
    });
  }

  /** Kick every session connected to this database (computes restart on restore). */
  terminateSessions(physical) {
    return this.serial(() => this.psql(
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ${quoteLiteral(physical)} AND pid <> pg_backend_pid()`,
    ));
  }

  /** pg_dump --schema-only text, without the per-run random \restrict keys (PG >= 15.14). */
  async schemaSql(physical) {
    const text = await this.serial(() => new Promise((resolve, reject) => {
      execFile(this.bin('pg_dump'), ['--schema-only', ...this.pg.clientArgs(physical)], { env: this.pg.clientEnv, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) { err.message = `pg_dump failed: ${stderr || err.message}`; return reject(err); }
        resolve(stdout);
      });
    }));
    return text.split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
  }

  /** Tables and columns of user schemas, for GET .../schema?format=json. */
  async schemaJson(physical) {
    const sql = `
      SELECT coalesce(json_agg(t ORDER BY t.schema, t.name), '[]'::json) FROM (
        SELECT n.nspname AS schema, c.relname AS name,
          (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                  'nullable', NOT a.attnotnull, 'generated', a.attgenerated <> '') ORDER BY a.attnum)
             FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
          (SELECT coalesce(json_agg(json_build_object('type', CASE k.contype WHEN 'p' THEN 'primary_key' WHEN 'u' THEN 'unique'
                    WHEN 'f' THEN 'foreign_key' WHEN 'c' THEN 'check' ELSE k.contype::text END,
                  'name', k.conname,
                  'columns', (SELECT json_agg(att.attname ORDER BY att.attnum) FROM pg_attribute att
                              WHERE att.attrelid = c.oid AND att.attnum = ANY (k.conkey)))), '[]'::json)
             FROM pg_constraint k WHERE k.conrelid = c.oid AND k.conkey IS NOT NULL) AS constraints
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ) t`;
    const out = await this.serial(() => this.psql(sql, { db: physical }));
    return { tables: JSON.parse(out.trim() || '[]') };
  }

  /** Run SQL on a database as `user` (tests seed and inspect branches with this). */
  query(physical, sql, { user } = {}) {
    return this.psql(sql, { db: physical, user });
  }
}

module.exports = { Backing, quoteLiteral };
