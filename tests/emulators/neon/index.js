'use strict';
// Neon API emulator for tests: a real HTTP API (validated against Neon's published
// OpenAPI spec) over real Postgres databases, reachable through a TLS proxy that
// behaves like Neon's (SNI-routed endpoints, -pooler hosts, computes that are not
// ready until their start operation finishes).
//
//   const pg = await startPostgres();
//   const neon = await startNeonEmulator({ pg });
//   ... neon.apiUrl, neon.apiKey, neon.projectId, neon.defaultBranchId ...
//   await neon.stop(); await pg.stop();
//
// Modules: state.js (model, ids, spec-shaped views), operations.js (operation
// lifecycle and locks), backing.js (physical databases), proxy.js (connections),
// routes.js (API semantics), server.js (HTTP, validation, faults, log),
// schema-diff.js (compare_schema).

const crypto = require('node:crypto');
const { createValidator, loadNeonSpec } = require('../../support/openapi');
const { FaultSchedule } = require('../../support/faults');
const { ProjectState, DATABASE_NAME, ROLE_NAME, ids } = require('./state');
const { Operations } = require('./operations');
const { Backing } = require('./backing');
const { startProxy } = require('./proxy');
const { createApiServer, BASE_PATH } = require('./server');
const { physicalName, copyDatabases } = require('./routes');
const { startPostgres } = require('../../support/postgres');

// Neon creates new projects on PostgreSQL 17 (docs: postgres-version-policy / the console's default).
const DEFAULT_PG_VERSION = 17;

const ENDPOINT_NOT_FOUND = "The requested endpoint could not be found, or you don't have access to it. Please check the provided ID and try again.";

let sharedValidator = null; // the spec is immutable: one compiled validator per process

/**
 * @param {object} o
 * @param {object} [o.pg]             from tests/support/postgres.js startPostgres() (with ssl); without
 *                                    it the emulator starts (and stops) its own cluster of `pgVersion`
 * @param {number} [o.pgVersion]      the project's Postgres major (Neon's `pg_version`): the backing
 *                                    cluster's major; 17 when the emulator starts its own, as Neon
 *                                    creates new projects on 17 today
 * @param {string} [o.apiKey]         random by default
 * @param {number} [o.operationMs]    how long each control-plane operation takes
 * @param {number} [o.computeStartMs] how long start_compute takes (compute not ready until then)
 * @param {number} [o.latencyMs]      latency added to every API call
 * @param {404|204} [o.deleteMissingStatus] answer to DELETE of an unknown branch (Neon: 404; the spec also allows 204)
 * @param {'backup'|'source'} [o.restoreParent] the restored branch's parent after a restore from another
 *                                    branch with preserve_under_name: the backup (documented) or the source
 * @param {number} [o.branchLimit]    the plan's branches per project (Free: 10; Launch/Scale: 5,000)
 */
async function startNeonEmulator({ pg, pgVersion, ...rest } = {}) {
  if (pg) return startOn(pg, pgVersion, rest);
  const own = await startPostgres({ major: pgVersion ?? DEFAULT_PG_VERSION });
  try {
    const neon = await startOn(own, pgVersion, rest);
    const stop = neon.stop;
    neon.pg = own;
    neon.stop = async () => { await stop(); await own.stop(); };
    return neon;
  } catch (err) {
    await own.stop();
    throw err;
  }
}

async function startOn(pg, pgVersion, { apiKey = `neon-emu-${crypto.randomBytes(16).toString('hex')}`, operationMs = 300, computeStartMs = 500, latencyMs = 0, deleteMissingStatus = 404, restoreParent = process.env.NEON_EMULATOR_RESTORE_PARENT || 'backup', branchLimit = 5000 }) {
  if (!['backup', 'source'].includes(restoreParent)) throw new Error(`restoreParent must be 'backup' or 'source', not ${restoreParent}`);
  if (!pg.certFile) throw new Error('startNeonEmulator needs { pg } from startPostgres() with ssl enabled');
  // A branch is a database of the backing cluster, so the project's major is the cluster's.
  if (pgVersion !== undefined && pgVersion !== pg.major) {
    throw new Error(`startNeonEmulator: pgVersion ${pgVersion} needs a PostgreSQL ${pgVersion} cluster, but { pg } runs ${pg.major}`);
  }
  if (!sharedValidator) sharedValidator = createValidator(loadNeonSpec());
  require('../../support/guard').registerSecret('neon api key', apiKey);

  const ctx = {
    apiKey,
    options: { operationMs, computeStartMs, deleteMissingStatus, restoreParent, branchLimit },
    validator: sharedValidator,
    faults: new FaultSchedule(),
    requests: [],
    validationErrors: [],
    connections: [], // proxy log: { at, sni, endpointId, pooled, user, database, physicalDatabase | error }
    expired: [], // branches deleted because expires_at passed
    debug: { corruptNextResponse: false },
    backing: new Backing(pg),
    state: null,
    ops: null,
    proxy: null,
  };
  ctx.faults.latencyMs = latencyMs;

  // The proxy decides per connection which physical database a client reaches.
  function route({ endpointId, params }) {
    const now = Date.now();
    ctx.ops.refresh(now);
    const ep = ctx.state.endpoints.get(endpointId);
    const branch = ep && ctx.state.branches.get(ep.branchId);
    if (!ep || !branch || (branch.expiresAt && branch.expiresAt <= now)) return { error: ENDPOINT_NOT_FOUND, code: 'XX000' };
    if (ep.currentState !== 'active') {
      return { error: `Couldn't connect to compute node: compute is not ready (endpoint ${ep.id} is ${ep.currentState}; its start_compute operation has not finished)`, code: 'XX000' };
    }
    const user = params.user || '';
    if (!branch.roles.has(user)) return { error: `password authentication failed for user "${user}"`, code: '28P01', severity: 'FATAL' };
    const dbName = params.database || user;
    const db = branch.databases.get(dbName);
    if (!db) return { error: `database "${dbName}" does not exist`, code: '3D000', severity: 'FATAL' };
    return { database: db.physical, extraParams: ep.type === 'read_only' ? { default_transaction_read_only: 'on' } : {} };
  }

  ctx.proxy = await startProxy({
    certFile: pg.certFile,
    keyFile: pg.keyFile,
    backendPort: pg.port,
    route,
    log: (entry) => ctx.connections.push(entry),
  });
  const api = createApiServer(ctx);
  try {
    const now = Date.now();
    ctx.state = new ProjectState({ proxyHost: `emulator.localhost:${ctx.proxy.port}`, now, pgVersion: pg.major });
    ctx.state.branchLimit = () => ctx.options.branchLimit;
    ctx.ops = new Operations({ projectId: ctx.state.project.id });

    // The project as Neon creates it: default branch `main` with database neondb
    // owned by neondb_owner, and a running read-write compute.
    const password = ids.password();
    ctx.state.rolePasswords.set(ROLE_NAME, password);
    await ctx.backing.createRole(ROLE_NAME, password);
    const main = ctx.state.newBranch({ name: 'main', isDefault: true, now });
    main.currentState = 'ready';
    const physical = physicalName(main.id, DATABASE_NAME);
    const oid = await ctx.backing.createEmpty(physical, ROLE_NAME);
    main.databases.set(DATABASE_NAME, { id: oid, name: DATABASE_NAME, ownerName: ROLE_NAME, physical, createdAt: now, updatedAt: now });
    main.roles.set(ROLE_NAME, { name: ROLE_NAME, protected: false, createdAt: now, updatedAt: now });
    const ep = ctx.state.newEndpoint({ branchId: main.id, now });
    ep.currentState = 'active';
    ep.startedAt = now;

    const port = await api.listen();
    const apiUrl = `http://127.0.0.1:${port}${BASE_PATH}`;

    const neon = {
      apiUrl,
      apiKey,
      projectId: ctx.state.project.id,
      defaultBranchId: main.id,
      databaseName: DATABASE_NAME,
      roleName: ROLE_NAME,
      proxyPort: ctx.proxy.port,
      /** The project's Postgres major (`pg_version`). */
      pgVersion: pg.major,
      /** Live settings: operationMs, computeStartMs, deleteMissingStatus, restoreParent, branchLimit (change them mid-test if needed). */
      options: ctx.options,
      faults: ctx.faults,
      requests: ctx.requests,
      validationErrors: ctx.validationErrors,
      connections: ctx.connections,
      expired: ctx.expired,
      debug: ctx.debug,
      /** How branch copies were made so far: { template, dump } counts, plus the time
       *  spent copying (ms) and dropping (dropMs) physical databases. */
      cloneStats: ctx.backing.clones,
      /** Each copy/drop of a physical database: { op, method, source, target, startedAt, ms }. */
      storageTimings: ctx.backing.timings,
      /** Current branches in the API's shape (operations advanced to now). */
      branches() {
        ctx.ops.refresh();
        return [...ctx.state.branches.values()].map((b) => ctx.state.branchView(b));
      },
      endpoints() {
        ctx.ops.refresh();
        return [...ctx.state.endpoints.values()].map((e) => ctx.state.endpointView(e));
      },
      operations() {
        ctx.ops.refresh();
        return ctx.ops.list.map((o) => ctx.ops.view(o));
      },
      /** The next operation of `action` (any when omitted) fails, stays `failed` for failedMs, then is retried and finishes. */
      failNextOperation(opts) { ctx.ops.failOnce(opts); },
      /**
       * Test control: make a branch look used or idle. `lastActive` (ms or Date) sets its
       * read_write compute's `last_active` (spec: Endpoint.last_active), `computeState`
       * its `current_state` ('active' | 'idle', spec: EndpointState), `createdAt` the
       * branch's `created_at`. Neon sets these from real use; the emulator's computes
       * never suspend, so tests say what a day of use would have left.
       */
      setActivity(branchId, { lastActive, computeState, createdAt } = {}) {
        const b = ctx.state.branches.get(branchId);
        if (!b) throw new Error(`no branch ${branchId}`);
        ctx.ops.refresh();
        const ms = (t) => (t instanceof Date ? t.getTime() : t);
        if (createdAt !== undefined) b.createdAt = ms(createdAt);
        for (const e of ctx.state.branchEndpoints(branchId).filter((x) => x.type === 'read_write')) {
          if (lastActive !== undefined) e.lastActive = ms(lastActive);
          if (computeState !== undefined) {
            if (!['active', 'idle'].includes(computeState)) throw new Error(`computeState must be 'active' or 'idle', not ${computeState}`);
            e.currentState = computeState;
          }
        }
      },
      /** The role password (what reveal_password returns). */
      password(role = ROLE_NAME) { return ctx.state.rolePasswords.get(role); },
      /** Physical Postgres database behind a branch's logical database. */
      branchDatabase(branchId, db = DATABASE_NAME) {
        const b = ctx.state.branches.get(branchId);
        if (!b) throw new Error(`no branch ${branchId}`);
        const d = b.databases.get(db);
        if (!d) throw new Error(`branch ${branchId} has no database ${db}`);
        return d.physical;
      },
      /**
       * Keep the branch's state as of now in its history, so a branch or a restore at a
       * later timestamp or LSN (before the next checkpoint) gets exactly this state. Neon
       * keeps all history; the emulator keeps it where tests ask. Returns { at, lsn }.
       */
      async checkpoint(branchId) {
        const b = ctx.state.branches.get(branchId);
        if (!b) throw new Error(`no branch ${branchId}`);
        b.history = b.history || [];
        const at = Date.now();
        const { copies, lsn } = await copyDatabases(ctx, b, { id: `${b.id}-h${b.history.length + 1}` }, { now: at });
        b.history.push({ at, lsn, databases: copies });
        return { at, lsn };
      },
      /** Run SQL on a branch's database as the owner role (no proxy, no compute state). */
      query(branchId, sql, { db = DATABASE_NAME, user = ROLE_NAME } = {}) {
        return ctx.backing.query(neon.branchDatabase(branchId, db), sql, { user });
      },
      /** A connection URI for a branch's read-write endpoint (like GET connection_uri). */
      connectionUri(branchId = main.id, { pooled = false, db = DATABASE_NAME } = {}) {
        const e = ctx.state.branchEndpoints(branchId).find((x) => x.type === 'read_write');
        if (!e) throw new Error(`branch ${branchId} has no read_write endpoint`);
        return ctx.state.connectionUri(e, { database: db, pooled });
      },
      async stop() {
        await api.close();
        await ctx.proxy.stop();
      },
    };
    return neon;
  } catch (err) {
    await api.close().catch(() => {});
    await ctx.proxy.stop().catch(() => {});
    throw err;
  }
}

module.exports = { startNeonEmulator, DEFAULT_PG_VERSION };

// Node >= 22's test runner does not expand a directory argument: given
// `node --test tests/emulators/neon/` it runs this directory as a module, i.e. this
// file. So, when run as the main module, load the emulator's own test files (each
// wraps its tests in a describe(), so their before/after hooks stay separate).
if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) require(path.join(__dirname, f));
}
