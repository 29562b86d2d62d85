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
    let message = error;
    if (typeof error !== 'string') {
      let panic = null;
      try { panic = wasm.last_panic(); } catch { /* the instance may be unusable */ }
      message = `internal error in neon-gitops (${panic || (error && error.message) || error}); please report it with this log`;
    }
    core.setFailed(message);
  }
}
