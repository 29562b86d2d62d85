// Entry of the action's main step: hand the host to the core; a returned error becomes
// the step's one failure line (already scrubbed of secrets by the core).
import * as core from '@actions/core';
import { createHost } from './host.js';
import * as wasm from '../build/wasm/neon_gitops.js';

export async function main(entry) {
  try {
    await wasm[entry](createHost());
  } catch (error) {
    // The core returns strings; anything else is a defect, reported without a stack trace.
    const message = typeof error === 'string'
      ? error
      : `internal error in neon-gitops (${error && error.message ? error.message : error}); please report it with this log`;
    core.setFailed(message);
  }
}
