import { main } from './main.js';
import { analyze } from '../build/wasm/neon_gitops.js';

// The runner executes this file for the main step: run the action. Required as a module it
// only exposes entry points: the `post:` step (dist/post.js) and the SQL engine (benchmarks).
export { analyze };
export const post = () => main('post');
if (typeof require !== 'undefined' && require.main === module) main('run');
