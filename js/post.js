// The action's `post:` step. Copied to dist/ as is (not bundled): it reuses the main bundle,
// so the wasm and its glue ship once.
'use strict';
require('./index.js').post();
