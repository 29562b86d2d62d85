'use strict';
// The README documents every input and output exactly as action.yml declares them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { render } = require('../scripts/readme-inputs');

const root = path.join(__dirname, '..');

test('README inputs/outputs tables match action.yml', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.equal(render(readme), readme, 'run: node scripts/readme-inputs.js');
});

test('every input and output of action.yml has a description', () => {
  const action = YAML.parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'));
  for (const [kind, entries] of [['input', action.inputs], ['output', action.outputs]]) {
    for (const [name, spec] of Object.entries(entries)) {
      assert.ok(spec && typeof spec.description === 'string' && spec.description.trim().length > 10, `${kind} ${name} needs a description`);
    }
  }
  assert.equal(action.runs.using, 'node24');
});
