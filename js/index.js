import { main } from './main.js';
import { analyze } from '../build/wasm/neon_gitops.js';

// The runner executes this file: run the action. Required as a module (benchmarks, tools),
// it only exposes the SQL engine's one entry point.
export { analyze };
if (typeof require !== 'undefined' && require.main === module) main('run');
