'use strict';
// Bundle js/index.js (the shim, @actions/core and the wasm-bindgen glue) into
// dist/index.js, one CommonJS file.
//
// @actions/core imports @actions/http-client (and with it undici, ~600 KB) at load
// time only for getIDToken(), which this action never calls. Loading it cost ~25 ms
// of every run's start, so the bundle gets a stub in its place that fails loudly if
// anything ever does call it.
const esbuild = require('esbuild');

const noHttpClient = {
  name: 'no-actions-http-client',
  setup(build) {
    build.onResolve({ filter: /^@actions\/http-client(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'function unused() { throw new Error("@actions/http-client is not bundled: neon-gitops makes no OIDC or HTTP calls through @actions/core"); }\n'
        + 'module.exports = { HttpClient: unused, BearerCredentialHandler: unused };\n',
      loader: 'js',
    }));
  },
};

esbuild.build({
  entryPoints: ['js/index.js'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  outfile: 'dist/index.js',
  plugins: [noHttpClient],
}).catch(() => process.exit(1));
