'use strict';
// Handlers for the Neon API operations the emulator implements, keyed by the
// spec's operationId. Each gets (ctx, req) and returns { status, body } or throws
// ApiError. Routing, auth, validation, faults and logging live in server.js.
//
// Semantics follow Neon's documentation in the spec; where the emulator cannot do
// what Neon does (point-in-time branching needs Neon's storage), it answers 400
// with a message that says so instead of silently doing something else.

const { iso, DATABASE_NAME, ROLE_NAME, ids } = require('./state');
const { unifiedDiff } = require('./schema-diff');

class ApiError extends Error {
  constructor(status, message, code = '') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Neon's wording for these (seen in clients that match on them).
const LOCKED_MESSAGE = 'project already has running operations, scheduling of new ones is prohibited';
const NOT_FOUND = {
  project: 'project not found',
  branch: 'branch not found',
  endpoint: 'endpoint not found',
  role: 'role not found',
  database: 'database not found',
  operation: 'operation not found',
};

// ---------- helpers ----------
function checkProject(ctx, req) {
  if (req.pathParams.project_id !== ctx.state.project.id) throw new ApiError(404, NOT_FOUND.project);
}

function getBranch(ctx, id) {
  const b = ctx.state.branches.get(id);
  if (!b) throw new ApiError(404, NOT_FOUND.branch);
  return b;
}

// Neon "limits overlapping operations per project. Requests that conflict with a running
// operation return 423 Locked" (docs: reference/api/operations): any unfinished operation
// or copy in the project locks every mutation of it.
function assertUnlocked(ctx) {
  if (ctx.ops.pending().length > 0 || [...ctx.state.branches.values()].some((b) => b.pendingWork > 0)) {
    throw new ApiError(423, LOCKED_MESSAGE);
  }
}

// Branch expiration rules (docs: guides/branch-expiration, "Restrictions"): "Maximum
// expiration is 30 days from the current time"; "Cannot expire branches that have children
// or create children from expiring branches"; no expiry on default or protected branches.
const MAX_EXPIRY_MS = 30 * 24 * 3600 * 1000;
function checkExpiry(expiresAt, now) {
  if (expiresAt <= now) throw new ApiError(400, 'expires_at must be in the future');
  if (expiresAt > now + MAX_EXPIRY_MS) throw new ApiError(400, 'expires_at must be at most 30 days from the current time');
}
function assertNotExpiring(parent, what) {
  if (parent.expiresAt) throw new ApiError(400, `cannot ${what}: branch ${parent.id} has an expiration time, and children cannot be created from an expiring branch`);
}

function parseTime(value, field) {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ApiError(400, `${field}: invalid timestamp`);
  return ms;
}

/** Physical database name for a branch's logical database (<= 63 bytes). */
function physicalName(branchId, db, generation = 0) {
  let name = `${db}__${branchId.replace(/-/g, '_')}${generation ? `__r${generation}` : ''}`;
  if (Buffer.byteLength(name) > 63) name = `${Buffer.from(db).subarray(0, 20).toString()}__${branchId.replace(/-/g, '_')}__${ids.password().slice(4, 10)}`;
  return name;
}

function truthy(v) { return v === true || v === 'true'; }

/** Operations of one request, in the view shape. */
const opViews = (ctx, ops) => ops.map((o) => ctx.ops.view(o));

function scheduleStart(ctx, endpoint, now) {
  return ctx.ops.schedule({
    action: 'start_compute',
    branchId: endpoint.branchId,
    endpointId: endpoint.id,
    durationMs: ctx.options.computeStartMs,
    now,
    onFinish: (t) => { endpoint.currentState = 'active'; endpoint.startedAt = t; endpoint.updatedAt = t; endpoint.lastActive = undefined; },
  });
}

/** Copy every database of `from` into fresh physical databases for `to`. */
async function copyDatabases(ctx, from, to, { mode = 'parent-data', generation = 0, now }) {
  const copies = new Map();
  let lsn;
  try {
    for (const db of from.databases.values()) {
      const physical = physicalName(to.id, db.name, generation);
      const res = await ctx.backing.clone(db.physical, physical, db.ownerName, { mode });
      lsn = lsn || res.lsn;
      copies.set(db.name, { id: res.oid, name: db.name, ownerName: db.ownerName, physical, createdAt: now, updatedAt: now });
    }
  } catch (err) {
    for (const c of copies.values()) await ctx.backing.drop(c.physical).catch(() => {});
    throw err;
  }
  return { copies, lsn };
}

/** Remove a branch: suspend its computes, drop its databases. Used by DELETE and by expiry. */
async function removeBranch(ctx, b, now) {
  const ops = [];
  for (const ep of ctx.state.branchEndpoints(b.id)) {
    ops.push(ctx.ops.schedule({ action: 'suspend_compute', branchId: b.id, endpointId: ep.id, durationMs: ctx.options.operationMs, now }));
    ctx.proxy.disconnect(ep.id);
    ctx.state.endpoints.delete(ep.id);
  }
  ops.push(ctx.ops.schedule({ action: 'delete_timeline', branchId: b.id, durationMs: ctx.options.operationMs, now }));
  ctx.state.branches.delete(b.id);
  for (const db of b.databases.values()) await ctx.backing.drop(db.physical);
  for (const h of b.history || []) for (const db of h.databases.values()) await ctx.backing.drop(db.physical);
  return ops;
}

/** Delete branches whose expires_at has passed (Neon does it in a background job). */
async function sweepExpired(ctx, now = Date.now()) {
  for (const b of [...ctx.state.branches.values()]) {
    if (!b.expiresAt || b.expiresAt > now || b.default || b.pendingWork > 0) continue;
    if (ctx.state.children(b.id).length > 0) continue;
    await removeBranch(ctx, b, now);
    ctx.expired.push({ id: b.id, name: b.name, at: iso(now) });
  }
}

function sortKey(b, sortBy) {
  if (sortBy === 'name') return b.name;
  if (sortBy === 'created_at') return b.createdAt;
  return b.updatedAt;
}

function compareBranches(sortBy, order) {
  const dir = order === 'asc' ? 1 : -1;
  return (x, y) => {
    const kx = sortKey(x, sortBy);
    const ky = sortKey(y, sortBy);
    if (kx < ky) return -dir;
    if (kx > ky) return dir;
    return x.id < y.id ? -dir : x.id > y.id ? dir : 0; // stable tie-break so cursors never skip
  };
}

const encodeCursor = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function decodeCursor(c) {
  try { return JSON.parse(Buffer.from(c, 'base64url').toString('utf8')); } catch { throw new ApiError(400, 'invalid cursor'); }
}

function connectionUris(ctx, branch, endpoint) {
  const out = [];
  for (const role of branch.roles.values()) {
    for (const db of branch.databases.values()) out.push(ctx.state.connectionDetails(endpoint, db.name, role.name));
  }
  return out;
}

/** Endpoints whose history the emulator does not model (schema reads at a point). */
function rejectPointInTime(values, what) {
  if (Object.values(values).some((v) => v !== undefined && v !== '')) {
    throw new ApiError(400, `neon emulator: ${what} at an LSN or timestamp is not supported (the emulator keeps no history for it); use the branch head`);
  }
}

/** `0/16B3748` → a number that orders LSNs. */
function lsnValue(lsn) {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(String(lsn));
  if (!m) return null;
  return parseInt(m[1], 16) * 2 ** 32 + parseInt(m[2], 16);
}

/**
 * The state of `branch` at an LSN or timestamp (spec: BranchCreateRequest.parent_lsn /
 * parent_timestamp, BranchRestoreRequest.source_lsn / source_timestamp: "the branch will
 * be created with data from this LSN / starting from this point in time"). null: the
 * head. Neon keeps the whole history of a branch within the project's restore window; the
 * emulator keeps it only at checkpoints (`neon.checkpoint(branchId)`, which tests call
 * before the writes they want a point in time to exclude): the state at a point is the
 * last checkpoint at or before it. A point before the branch existed, in the future, or
 * before any checkpoint is refused (400); both at once too (the spec offers one or the
 * other; the docs are silent on both).
 */
function pointInTime(branch, { lsn, ts }, what, now) {
  const has = (v) => v !== undefined && v !== null && v !== '';
  if (!has(lsn) && !has(ts)) return null;
  if (has(lsn) && has(ts)) throw new ApiError(400, `${what}: specify either an LSN or a timestamp, not both`);
  const history = branch.history || [];
  let found;
  if (has(ts)) {
    const t = Date.parse(ts);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(String(ts)) || Number.isNaN(t)) {
      throw new ApiError(400, `${what}: timestamp "${ts}" is not in ISO 8601 format (e.g. 2024-02-26T12:00:00Z)`);
    }
    if (t > now) throw new ApiError(400, `${what}: timestamp ${ts} is in the future`);
    if (t < branch.createdAt) throw new ApiError(400, `${what}: timestamp ${ts} is before the branch was created`);
    found = history.filter((h) => h.at <= t).at(-1);
  } else {
    const v = lsnValue(lsn);
    if (v === null) throw new ApiError(400, `${what}: "${lsn}" is not an LSN (e.g. 0/16B3748)`);
    found = history.filter((h) => lsnValue(h.lsn) <= v).at(-1);
  }
  if (!found) {
    throw new ApiError(400, `neon emulator: ${what}: no history of branch ${branch.id} kept at or before ${has(ts) ? ts : lsn} (the emulator keeps history only at neon.checkpoint() calls)`);
  }
  return found;
}

// ---------- handlers ----------
const handlers = {
  async listProjects(ctx) {
    return { status: 200, body: { projects: [ctx.state.projectListItemView()], applications: {}, integrations: {} } };
  },

  async getProject(ctx, req) {
    checkProject(ctx, req);
    return { status: 200, body: { project: ctx.state.projectView() } };
  },

  async listProjectBranches(ctx, req) {
    checkProject(ctx, req);
    const q = req.query;
    let sortBy = q.sort_by || 'updated_at';
    let sortOrder = q.sort_order || 'desc';
    let after = null;
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      sortBy = c.sort_by; sortOrder = c.sort_order; after = c.after;
    }
    let list = [...ctx.state.branches.values()];
    if (q.search) {
      const s = q.search.toLowerCase();
      list = list.filter((b) => b.name.toLowerCase().includes(s) || b.id.toLowerCase().includes(s));
    }
    const cmp = compareBranches(sortBy, sortOrder);
    list.sort(cmp);
    if (after) {
      const pivot = { id: after.id, name: after.key, createdAt: after.key, updatedAt: after.key };
      list = list.filter((b) => cmp(b, pivot) > 0);
    }
    let next;
    if (q.limit !== undefined) {
      const limit = Number(q.limit);
      if (list.length > limit) {
        list = list.slice(0, limit);
        const last = list[list.length - 1];
        next = encodeCursor({ sort_by: sortBy, sort_order: sortOrder, after: { id: last.id, key: sortKey(last, sortBy) } });
      }
    }
    const annotations = {};
    for (const b of list) if (b.annotation) annotations[b.id] = ctx.state.annotationView(b);
    return {
      status: 200,
      body: {
        branches: list.map((b) => ctx.state.branchView(b)),
        annotations,
        pagination: { ...(next ? { next } : {}), sort_by: sortBy, sort_order: sortOrder },
      },
    };
  },

  async countProjectBranches(ctx, req) {
    checkProject(ctx, req);
    const s = (req.query.search || '').toLowerCase();
    const count = [...ctx.state.branches.values()].filter((b) => !s || b.name.toLowerCase().includes(s) || b.id.includes(s)).length;
    return { status: 200, body: { count } };
  },

  async createProjectBranch(ctx, req) {
    checkProject(ctx, req);
    const { state } = ctx;
    // The plan's branch limit (docs: reference/limits, "Max branches per project": Free 10,
    // Launch/Scale 5,000). The error is undocumented: clients in the wild see
    // 422 BRANCHES_LIMIT_EXCEEDED.
    if (state.branches.size >= ctx.options.branchLimit) {
      throw new ApiError(422, `branches limit of ${ctx.options.branchLimit} exceeded`, 'BRANCHES_LIMIT_EXCEEDED');
    }
    const body = req.body || {};
    const spec = body.branch || {};
    const now = req.now;
    const initSource = spec.init_source || 'parent-data';
    if (!['parent-data', 'schema-only'].includes(initSource)) throw new ApiError(400, `init_source must be "parent-data" or "schema-only"`);
    const parent = spec.parent_id ? state.branches.get(spec.parent_id) : state.defaultBranch();
    if (!parent) throw new ApiError(404, 'parent branch not found');
    const point = pointInTime(parent, { lsn: spec.parent_lsn, ts: spec.parent_timestamp }, 'branching', now);
    if (spec.name !== undefined && state.branchByName(spec.name)) throw new ApiError(409, `branch with the provided name "${spec.name}" already exists`);
    let expiresAt = null;
    if (spec.expires_at !== undefined) {
      expiresAt = parseTime(spec.expires_at, 'expires_at');
      checkExpiry(expiresAt, now);
      if (spec.protected === true) throw new ApiError(400, 'a protected branch cannot have an expiration time');
    }
    if (initSource !== 'schema-only') assertNotExpiring(parent, 'create a child branch');
    const endpointsReq = body.endpoints || [];
    if (endpointsReq.filter((e) => e.type === 'read_write').length > 1) throw new ApiError(400, 'a branch can have only one read_write endpoint');
    assertUnlocked(ctx);

    // Reserve the name and id before the (slow) copy so concurrent calls see them.
    const branch = state.newBranch({
      name: spec.name,
      parentId: initSource === 'schema-only' ? null : parent.id,
      isProtected: spec.protected === true,
      expiresAt,
      initSource,
      now,
    });
    if (initSource === 'schema-only') branch.parentTimestamp = undefined;
    branch.pendingWork = 1;
    parent.pendingWork = (parent.pendingWork || 0) + 1;
    try {
      const { copies, lsn } = await copyDatabases(ctx, point || parent, branch, { mode: initSource, now });
      branch.databases = copies;
      if (initSource !== 'schema-only') {
        branch.parentLsn = point ? point.lsn : lsn;
        if (spec.parent_timestamp) branch.parentTimestamp = Date.parse(spec.parent_timestamp);
      }
    } catch (err) {
      state.branches.delete(branch.id);
      throw err;
    } finally {
      branch.pendingWork = 0;
      parent.pendingWork--;
    }
    for (const r of parent.roles.values()) branch.roles.set(r.name, { name: r.name, protected: r.protected, createdAt: now, updatedAt: now });
    // "authentication data (users, sessions, and configuration) lives directly in your
    // database's neon_auth schema, it is cloned along with your business data when you
    // create a branch" (docs: auth/branching-authentication): a data branch of a parent with
    // Neon Auth has its own. The docs say nothing of the Data API on a child: not inherited.
    if (parent.auth && initSource !== 'schema-only') branch.auth = { ...parent.auth, createdAt: now, providerProjectId: require('node:crypto').randomUUID() };
    if (body.annotation_value) branch.annotation = { value: { ...body.annotation_value }, createdAt: now, updatedAt: now };

    // Operations start once the copy exists, so their full duration is observable.
    const opsStart = Date.now();
    const ops = [ctx.ops.schedule({
      action: 'create_timeline',
      branchId: branch.id,
      durationMs: ctx.options.operationMs,
      now: opsStart,
      onFinish: (t) => { branch.currentState = 'ready'; branch.stateChangedAt = t; },
    })];
    const endpoints = endpointsReq.map((e) => {
      const ep = state.newEndpoint({
        branchId: branch.id,
        type: e.type,
        suspendTimeoutSeconds: e.suspend_timeout_seconds === undefined ? 0 : e.suspend_timeout_seconds,
        minCu: e.autoscaling_limit_min_cu === undefined ? 0.25 : e.autoscaling_limit_min_cu,
        maxCu: e.autoscaling_limit_max_cu,
        settings: e.settings,
        provisioner: e.provisioner,
        now,
      });
      ops.push(scheduleStart(ctx, ep, opsStart));
      return ep;
    });
    const primary = endpoints.find((e) => e.type === 'read_write') || endpoints[0];
    return {
      status: 201,
      body: {
        branch: state.branchView(branch),
        endpoints: endpoints.map((e) => state.endpointView(e)),
        operations: opViews(ctx, ops),
        roles: [...branch.roles.values()].map((r) => state.roleView(branch, r)),
        databases: [...branch.databases.values()].map((d) => state.databaseView(branch, d)),
        ...(primary ? { connection_uris: connectionUris(ctx, branch, primary) } : {}),
      },
    };
  },

  async getProjectBranch(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    return { status: 200, body: { branch: ctx.state.branchView(b), annotation: ctx.state.annotationView(b) } };
  },

  async updateProjectBranch(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const spec = (req.body && req.body.branch) || {};
    assertUnlocked(ctx);
    if (spec.name !== undefined && spec.name !== b.name && ctx.state.branchByName(spec.name)) {
      throw new ApiError(409, `branch with the provided name "${spec.name}" already exists`);
    }
    if (spec.expires_at !== undefined && spec.expires_at !== null) {
      if (b.default) throw new ApiError(400, 'the default branch cannot have an expiration time');
      if (b.protected) throw new ApiError(400, 'a protected branch cannot have an expiration time');
      if (ctx.state.children(b.id).length > 0) throw new ApiError(400, `branch ${b.id} has child branches, so it cannot have an expiration time`);
      const t = parseTime(spec.expires_at, 'expires_at');
      checkExpiry(t, req.now);
      b.expiresAt = t;
      b.ttlIntervalSeconds = Math.round((t - req.now) / 1000);
    } else if (spec.expires_at === null) {
      b.expiresAt = null;
      b.ttlIntervalSeconds = undefined;
    }
    if (spec.name !== undefined) b.name = spec.name;
    if (spec.protected !== undefined) b.protected = spec.protected;
    b.updatedAt = req.now;
    return { status: 200, body: { branch: ctx.state.branchView(b), operations: [] } };
  },

  async deleteProjectBranch(ctx, req) {
    checkProject(ctx, req);
    // Neon answers 404 for a branch that does not exist (any more); callers that
    // want idempotent deletes treat 404 as success. The spec also documents 204 for
    // that case, so tests can switch to it (deleteMissingStatus: 204) to cover both.
    if (!ctx.state.branches.has(req.pathParams.branch_id) && ctx.options.deleteMissingStatus === 204) return { status: 204, body: undefined };
    const b = getBranch(ctx, req.pathParams.branch_id);
    if (b.default) throw new ApiError(422, 'cannot delete the default branch');
    const children = ctx.state.children(b.id);
    if (children.length > 0) {
      throw new ApiError(422, `branch ${b.id} has child branches, delete them first: ${children.map((c) => `${c.id} (${c.name})`).join(', ')}`);
    }
    if (b.protected) throw new ApiError(422, 'cannot delete a protected branch');
    assertUnlocked(ctx);
    const view = ctx.state.branchView(b);
    const ops = await removeBranch(ctx, b, req.now);
    return { status: 200, body: { branch: view, operations: opViews(ctx, ops) } };
  },

  async restoreProjectBranch(ctx, req) {
    checkProject(ctx, req);
    const { state } = ctx;
    const now = req.now;
    const target = getBranch(ctx, req.pathParams.branch_id);
    const body = req.body || {};
    const source = state.branches.get(body.source_branch_id);
    if (!source) throw new ApiError(404, 'source branch not found');
    if (source.id === target.id) {
      if (!body.source_lsn && !body.source_timestamp) throw new ApiError(400, 'source_lsn or source_timestamp is required when restoring a branch from its own history');
    }
    const point = pointInTime(source, { lsn: body.source_lsn, ts: body.source_timestamp }, 'restore', now);
    const children = state.children(target.id);
    const preserve = body.preserve_under_name;
    if (children.length > 0 && !preserve) throw new ApiError(400, 'preserve_under_name is required: the branch has child branches');
    if (preserve && state.branchByName(preserve)) throw new ApiError(409, `branch with the provided name "${preserve}" already exists`);
    if (preserve && state.branches.size >= ctx.options.branchLimit) {
      throw new ApiError(422, `branches limit of ${ctx.options.branchLimit} exceeded`, 'BRANCHES_LIMIT_EXCEEDED');
    }
    // Who the target's parent becomes (see README: restoreParent).
    const newParent = source.id === target.id ? null : (preserve && ctx.options.restoreParent === 'backup' ? 'backup' : source);
    if (newParent && newParent !== 'backup') assertNotExpiring(source, `restore branch ${target.id} from it`);
    assertUnlocked(ctx);

    target.pendingWork = 1;
    source.pendingWork = (source.pendingWork || 0) + 1;
    let copy;
    try {
      target.restoreGeneration = (target.restoreGeneration || 0) + 1;
      copy = await copyDatabases(ctx, point || source, target, { generation: target.restoreGeneration, now });
    } finally {
      target.pendingWork = 0;
      source.pendingWork--;
    }

    // Computes restart on restore: break their connections first.
    const endpoints = state.branchEndpoints(target.id);
    for (const ep of endpoints) ctx.proxy.disconnect(ep.id);
    const oldDatabases = target.databases;
    let backup = null;
    if (preserve) {
      // The old state lives on under the new name, below the target's old parent; "All
      // existing child branches will be moved to the newly created branch" (spec:
      // BranchRestoreRequest.preserve_under_name).
      backup = state.newBranch({ name: preserve, parentId: target.parentId, initSource: target.initSource, now });
      backup.parentLsn = target.parentLsn;
      backup.databases = oldDatabases;
      for (const r of target.roles.values()) backup.roles.set(r.name, { ...r });
      backup.currentState = 'ready';
      backup.restoredAs = target.id;
      for (const c of children) c.parentId = backup.id;
    } else {
      for (const db of oldDatabases.values()) await ctx.backing.drop(db.physical);
    }
    target.databases = copy.copies;
    if (newParent === 'backup') {
      // "When restoring a non-root branch, the backup branch becomes the parent of the
      // restored branch" (docs: introduction/branch-restore; neonctl reads it so).
      target.parentId = backup.id;
      target.parentLsn = copy.lsn;
      target.parentTimestamp = now;
    } else if (newParent) {
      target.parentId = source.id;
      target.parentLsn = copy.lsn;
      target.parentTimestamp = now;
    }
    // "When you reset a branch that has an expiration set, the expiration timer restarts
    // from the reset time using the original duration" (docs: guides/branch-expiration).
    if (target.expiresAt && target.ttlIntervalSeconds) target.expiresAt = now + target.ttlIntervalSeconds * 1000;
    target.lastResetAt = now;
    target.updatedAt = now;

    const ops = [];
    const opsStart = Date.now();
    for (const ep of endpoints) {
      ops.push(ctx.ops.schedule({ action: 'suspend_compute', branchId: target.id, endpointId: ep.id, durationMs: ctx.options.operationMs, now: opsStart }));
      ep.currentState = 'idle';
      ep.updatedAt = now;
      ops.push(scheduleStart(ctx, ep, opsStart));
    }
    if (ops.length === 0) ops.push(ctx.ops.schedule({ action: 'apply_config', branchId: target.id, durationMs: ctx.options.operationMs, now: opsStart }));
    return { status: 200, body: { branch: state.branchView(target), operations: opViews(ctx, ops) } };
  },

  async listProjectBranchEndpoints(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    return { status: 200, body: { endpoints: ctx.state.branchEndpoints(b.id).map((e) => ctx.state.endpointView(e)) } };
  },

  async listProjectEndpoints(ctx, req) {
    checkProject(ctx, req);
    return { status: 200, body: { endpoints: [...ctx.state.endpoints.values()].map((e) => ctx.state.endpointView(e)) } };
  },

  async getProjectEndpoint(ctx, req) {
    checkProject(ctx, req);
    const e = ctx.state.endpoints.get(req.pathParams.endpoint_id);
    if (!e) throw new ApiError(404, NOT_FOUND.endpoint);
    return { status: 200, body: { endpoint: ctx.state.endpointView(e) } };
  },

  async listProjectBranchDatabases(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    return { status: 200, body: { databases: [...b.databases.values()].map((d) => ctx.state.databaseView(b, d)) } };
  },

  async getProjectBranchDatabase(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const d = b.databases.get(req.pathParams.database_name);
    if (!d) throw new ApiError(404, NOT_FOUND.database);
    return { status: 200, body: { database: ctx.state.databaseView(b, d) } };
  },

  async listProjectBranchRoles(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    return { status: 200, body: { roles: [...b.roles.values()].map((r) => ctx.state.roleView(b, r)) } };
  },

  async getProjectBranchRole(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const r = b.roles.get(req.pathParams.role_name);
    if (!r) throw new ApiError(404, NOT_FOUND.role);
    return { status: 200, body: { role: ctx.state.roleView(b, r) } };
  },

  async getProjectBranchRolePassword(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    if (!b.roles.has(req.pathParams.role_name)) throw new ApiError(404, NOT_FOUND.role);
    return { status: 200, body: { password: ctx.state.rolePasswords.get(req.pathParams.role_name) } };
  },

  async resetProjectBranchRolePassword(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const r = b.roles.get(req.pathParams.role_name);
    if (!r) throw new ApiError(404, NOT_FOUND.role);
    assertUnlocked(ctx);
    const password = ids.password();
    await ctx.backing.setPassword(r.name, password); // a real ALTER ROLE: old URLs stop working
    ctx.state.rolePasswords.set(r.name, password);
    r.updatedAt = req.now;
    const ops = ctx.state.branchEndpoints(b.id).map((ep) => ctx.ops.schedule({ action: 'apply_config', branchId: b.id, endpointId: ep.id, durationMs: ctx.options.operationMs, now: req.now }));
    return { status: 200, body: { role: ctx.state.roleView(b, r, { withPassword: true }), operations: opViews(ctx, ops) } };
  },

  async getConnectionURI(ctx, req) {
    checkProject(ctx, req);
    const q = req.query;
    const b = q.branch_id ? getBranch(ctx, q.branch_id) : ctx.state.defaultBranch();
    let ep;
    if (q.endpoint_id) {
      ep = ctx.state.endpoints.get(q.endpoint_id);
      if (!ep || ep.branchId !== b.id) throw new ApiError(404, NOT_FOUND.endpoint);
    } else {
      ep = ctx.state.branchEndpoints(b.id).find((e) => e.type === 'read_write');
      if (!ep) throw new ApiError(404, `branch ${b.id} has no read_write endpoint`);
    }
    if (!b.databases.has(q.database_name)) throw new ApiError(404, NOT_FOUND.database);
    if (!b.roles.has(q.role_name)) throw new ApiError(404, NOT_FOUND.role);
    return { status: 200, body: { uri: ctx.state.connectionUri(ep, { database: q.database_name, role: q.role_name, pooled: truthy(q.pooled) }) } };
  },

  async listProjectOperations(ctx, req) {
    checkProject(ctx, req);
    let list = [...ctx.ops.list].reverse(); // newest first, like Neon
    if (req.query.cursor) {
      const i = list.findIndex((o) => o.id === req.query.cursor);
      list = i >= 0 ? list.slice(i + 1) : [];
    }
    const limit = req.query.limit !== undefined ? Number(req.query.limit) : list.length;
    const page = list.slice(0, limit);
    const body = { operations: opViews(ctx, page) };
    if (page.length > 0) body.pagination = { cursor: page[page.length - 1].id };
    return { status: 200, body };
  },

  async getProjectOperation(ctx, req) {
    checkProject(ctx, req);
    const op = ctx.ops.get(req.pathParams.operation_id);
    if (!op) throw new ApiError(404, NOT_FOUND.operation);
    return { status: 200, body: { operation: ctx.ops.view(op) } };
  },

  async getProjectBranchSchema(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    rejectPointInTime({ lsn: req.query.lsn, ts: req.query.timestamp }, 'reading a schema');
    const db = b.databases.get(req.query.db_name);
    if (!db) throw new ApiError(404, NOT_FOUND.database);
    const format = req.query.format || 'sql';
    if (format === 'json') return { status: 200, body: { json: await ctx.backing.schemaJson(db.physical) } };
    if (format !== 'sql') throw new ApiError(400, 'format must be "sql" or "json"');
    return { status: 200, body: { sql: await ctx.backing.schemaSql(db.physical) } };
  },

  async getProjectBranchSchemaComparison(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const q = req.query;
    rejectPointInTime({ a: q.lsn, b: q.timestamp, c: q.base_lsn, d: q.base_timestamp }, 'comparing schemas');
    const baseId = q.base_branch_id || b.parentId;
    if (!baseId) throw new ApiError(400, 'base_branch_id is required: the branch has no parent');
    const base = getBranch(ctx, baseId);
    const db = b.databases.get(q.db_name);
    const baseDb = base.databases.get(q.db_name);
    if (!db || !baseDb) throw new ApiError(404, NOT_FOUND.database);
    const [baseSql, sql] = [await ctx.backing.schemaSql(baseDb.physical), await ctx.backing.schemaSql(db.physical)];
    const diff = unifiedDiff(baseSql, sql, { oldName: `a/${q.db_name}\t(Branch: ${base.id})`, newName: `b/${q.db_name}\t(Branch: ${b.id})` });
    return { status: 200, body: { diff } };
  },

  // Neon Auth (docs: auth/guides/manage-auth-api, "Neon Auth operates at the branch level";
  // reference/api/auth/get-neon-auth for the fields): enabled per branch by POST, read by
  // GET, which answers 404 on a branch without it (what create-branch-action's
  // get_auth_url treats as "not enabled"). base_url names the branch's read_write endpoint,
  // as the documented example does (https://<endpoint>.neonauth.<region>/<db>/auth).
  async createNeonAuth(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const dbName = req.body.database_name || [...b.databases.keys()][0];
    if (!b.databases.has(dbName)) throw new ApiError(404, NOT_FOUND.database);
    if (b.auth) throw new ApiError(409, 'neon auth is already enabled for this branch');
    b.auth = { provider: req.body.auth_provider, dbName, createdAt: req.now, providerProjectId: require('node:crypto').randomUUID() };
    const urls = authUrls(ctx, b);
    return {
      status: 201,
      body: {
        auth_provider: b.auth.provider, auth_provider_project_id: b.auth.providerProjectId,
        pub_client_key: '', secret_server_key: `sk-${require('node:crypto').randomBytes(12).toString('hex')}`,
        jwks_url: urls.jwks, schema_name: 'neon_auth', table_name: 'users_sync', base_url: urls.base,
      },
    };
  },

  async getNeonAuth(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    if (!b.auth) throw new ApiError(404, 'neon auth is not enabled for this branch');
    const urls = authUrls(ctx, b);
    return {
      status: 200,
      body: {
        auth_provider: b.auth.provider, auth_provider_project_id: b.auth.providerProjectId, branch_id: b.id,
        db_name: b.auth.dbName, created_at: iso(b.auth.createdAt), owned_by: 'neon', jwks_url: urls.jwks, base_url: urls.base,
      },
    };
  },

  // Data API (reference/api/dataapi/*: one instance per branch and database, its url in
  // DataAPIReponse.url; 404 where none was created). The URL shape follows the documented
  // example (https://<endpoint>.apirest.<region>/<db>/rest/v1).
  async createProjectBranchDataAPI(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const dbName = req.pathParams.database_name;
    if (!b.databases.has(dbName)) throw new ApiError(404, NOT_FOUND.database);
    b.dataApi = b.dataApi || new Map();
    if (b.dataApi.has(dbName)) throw new ApiError(409, 'data api already exists for this database');
    b.dataApi.set(dbName, { createdAt: req.now });
    return { status: 201, body: { url: dataApiUrl(ctx, b, dbName) } };
  },

  async getProjectBranchDataAPI(ctx, req) {
    checkProject(ctx, req);
    const b = getBranch(ctx, req.pathParams.branch_id);
    const dbName = req.pathParams.database_name;
    if (!b.dataApi || !b.dataApi.has(dbName)) throw new ApiError(404, 'data api not found');
    return { status: 200, body: { url: dataApiUrl(ctx, b, dbName), status: 'active' } };
  },
};

function serviceHost(ctx, b, service) {
  const ep = ctx.state.branchEndpoints(b.id).find((e) => e.type === 'read_write');
  return `${ep ? ep.id : b.id}.${service}.${ctx.state.proxyHost}`;
}
function authUrls(ctx, b) {
  const base = `https://${serviceHost(ctx, b, 'neonauth')}/${b.auth.dbName}/auth`;
  return { base, jwks: `${base}/.well-known/jwks.json` };
}
function dataApiUrl(ctx, b, dbName) {
  return `https://${serviceHost(ctx, b, 'apirest')}/${encodeURIComponent(dbName)}/rest/v1`;
}

module.exports = {
  copyDatabases, handlers, ApiError, sweepExpired, physicalName, LOCKED_MESSAGE, DATABASE_NAME, ROLE_NAME };
