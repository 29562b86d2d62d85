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
// Operations on the same branch run one after another, like Neon's per-branch queue.
// Neon "limits overlapping operations per project" (docs: reference/api/operations): while
// any operation of the project is not terminal, mutating calls get 423 Locked (routes.js).
//
// Terminal statuses are finished, skipped and cancelled; "A failed operation is not
// terminal and may be retried" (same page): failOnce() makes the next operation of an
// action fail, stay `failed` (failures_count 1, retry_at set) for a while, then run again
// and finish. `error` is in the spec's OperationStatus but in no doc: treated as terminal.

const { ids, iso } = require('./state');

const TERMINAL = new Set(['finished', 'error', 'cancelled', 'skipped']);

class Operations {
  constructor({ projectId }) {
    this.projectId = projectId;
    this.list = []; // creation order
    this.failures = []; // actions whose next operation fails once: { action, failedMs }
  }

  /** The next operation of `action` (any action when omitted) fails once, then is retried. */
  failOnce({ action, failedMs = 300 } = {}) { this.failures.push({ action, failedMs }); }

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
      failuresCount: 0,
      onFinish,
    };
    const i = this.failures.findIndex((f) => !f.action || f.action === action);
    if (i >= 0) {
      // Runs, fails half-way, waits failedMs as `failed`, then runs its full time again.
      const { failedMs } = this.failures.splice(i, 1)[0];
      op.failAt = op.runAt + Math.round((op.endAt - op.runAt) / 2);
      op.retryAt = op.failAt + failedMs;
      op.endAt = op.retryAt + (op.endAt - op.runAt);
    }
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
      if (op.failAt !== undefined && op.status === 'running' && op.failuresCount === 0 && now >= op.failAt) {
        op.status = 'failed';
        op.failuresCount = 1;
        op.updatedAt = op.failAt;
      }
      if (op.status === 'failed' && now >= op.retryAt) {
        op.status = 'running';
        op.updatedAt = op.retryAt;
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
      failures_count: op.failuresCount,
      created_at: iso(op.createdAt),
      updated_at: iso(op.updatedAt),
      total_duration_ms: Math.max(0, (TERMINAL.has(op.status) ? op.endAt : now) - op.createdAt),
    };
    if (op.failuresCount) { v.error = 'compute node failed to respond (emulated fault)'; v.retry_at = iso(op.retryAt); }
    if (op.branchId) v.branch_id = op.branchId;
    if (op.endpointId) v.endpoint_id = op.endpointId;
    return v;
  }
}

module.exports = { Operations, TERMINAL };
