'use strict';
// Bundle js/index.js (the shim, @actions/core and the wasm-bindgen glue) into
// dist/index.js, one CommonJS file.
//
// @actions/core imports @actions/http-client (and with it undici, ~600 KB) at load
// time only for getIDToken(), which this action never calls. Loading it cost ~25 ms
// of every run's start, so the bundle gets a stub in its place that fails loudly if
// anything ever does call it.
//
// The wasm ships brotli-compressed (dist/neon_gitops_bg.wasm.br): the runner downloads
// dist/ on every job inside a gzip tarball, where brotli's 11th level is ~25% smaller than
// gzip's best, and Node decompresses it in ~15 ms (zlib.brotliDecompressSync, built in).
// The glue's one read of the .wasm is rewritten to read and decompress the .br instead; the
// build fails if wasm-bindgen ever emits that read differently.
const esbuild = require('esbuild');
const fs = require('node:fs');
const zlib = require('node:zlib');

const WASM_READ = "const wasmPath = `${__dirname}/neon_gitops_bg.wasm`;\nconst wasmBytes = require('fs').readFileSync(wasmPath);";
const BROTLI_READ = "const wasmPath = `${__dirname}/neon_gitops_bg.wasm.br`;\nconst wasmBytes = require('zlib').brotliDecompressSync(require('fs').readFileSync(wasmPath));";

const brotliWasm = {
  name: 'brotli-wasm',
  setup(build) {
    build.onLoad({ filter: /neon_gitops\.js$/ }, (args) => {
      const glue = fs.readFileSync(args.path, 'utf8');
      if (!glue.includes(WASM_READ)) throw new Error(`${args.path}: the wasm-bindgen glue no longer reads the wasm as expected; update scripts/bundle.js`);
      return { contents: glue.replace(WASM_READ, BROTLI_READ), loader: 'js' };
    });
  },
};

/** Deterministic: the same bytes in give the same bytes out (CI rebuilds and compares). */
function compressWasm() {
  const wasm = fs.readFileSync('build/wasm/neon_gitops_bg.wasm');
  fs.writeFileSync('dist/neon_gitops_bg.wasm.br', zlib.brotliCompressSync(wasm, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: zlib.constants.BROTLI_MAX_WINDOW_BITS,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: wasm.length,
    },
  }));
}

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
  plugins: [noHttpClient, brotliWasm],
}).then(compressWasm).catch((e) => {
  console.error(e);
  process.exit(1);
});
