'use strict';
const { registerSecret } = require('../../support/guard');
// In-memory model of one Neon project: ids, branches, endpoints, roles, databases,
// annotations, and how each is rendered in the shapes of Neon's OpenAPI spec.
// Nothing here touches Postgres or the network; see backing.js and proxy.js.

const crypto = require('node:crypto');

// Neon ids are "haiku" ids: br-<adjective>-<noun>-<8 lowercase alnum>. neonctl
// recognises branch ids with /^br-[a-z0-9]+-[a-z0-9]+-[a-z0-9]+$/, so the shape matters.
const ADJECTIVES = ['aged', 'autumn', 'billowing', 'bitter', 'black', 'blue', 'bold', 'broad', 'calm', 'cold', 'cool', 'crimson',
  'curly', 'damp', 'dark', 'dawn', 'delicate', 'divine', 'dry', 'empty', 'falling', 'fancy', 'flat', 'floral', 'fragrant',
  'frosty', 'gentle', 'green', 'hidden', 'holy', 'icy', 'jolly', 'late', 'lingering', 'little', 'lively', 'long', 'lucky',
  'misty', 'morning', 'muddy', 'noisy', 'odd', 'old', 'orange', 'patient', 'plain', 'polished', 'proud', 'purple', 'quiet',
  'rapid', 'raspy', 'red', 'restless', 'rough', 'round', 'royal', 'shiny', 'shrill', 'shy', 'silent', 'small', 'snowy',
  'soft', 'solitary', 'sparkling', 'spring', 'square', 'steep', 'still', 'summer', 'super', 'sweet', 'throbbing', 'tight',
  'tiny', 'twilight', 'wandering', 'weathered', 'white', 'wild', 'winter', 'wispy', 'withered', 'yellow', 'young'];
const NOUNS = ['art', 'band', 'bar', 'base', 'bird', 'block', 'boat', 'bonus', 'bread', 'breeze', 'brook', 'bush', 'butterfly',
  'cake', 'cell', 'cherry', 'cloud', 'credit', 'darkness', 'dawn', 'dew', 'disk', 'dream', 'dust', 'feather', 'field', 'fire',
  'firefly', 'flower', 'fog', 'forest', 'frog', 'frost', 'glade', 'glitter', 'grass', 'hall', 'hat', 'haze', 'heart', 'hill',
  'king', 'lab', 'lake', 'leaf', 'limit', 'math', 'meadow', 'mode', 'moon', 'morning', 'mountain', 'mouse', 'mud', 'night',
  'paper', 'pine', 'poetry', 'pond', 'queen', 'rain', 'recipe', 'resonance', 'rice', 'river', 'salad', 'scene', 'sea',
  'shadow', 'shape', 'silence', 'sky', 'smoke', 'snow', 'snowflake', 'sound', 'star', 'sun', 'sunset', 'surf', 'term',
  'thunder', 'tooth', 'tree', 'truth', 'union', 'unit', 'violet', 'voice', 'water', 'waterfall', 'wave', 'wildflower',
  'wind', 'wood'];
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

const pick = (list) => list[crypto.randomInt(list.length)];
const alnum = (n) => Array.from({ length: n }, () => ALNUM[crypto.randomInt(ALNUM.length)]).join('');
const haiku = () => `${pick(ADJECTIVES)}-${pick(NOUNS)}`;

const ids = {
  project: () => `${haiku()}-${String(crypto.randomInt(1e8)).padStart(8, '0')}`,
  branch: () => `br-${haiku()}-${alnum(8)}`,
  endpoint: () => `ep-${haiku()}-${alnum(8)}`,
  operation: () => crypto.randomUUID(),
  // Neon passwords look like npg_ + 12 alnum characters.
  password: () => `npg_${Array.from({ length: 12 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[crypto.randomInt(62)]).join('')}`,
};

/** Neon renders timestamps with second precision: 2022-11-23T17:42:25Z. */
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const DATABASE_NAME = 'neondb';
const ROLE_NAME = 'neondb_owner';
const REGION = 'aws-us-east-2';

class ProjectState {
  constructor({ proxyHost, now = Date.now(), pgVersion }) {
    this.proxyHost = proxyHost; // "emulator.localhost:PORT"
    this.pgVersion = pgVersion; // the backing cluster's major
    this.branchLimit = () => 5000; // replaced by the emulator with its live option
    this.project = { id: ids.project(), name: 'neon-gitops-emulator', createdAt: now, updatedAt: now };
    this.branches = new Map(); // id -> branch (insertion order = creation order)
    this.endpoints = new Map(); // id -> endpoint
    // Roles live in the one real Postgres cluster, so their passwords are project-wide.
    // Every password the emulator hands out is a secret the action must never show.
    this.rolePasswords = new (class extends Map {
      set(role, password) { registerSecret(`neon role ${role} password`, password); return super.set(role, password); }
    })();
  }

  // ---------- lookups ----------
  defaultBranch() { return [...this.branches.values()].find((b) => b.default); }
  branchByName(name) { return [...this.branches.values()].find((b) => b.name === name); }
  children(branchId) { return [...this.branches.values()].filter((b) => b.parentId === branchId); }
  branchEndpoints(branchId) { return [...this.endpoints.values()].filter((e) => e.branchId === branchId); }

  // ---------- constructors ----------
  newBranch({ name, parentId = null, parentLsn, isDefault = false, isProtected = false, expiresAt = null, initSource, now = Date.now() }) {
    const id = ids.branch();
    const branch = {
      id,
      name: name || id, // Neon names an unnamed branch after its id
      parentId,
      parentLsn,
      parentTimestamp: parentId ? now : undefined,
      currentState: 'init',
      stateChangedAt: now,
      createdAt: now,
      updatedAt: now,
      default: isDefault,
      protected: isProtected,
      expiresAt,
      ttlIntervalSeconds: expiresAt ? Math.max(0, Math.round((expiresAt - now) / 1000)) : undefined,
      initSource,
      databases: new Map(), // logical name -> { id, name, ownerName, physical, createdAt, updatedAt }
      roles: new Map(), // name -> { name, protected, createdAt, updatedAt }
      annotation: null, // { value, createdAt, updatedAt }
      restoredAs: undefined,
      lastResetAt: undefined,
    };
    this.branches.set(id, branch);
    return branch;
  }

  newEndpoint({ branchId, type = 'read_write', suspendTimeoutSeconds = 0, minCu = 0.25, maxCu, settings, provisioner = 'k8s-neonvm', now = Date.now() }) {
    const id = ids.endpoint();
    const endpoint = {
      id,
      branchId,
      type,
      currentState: 'init', // -> 'active' when its start_compute operation finishes
      createdAt: now,
      updatedAt: now,
      startedAt: undefined,
      suspendTimeoutSeconds,
      minCu,
      maxCu: maxCu === undefined ? minCu : maxCu,
      settings: settings || { pg_settings: {} },
      provisioner,
    };
    this.endpoints.set(id, endpoint);
    return endpoint;
  }

  // ---------- views in the spec's shapes ----------
  hostOf(endpoint, pooled = false) {
    return `${endpoint.id}${pooled ? '-pooler' : ''}.${this.proxyHost}`;
  }

  projectView() {
    const p = this.project;
    const now = Date.now();
    const monthStart = new Date(now); monthStart.setUTCDate(1); monthStart.setUTCHours(0, 0, 0, 0);
    const monthEnd = new Date(monthStart); monthEnd.setUTCMonth(monthEnd.getUTCMonth() + 1);
    return {
      id: p.id,
      platform_id: 'aws',
      region_id: REGION,
      name: p.name,
      provisioner: 'k8s-neonvm',
      default_endpoint_settings: { autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 0.25, suspend_timeout_seconds: 0 },
      settings: { allowed_ips: { ips: [], protected_branches_only: false }, enable_logical_replication: false },
      pg_version: this.pgVersion,
      proxy_host: this.proxyHost,
      branch_logical_size_limit: 0,
      branch_logical_size_limit_bytes: 10737418240,
      store_passwords: true,
      active_time_seconds: 0,
      compute_time_seconds: 0,
      written_data_bytes: 0,
      data_transfer_bytes: 0,
      data_storage_bytes_hour: 0,
      cpu_used_sec: 0,
      creation_source: 'console',
      history_retention_seconds: 86400,
      created_at: iso(p.createdAt),
      updated_at: iso(p.updatedAt),
      consumption_period_start: iso(monthStart.getTime()),
      consumption_period_end: iso(monthEnd.getTime()),
      owner_id: 'neon-emulator-user',
      owner: { email: 'emulator@example.com', name: 'Neon Emulator', branches_limit: this.branchLimit(), subscription_type: this.branchLimit() <= 10 ? 'free_v3' : 'scale' },
      org_id: 'org-neon-emulator-00000000',
    };
  }

  projectListItemView() {
    const v = this.projectView();
    return {
      id: v.id, platform_id: v.platform_id, region_id: v.region_id, name: v.name, provisioner: v.provisioner,
      default_endpoint_settings: v.default_endpoint_settings, settings: v.settings, pg_version: v.pg_version,
      proxy_host: v.proxy_host, branch_logical_size_limit: v.branch_logical_size_limit,
      branch_logical_size_limit_bytes: v.branch_logical_size_limit_bytes, store_passwords: true, active_time: 0,
      cpu_used_sec: 0, creation_source: v.creation_source, created_at: v.created_at, updated_at: v.updated_at,
      owner_id: v.owner_id, org_id: v.org_id, history_retention_seconds: v.history_retention_seconds,
    };
  }

  branchView(b) {
    const v = {
      id: b.id,
      project_id: this.project.id,
      name: b.name,
      current_state: b.currentState,
      state_changed_at: iso(b.stateChangedAt),
      creation_source: 'console',
      primary: b.default,
      default: b.default,
      protected: b.protected,
      cpu_used_sec: 0,
      compute_time_seconds: 0,
      active_time_seconds: 0,
      written_data_bytes: 0,
      data_transfer_bytes: 0,
      created_at: iso(b.createdAt),
      updated_at: iso(b.updatedAt),
      init_source: b.initSource || 'parent-data',
    };
    if (b.currentState !== 'ready') v.pending_state = 'ready';
    if (b.parentId) v.parent_id = b.parentId;
    if (b.parentLsn) v.parent_lsn = b.parentLsn;
    if (b.parentTimestamp) v.parent_timestamp = iso(b.parentTimestamp);
    if (b.expiresAt) { v.expires_at = iso(b.expiresAt); v.ttl_interval_seconds = b.ttlIntervalSeconds; }
    if (b.restoredAs) v.restored_as = b.restoredAs;
    if (b.lastResetAt) v.last_reset_at = iso(b.lastResetAt);
    return v;
  }

  annotationView(b) {
    const a = b.annotation;
    return {
      object: { type: 'console/branch', id: b.id },
      value: a ? { ...a.value } : {},
      ...(a ? { created_at: iso(a.createdAt), updated_at: iso(a.updatedAt) } : {}),
    };
  }

  endpointView(e) {
    const v = {
      host: this.hostOf(e),
      id: e.id,
      project_id: this.project.id,
      branch_id: e.branchId,
      autoscaling_limit_min_cu: e.minCu,
      autoscaling_limit_max_cu: e.maxCu,
      region_id: REGION,
      type: e.type,
      current_state: e.currentState,
      settings: e.settings,
      pooler_enabled: false,
      pooler_mode: 'transaction',
      disabled: false,
      passwordless_access: true,
      creation_source: 'console',
      created_at: iso(e.createdAt),
      updated_at: iso(e.updatedAt),
      proxy_host: this.proxyHost,
      suspend_timeout_seconds: e.suspendTimeoutSeconds,
      provisioner: e.provisioner,
    };
    if (e.currentState !== 'active') v.pending_state = 'active';
    if (e.startedAt) { v.started_at = iso(e.startedAt); v.last_active = iso(e.startedAt); }
    // Test control `neon.setActivity` (README): when the compute was last used.
    if (e.lastActive) v.last_active = iso(e.lastActive);
    return v;
  }

  roleView(b, r, { withPassword = false } = {}) {
    const v = { branch_id: b.id, name: r.name, protected: r.protected, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt) };
    if (withPassword) v.password = this.rolePasswords.get(r.name);
    return v;
  }

  databaseView(b, d) {
    return { id: d.id, branch_id: b.id, name: d.name, owner_name: d.ownerName, created_at: iso(d.createdAt), updated_at: iso(d.updatedAt) };
  }

  connectionUri(endpoint, { database = DATABASE_NAME, role = ROLE_NAME, pooled = false } = {}) {
    const pw = this.rolePasswords.get(role);
    return `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(pw)}@${this.hostOf(endpoint, pooled)}/${encodeURIComponent(database)}?sslmode=require`;
  }

  connectionDetails(endpoint, database, role) {
    return {
      connection_uri: this.connectionUri(endpoint, { database, role }),
      connection_parameters: {
        database,
        password: this.rolePasswords.get(role),
        role,
        host: this.hostOf(endpoint),
        pooler_host: this.hostOf(endpoint, true),
      },
    };
  }
}

module.exports = { ProjectState, ids, iso, DATABASE_NAME, ROLE_NAME };
