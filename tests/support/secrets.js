'use strict';
// Secret-leak checks: gather everything a user could see from a run, then look for
// each secret in it, in the encodings a value usually takes on its way out.
//
//   const visible = collectVisible(r, { github: gh, slack });
//   assert.deepEqual(findLeaks(visible, [apiKey, { name: 'db url', value: dbUrl }]), []);
//
// What counts as visible, and how the runner's masking is modelled:
//  * log lines (stdout AND stderr) and workflow-command messages/properties
//    (annotations, groups, debug), each masked only with the masks registered BEFORE
//    that line reached the runner: a secret printed before its ::add-mask:: is in the
//    log for good. add-mask lines themselves are never echoed by the runner.
//  * outputs, saved state and exported env (file commands): allowed only if the value
//    was masked before it was written, as the action's contract says; the runner shows
//    them in later steps' logs and passes outputs on to other jobs.
//  * the step summary, masked with every mask (the runner scrubs it on upload), and
//    the runner's own messages.
//  * every comment body the GitHub emulator ever received (created or edited, even if
//    later deleted - notification emails keep them), every Slack message, and any
//    extra files given. Nothing masks those.
// The timing of masks comes from the runner simulation (see runner.js for how it
// dates file writes against stdout without ever reporting a correct order as a leak).

const fs = require('node:fs');
const { maskSecrets } = require('./runner');

const MIN_ENCODED_CORE = 8; // shorter base64 fragments would match by chance

function maskedAt(r, item) {
  return maskSecrets(item.text, r.maskValues.slice(0, item.maskCount));
}

function commandText(c) {
  return [c.message, ...Object.values(c.properties || {})].join('\n');
}

/**
 * Everything a user could see from a run: [{ where, text }].
 * `runResult` may be null when only the emulators are of interest.
 */
function collectVisible(runResult, { github, slack, extraFiles = [] } = {}) {
  const visible = [];
  const r = runResult;
  if (r) {
    for (const item of r.timeline) {
      const c = item.command;
      if (item.kind === 'stdout' || item.kind === 'stderr') {
        if (!c) {
          visible.push({ where: `${item.kind} line ${item.index + 1}`, text: maskedAt(r, item) });
        } else if (c.command !== 'add-mask' && !c.resume) {
          const what = ['error', 'warning', 'notice'].includes(c.command) ? `annotation ::${c.command}` : `command ::${c.command}`;
          visible.push({ where: `${what} (${item.kind} line ${item.index + 1})`, text: maskSecrets(commandText(c), r.maskValues.slice(0, item.maskCount)) });
        }
      } else {
        // output / state / env entries from the file commands
        visible.push({ where: `${item.kind === 'output' ? 'output' : item.kind === 'state' ? 'saved state' : 'GITHUB_ENV'} ${item.name}`, text: maskedAt(r, item) });
      }
    }
    for (const p of r.path || []) visible.push({ where: 'GITHUB_PATH', text: maskSecrets(p, r.maskValues) });
    if (r.summary) visible.push({ where: 'step summary', text: maskSecrets(r.summary, r.maskValues) });
    for (const m of r.runnerMessages || []) visible.push({ where: `runner ${m.level}`, text: maskSecrets(m.message, r.maskValues) });
  }
  if (github) {
    for (const b of github.commentBodiesEverWritten()) visible.push({ where: `GitHub comment (${b.where})`, text: b.body });
    for (const c of github.allComments()) visible.push({ where: `GitHub comment ${c.id} on #${c.issue_number}`, text: c.body || '' });
  }
  if (slack) {
    slack.messages.forEach((m, i) => visible.push({ where: `Slack message ${i + 1}`, text: JSON.stringify(m) }));
  }
  for (const f of extraFiles) {
    const file = typeof f === 'string' ? f : f.path;
    const where = typeof f === 'string' ? f : (f.where || f.path);
    if (fs.existsSync(file)) visible.push({ where, text: fs.readFileSync(file, 'utf8') });
  }
  return visible;
}

/** Base64 characters that depend only on the secret's bytes, for each alignment (0-2). */
function base64Cores(bytes, alphabet) {
  const cores = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(alphabet).replace(/=+$/, '');
    const first = Math.ceil((8 * shift) / 6);
    const last = Math.floor((8 * (shift + bytes.length)) / 6); // exclusive
    const core = encoded.slice(first, last);
    if (core.length >= MIN_ENCODED_CORE) cores.push(core);
  }
  return cores;
}

/** The forms a secret takes in output: [{ form, text }]. */
function secretForms(value) {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [{ form: 'raw', text: value }];
  const add = (form, text) => {
    if (text && !forms.some((f) => f.text === text)) forms.push({ form, text });
  };
  add('url-encoded', encodeURIComponent(value));
  add('form-encoded', new URLSearchParams({ x: value }).toString().slice(2));
  add('json-escaped', JSON.stringify(value).slice(1, -1));
  add('base64', bytes.toString('base64'));
  add('base64url', bytes.toString('base64url'));
  for (const core of base64Cores(bytes, 'base64')) add('base64', core);
  for (const core of base64Cores(bytes, 'base64url')) add('base64url', core);
  return forms;
}

/**
 * Looks for each secret in everything visible. `secrets`: strings or { name, value }.
 * Returns [{ secret, form, where, excerpt }]; the excerpt shows the surroundings with
 * the secret itself replaced, so a failing assertion never prints it.
 */
function findLeaks(visible, secrets) {
  const leaks = [];
  const list = secrets.map((s, i) => (typeof s === 'string' ? { name: `secret #${i + 1}`, value: s } : s)).filter((s) => s.value);
  for (const s of list) {
    const forms = secretForms(s.value);
    for (const v of visible) {
      const text = v.text || '';
      for (const f of forms) {
        const at = text.indexOf(f.text);
        if (at < 0) continue;
        const before = text.slice(Math.max(0, at - 30), at);
        const after = text.slice(at + f.text.length, at + f.text.length + 30);
        leaks.push({ secret: s.name, form: f.form, where: v.where, excerpt: `${before}«${s.name}»${after}` });
        break; // one finding per secret and place is enough
      }
    }
  }
  return leaks;
}

/**
 * The secrets inside a URL with credentials: the URL itself and its password in raw and
 * decoded form (a connection string's password is usually percent-encoded in it).
 */
function credentialParts(urlString, name = 'url') {
  const out = [{ name, value: urlString }];
  try {
    const u = new URL(urlString);
    if (u.password) {
      out.push({ name: `${name} password`, value: u.password });
      const decoded = decodeURIComponent(u.password);
      if (decoded !== u.password) out.push({ name: `${name} password (decoded)`, value: decoded });
    }
  } catch {
    // not a URL: the string alone is the secret
  }
  return out;
}

module.exports = { collectVisible, findLeaks, secretForms, credentialParts };
