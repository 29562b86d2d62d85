'use strict';
// Lint throughput through the shipped bundle: `require('dist/index.js').analyze`
// (the wasm entry the action itself calls) over the same files as the native
// bench (every .sql file of every corpus project, one call per project, default
// config). Timed: the whole JS entry, i.e. analyze(requestJson) -> responseJson
// (split, parse, plan, lint, Markdown + annotations, JSON both ways) plus
// JSON.parse of the response; the request strings are built once beforehand,
// as the native bench reads the files once.
//
// node_modules/.bin/node bench/lint/dist.js [corpus-dir] [N] [--json]
//   --json   also print one JSON line with the totals
//   --list FILE   benchmark exactly the files listed in FILE (one path a line,
//                 as `lint_bench --list` prints them) instead of walking the corpus
//   --config STR  the `lint` input to run with (default: the default config)

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const listAt = args.indexOf('--list');
const listFile = listAt >= 0 ? args[listAt + 1] : null;
const configAt = args.indexOf('--config');
const config = configAt >= 0 ? args[configAt + 1] : '';
const pos = args.filter((a, i) => !a.startsWith('--') && !(listAt >= 0 && i === listAt + 1) && !(configAt >= 0 && i === configAt + 1));
const corpus = path.resolve(pos[0] || path.join(root, '../shared/corpus'));
const n = Number(pos[1]) || 5;

// Same walk as lint_bench.rs: sorted entries, recursive, *.sql.
function sqlFiles(dir, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) sqlFiles(p, out);
    else if (name.endsWith('.sql')) out.push(p);
  }
  return out;
}

const projects = fs.readdirSync(corpus).sort().map((name) => path.join(corpus, name)).filter((p) => fs.statSync(p).isDirectory());
let listed = null;
if (listFile) listed = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean).map((p) => path.resolve(p));

const { analyze } = require(path.join(root, 'dist/index.js'));
const inputs = projects.map((dir) => {
  const files = listed ? listed.filter((f) => f.startsWith(dir + path.sep)) : sqlFiles(dir, []);
  const request = {
    config,
    files: files.map((f) => {
      const bytes = fs.readFileSync(f);
      let metadata;
      try { metadata = fs.readFileSync(path.join(path.dirname(f), 'metadata.toml'), 'utf8'); } catch { /* not diesel */ }
      // base64 keeps non-UTF-8 bytes as they are (the engine reports them), like the native bench.
      return { path: path.relative(dir, f), base64: bytes.toString('base64'), ...(metadata !== undefined ? { metadata } : {}) };
    }),
  };
  return { name: path.basename(dir), request: JSON.stringify(request) };
});

let files = 0, bytes = 0, statements = 0, parsed = 0;
for (const { request } of inputs) {
  const t = JSON.parse(analyze(request)).analysis.totals;
  files += t.files; bytes += t.bytes; statements += t.statements; parsed += t.parsed;
}

// Warm-up pass (JIT, wasm tier-up), then N timed passes over everything.
for (const { request } of inputs) JSON.parse(analyze(request));
const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  for (const { request } of inputs) JSON.parse(analyze(request));
}
const secs = Number(process.hrtime.bigint() - start) / 1e9 / n;
const mbps = bytes / 1e6 / secs;
const sps = statements / secs;
console.log(`neon-gitops dist (Node ${process.versions.node}, wasm): ${files} files, ${(bytes / 1e6).toFixed(2)} MB, ${n} passes, `
  + `${(secs * 1e3).toFixed(1)} ms/pass: ${mbps.toFixed(1)} MB/s, ${sps.toFixed(0)} statements/s`);
if (json) {
  console.log(JSON.stringify({ files, bytes, statements, parsed, seconds_per_pass: secs, mb_per_s: mbps, statements_per_s: sps, node: process.versions.node }));
}
