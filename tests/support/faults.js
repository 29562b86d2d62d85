'use strict';
// Fault injection shared by the Neon and GitHub emulators.
//
// A FaultSchedule is a list of rules. Each incoming request is matched against the
// rules in order; the first matching rule that still has budget decides what goes
// wrong with that request. Both emulators wrap their handler in applyFaults(), so
// a given rule behaves byte-for-byte the same on either of them.
//
//   f.add({ method: 'POST', path: /\/branches$/, skip: 0, times: 1, status: 423, retryAfter: 2 })
//
// Kinds of fault (exactly one per rule):
//   status            answer this HTTP status (JSON error body, optional Retry-After) without handling
//   delayMs           wait, then handle normally
//   stallMs           accept the request and send nothing for stallMs, then close the socket
//   drop              destroy the socket before handling (nothing happened server-side)
//   dropAfterHandling run the real handler (state changes!) then destroy the socket
//                     instead of sending the response: the classic "lost response"

class FaultSchedule {
  /**
   * @param {{errorBody?: (status: number, rule: object) => object}} [options]
   *   errorBody builds the JSON body of a `status` fault that has no `body`; the default
   *   is Neon's error shape {code, message}, which GitHub's error schema also accepts.
   */
  constructor({ errorBody } = {}) {
    this.rules = [];
    this.latencyMs = 0;
    this.injected = 0;
    require('./guard').registerFaultSchedule(this);
    this.errorBody = errorBody || ((status) => ({ code: '', message: `injected fault: HTTP ${status}` }));
  }

  /** Add a rule; returns it (its `matched` and `applied` counters are live). */
  add(rule) {
    const kinds = ['status', 'delayMs', 'stallMs', 'drop', 'dropAfterHandling'].filter((k) => rule[k] !== undefined && rule[k] !== false);
    if (kinds.length !== 1) throw new Error(`fault rule needs exactly one of status/delayMs/stallMs/drop/dropAfterHandling, got: ${kinds.join(', ') || 'none'}`);
    if (rule.path !== undefined && !(rule.path instanceof RegExp) && typeof rule.path !== 'string') throw new Error('fault rule path must be a RegExp or a string prefix');
    const r = { skip: 0, times: 1, ...rule, kind: kinds[0], matched: 0, applied: 0 };
    this.rules.push(r);
    return r;
  }

  /** The fault for this request, or null. Consumes budget of the rule that fires. */
  take(req) {
    const method = String(req.method || '').toUpperCase();
    const pathname = String(req.path !== undefined ? req.path : (req.url || '')).split('?')[0];
    for (const rule of this.rules) {
      if (rule.method && String(rule.method).toUpperCase() !== method) continue;
      if (rule.path instanceof RegExp) {
        rule.path.lastIndex = 0;
        if (!rule.path.test(pathname)) continue;
      } else if (typeof rule.path === 'string' && !pathname.startsWith(rule.path)) continue;
      rule.matched++;
      if (rule.matched <= rule.skip) continue;
      if (rule.applied >= rule.times) continue;
      rule.applied++;
      this.injected++;
      return rule;
    }
    return null;
  }

  /** Remove every rule (latencyMs and the injected counter are kept). */
  clear() {
    this.rules = [];
  }
}

/** What a request log records about a fault: plain data, no counters. */
function describeFault(rule) {
  const d = { kind: rule.kind };
  for (const k of ['status', 'retryAfter', 'delayMs', 'stallMs', 'drop', 'dropAfterHandling']) if (rule[k] !== undefined) d[k] = rule[k];
  return d;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `handle()` for this request under the schedule's faults.
 * Resolves to the fault description ({kind, ...}) when one was injected, else null;
 * the caller puts it into its request log entry as `fault`.
 * `onFault(fault)`, if given, is called as soon as a fault is chosen (before a stall
 * or delay runs its course), so a log shows the fault while it is still happening;
 * the same object is completed later (e.g. `body`, `suppressedStatus`).
 * After a drop/stall/dropAfterHandling the socket is destroyed; `res` must not be used.
 */
async function applyFaults(schedule, req, res, handle, onFault) {
  if (schedule && schedule.latencyMs > 0) await sleep(schedule.latencyMs);
  const rule = schedule ? schedule.take(req) : null;
  if (!rule) {
    await handle();
    return null;
  }
  const fault = describeFault(rule);
  if (onFault) onFault(fault);
  const socket = req.socket;
  switch (rule.kind) {
    case 'drop':
      socket.destroy();
      return fault;
    case 'stallMs': {
      // Send nothing; give up when the client hangs up or stallMs passes.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, rule.stallMs);
        timer.unref(); // a stalled test request must never keep the process alive
        socket.once('close', () => { clearTimeout(timer); resolve(); });
      });
      socket.destroy();
      return fault;
    }
    case 'delayMs':
      await sleep(rule.delayMs);
      await handle();
      return fault;
    case 'dropAfterHandling': {
      // Let the handler do its work (and mutate state), but swallow its response
      // and cut the connection where the response would have been sent.
      const suppressed = { status: undefined };
      res.writeHead = function writeHead(status) { suppressed.status = status; return res; };
      res.write = () => true;
      res.end = function end() {
        suppressed.status = suppressed.status || res.statusCode;
        socket.destroy();
        return res;
      };
      await handle();
      socket.destroy();
      fault.suppressedStatus = suppressed.status;
      return fault;
    }
    case 'status': {
      const body = rule.body !== undefined ? rule.body : schedule.errorBody(rule.status, rule);
      const text = JSON.stringify(body);
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
      if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
      if (rule.headers) Object.assign(headers, rule.headers);
      res.writeHead(rule.status, headers);
      res.end(text);
      fault.body = body;
      return fault;
    }
    default:
      throw new Error(`unknown fault kind ${rule.kind}`);
  }
}

module.exports = { FaultSchedule, applyFaults, describeFault };
