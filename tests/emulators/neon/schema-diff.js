'use strict';
// Line-based unified diff (Myers' O(ND) algorithm) for compare_schema.
// Schema dumps are a few hundred lines and differ little, so the D-bounded search is
// fast; no dependency needed for something this small.

/** Edit script between two line arrays: [{op: ' '|'-'|'+', line}]. */
function diffLines(a, b) {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  let v = new Array(2 * max + 2).fill(0);
  const trace = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[offset + k] = x;
      if (x >= n && y >= m) { found = true; break; }
    }
  }
  // Walk the trace backwards to recover the edit script.
  const script = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    v = trace[d];
    const k = x - y;
    let prevK;
    if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { script.push({ op: ' ', line: a[x - 1] }); x--; y--; }
    if (d > 0) {
      if (x === prevX) script.push({ op: '+', line: b[y - 1] });
      else script.push({ op: '-', line: a[x - 1] });
    }
    x = prevX;
    y = prevY;
  }
  return script.reverse();
}

/**
 * Unified diff of two texts with `context` lines around changes.
 * Returns '' when the texts are equal.
 */
function unifiedDiff(oldText, newText, { oldName = 'a', newName = 'b', context = 3 } = {}) {
  const split = (t) => { const l = t.split('\n'); if (l[l.length - 1] === '') l.pop(); return l; };
  const a = split(oldText);
  const b = split(newText);
  const script = diffLines(a, b);
  if (!script.some((e) => e.op !== ' ')) return '';

  // Annotate each entry with its line numbers, then group changes into hunks.
  let ai = 0;
  let bi = 0;
  const rows = script.map((e) => {
    const row = { ...e, a: ai, b: bi };
    if (e.op !== '+') ai++;
    if (e.op !== '-') bi++;
    return row;
  });
  const changeIdx = rows.map((r, i) => (r.op !== ' ' ? i : -1)).filter((i) => i >= 0);
  const hunks = [];
  let start = Math.max(0, changeIdx[0] - context);
  let end = Math.min(rows.length, changeIdx[0] + context + 1);
  for (const i of changeIdx.slice(1)) {
    if (i - context <= end) end = Math.min(rows.length, i + context + 1);
    else { hunks.push([start, end]); start = Math.max(0, i - context); end = Math.min(rows.length, i + context + 1); }
  }
  hunks.push([start, end]);

  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const [s, e] of hunks) {
    const slice = rows.slice(s, e);
    const aCount = slice.filter((r) => r.op !== '+').length;
    const bCount = slice.filter((r) => r.op !== '-').length;
    const aStart = aCount ? slice.find((r) => r.op !== '+').a + 1 : slice[0].a;
    const bStart = bCount ? slice.find((r) => r.op !== '-').b + 1 : slice[0].b;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const r of slice) out.push(r.op + r.line);
  }
  return out.join('\n') + '\n';
}

module.exports = { diffLines, unifiedDiff };
