'use strict';
// Suite-wide guarantees, applied to every run of the action without each test asking:
// every secret the test bed knows (API keys, tokens, passwords, URLs with credentials) is
// registered here by whoever creates it (harness, emulators, runner inputs), and after
// every runAction() everything a user could see — log, workflow commands, outputs not
// masked first, summary, state, every PR comment ever written, every Slack message — is
// searched for them in raw, URL-encoded and base64 forms. A leak fails the run's test.
//
// Counters (runs, faults injected, secrets planted, leaks) are written per test process
// to $NEON_GITOPS_STATS_DIR so scripts/test.sh can print one summary line for the suite.

const fs = require('node:fs');
const path = require('node:path');

const secrets = new Map(); // value -> name
const surfaces = { github: new Set(), slack: new Set() };
const schedules = new Set();
// `caught`: leaks of secrets planted on purpose (registered with a name starting 'planted'),
// which prove the check works; `leaks`: anything else, which fails the suite.
const stats = { runs: 0, leaks: 0, caught: 0 };

/** Remember a secret so every later run is checked for it. */
function registerSecret(name, value) {
  if (typeof value === 'string' && value.length >= 6 && !secrets.has(value)) secrets.set(value, name);
}

/** A place (GitHub or Slack emulator) whose contents users can read. */
function registerSurface(kind, emulator) {
  surfaces[kind].add(emulator);
}
function unregisterSurface(kind, emulator) {
  surfaces[kind].delete(emulator);
}

function registerFaultSchedule(schedule) {
  schedules.add(schedule);
}

function knownSecrets() {
  return [...secrets].map(([value, name]) => ({ name, value }));
}

/**
 * Check one run. Returns the leaks (without the secret values). Comments and Slack
 * messages of every live emulator are included: they are what the run could have written.
 */
function checkRun(r, { expectLeaks = false } = {}) {
  // Lazy: secrets.js needs runner.js, which calls us.
  const { collectVisible, findLeaks } = require('./secrets');
  stats.runs++;
  const visible = collectVisible(r);
  for (const github of surfaces.github) visible.push(...collectVisible(null, { github }));
  for (const slack of surfaces.slack) visible.push(...collectVisible(null, { slack }));
  const leaks = findLeaks(visible, knownSecrets());
  for (const leak of leaks) {
    if (leak.secret.startsWith('planted')) stats.caught++;
    else if (!expectLeaks) stats.leaks++;
  }
  return leaks;
}

function faultsInjected() {
  let n = 0;
  for (const s of schedules) n += s.injected || 0;
  return n;
}

process.on('exit', () => {
  const dir = process.env.NEON_GITOPS_STATS_DIR;
  if (!dir || stats.runs === 0) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, `${process.pid}.json`),
      JSON.stringify({ runs: stats.runs, faults: faultsInjected(), secrets: secrets.size, leaks: stats.leaks, caught: stats.caught }),
    );
  } catch { /* the summary is informative; never fail a test for it */ }
});

module.exports = { registerSecret, registerSurface, unregisterSurface, registerFaultSchedule, checkRun, knownSecrets, stats, faultsInjected };
