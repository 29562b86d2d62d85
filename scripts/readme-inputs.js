'use strict';
// Regenerates the generated tables of README.md between their markers: inputs and outputs
// from action.yml, lint rules from docs/lint-rules.md (each the single source).
// `node scripts/readme-inputs.js --check` exits 1 when README.md is stale (tests/readme.test.js).

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const root = path.join(__dirname, '..');
const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').trim();

function tables() {
  const action = YAML.parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'));
  const inputs = ['| input | default | description |', '|---|---|---|'];
  for (const [name, spec] of Object.entries(action.inputs)) {
    const def = spec.default === undefined ? (spec.required ? '*(required)*' : '') : `\`${cell(spec.default)}\``;
    inputs.push(`| \`${name}\` | ${def} | ${cell(spec.description)} |`);
  }
  const outputs = ['| output | description |', '|---|---|'];
  for (const [name, spec] of Object.entries(action.outputs)) outputs.push(`| \`${name}\` | ${cell(spec.description)} |`);
  return { inputs: inputs.join('\n'), outputs: outputs.join('\n'), rules: rulesTable() };
}

/** One row per `### rule-id` section of docs/lint-rules.md: id (an anchor), default, why. */
function rulesTable() {
  const docs = fs.readFileSync(path.join(root, 'docs', 'lint-rules.md'), 'utf8');
  const rows = ['| rule | default | why |', '|---|---|---|'];
  const section = /\n### ([a-z0-9-]+)\n\nDefault: \*\*(\w+)\*\*\.\n\n([^\n]+)/g;
  for (const [, id, severity, why] of docs.matchAll(section)) {
    rows.push(`| <a id="${id}"></a>[\`${id}\`](docs/lint-rules.md#${id}) | ${severity} | ${cell(why)} |`);
  }
  return rows.join('\n');
}

function render(readme) {
  const t = tables();
  let out = readme;
  for (const key of ['inputs', 'outputs', 'rules']) {
    const re = new RegExp(`(<!-- ${key}:start -->\\n)[\\s\\S]*?(<!-- ${key}:end -->)`);
    if (!re.test(out)) throw new Error(`README.md lacks the <!-- ${key}:start --> / <!-- ${key}:end --> markers`);
    out = out.replace(re, `$1${t[key]}\n$2`);
  }
  return out;
}

module.exports = { render, tables };

if (require.main === module) {
  const file = path.join(root, 'README.md');
  const current = fs.readFileSync(file, 'utf8');
  const next = render(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md inputs/outputs tables are stale: run node scripts/readme-inputs.js');
      process.exit(1);
    }
  } else {
    fs.writeFileSync(file, next);
  }
}
