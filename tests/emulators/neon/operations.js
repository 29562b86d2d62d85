'use strict';
// Neon control-plane operations (create_timeline, start_compute, ...).
//
// Every mutating API call returns operations whose status goes
// scheduling -> running -> finished. Instead of timers, each operation gets its
// planned start/end times when it is scheduled, and refresh() (called at the start
// of every API request and every proxied connection) moves statuses forward and runs
// the operation's onFinish effect (e.g. endpoint current_state init -> active).
// No timers means nothing keeps the test process alive and state is deterministic
// for a given clock.
//
// Operations on the same branch run one after another, like Neon's per-branch queue;
// while a branch has a non-terminal operation, mutating calls on it get 423 Locked.

const { ids, iso } = require('./state');

const TERMINAL = new Set(['finished', 'failed', 'error', 'cancelled', 'skipped']);

class Operations {
  constructor({ projectId }) {
    this.projectId = projectId;
    this.list = []; // creation order
  }

  /**
   * Schedule an operation that takes durationMs of "running" time after the
   * previous operation on the same branch ends. The first third of its own time
   * is spent in `scheduling`, so a client polling quickly sees all three states.
   */
  schedule({ action, branchId, endpointId, durationMs, onFinish, now = Date.now() }) {
    const queueEnd = this.list
      .filter((o) => o.branchId === branchId && !TERMINAL.has(o.status))
      .reduce((t, o) => Math.max(t, o.endAt), now);
    const op = {
      id: ids.operation(),
      action,
      branchId,
      endpointId,
      status: 'scheduling',
      createdAt: now,
      updatedAt: now,
      runAt: queueEnd + Math.round(durationMs / 3),
      endAt: queueEnd + durationMs,
      onFinish,
    };
    this.list.push(op);
    return op;
  }

  /** Advance every operation to the state it has at `now`; run finish effects in order. */
  refresh(now = Date.now()) {
    for (const op of this.list) {
      if (TERMINAL.has(op.status)) continue;
      if (op.status === 'scheduling' && now >= op.runAt) {
        op.status = 'running';
        op.updatedAt = op.runAt;
      }
      if (op.status === 'running' && now >= op.endAt) {
        op.status = 'finished';
        op.updatedAt = op.endAt;
        if (op.onFinish) op.onFinish(op.endAt);
      }
    }
  }

  /** Non-terminal operations touching this branch (or endpoint). */
  pending({ branchId, endpointId } = {}) {
    return this.list.filter((o) => !TERMINAL.has(o.status)
      && (branchId === undefined || o.branchId === branchId)
      && (endpointId === undefined || o.endpointId === endpointId));
  }

  busy(branchId) { return this.pending({ branchId }).length > 0; }

  get(id) { return this.list.find((o) => o.id === id); }

  view(op, now = Date.now()) {
    const v = {
      id: op.id,
      project_id: this.projectId,
      action: op.action,
      status: op.status,
      failures_count: 0,
      created_at: iso(op.createdAt),
      updated_at: iso(op.updatedAt),
      total_duration_ms: Math.max(0, (TERMINAL.has(op.status) ? op.endAt : now) - op.createdAt),
    };
    if (op.branchId) v.branch_id = op.branchId;
    if (op.endpointId) v.endpoint_id = op.endpointId;
    return v;
  }
}

module.exports = { Operations, TERMINAL };
