'use strict';
// How the suites and benches run the action against the emulators: the inputs that point
// it at the Neon emulator, and one preview run for a pull-request event.

const { runAction } = require('./runner');
const { pullRequestEvent } = require('./events');

/** The inputs that point the action at a Neon emulator's project. */
function neonInputs(neon) {
  return { 'neon-api-key': neon.apiKey, 'neon-project-id': neon.projectId, 'neon-api-host': neon.apiUrl };
}

/**
 * mode: preview for one `pull_request` event (`pr`: pullRequestEvent's options), against
 * the Neon emulator `neon` and the GitHub emulator `gh`, with psql from `pgBinDir`.
 */
function runPreview({ neon, gh, pgBinDir, workspace, pr, inputs = {}, env = {}, timeoutMs = 120000 }) {
  return runAction({
    workspace,
    eventName: 'pull_request',
    event: pullRequestEvent(pr),
    githubApiUrl: gh.url,
    githubToken: gh.token,
    inputs: { mode: 'preview', ...neonInputs(neon), 'pg-bin-dir': pgBinDir, ...inputs },
    env,
    timeoutMs,
  });
}

module.exports = { neonInputs, runPreview };
