'use strict';
// Shared bits for the Neon emulator's own tests (not a test file itself).

const { execFile } = require('node:child_process');
const path = require('node:path');
const { startPostgres } = require('../../support/postgres');
const { startNeonEmulator } = require('./index');

/** Start a private Postgres and an emulator on it; returns helpers bound to them. */
async function startEnv(options = {}) {
  const pg = await startPostgres();
  let neon;
  try {
    neon = await startNeonEmulator({ pg, ...options });
  } catch (err) {
    await pg.stop();
    throw err;
  }
  const api = (method, p, body, { headers = {}, signal, key = neon.apiKey } = {}) => callApi(neon.apiUrl, key, method, p, body, { headers, signal });
  const project = (p) => `/projects/${neon.projectId}${p}`;
  return {
    pg,
    neon,
    api,
    project,
    psql: (uri, sql) => psql(pg.clientBinDir, uri, sql),
    waitForOperations: (ops) => waitForOperations(api, project, ops),
    async stop() {
      if (neon) await neon.stop();
      await pg.stop();
    },
  };
}

async function callApi(apiUrl, key, method, p, body, { headers = {}, signal } = {}) {
  const res = await fetch(apiUrl + p, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    signal,
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
  return { status: res.status, headers: res.headers, body: json };
}

/** psql (the real client, async so the in-process proxy keeps running). */
function psql(binDir, uri, sql) {
  return new Promise((resolve) => {
    execFile(path.join(binDir, 'psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-At', '-d', uri, '-c', sql], { env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}

/** Poll GET /operations/{id} until every operation is finished; returns statuses seen per op. */
async function waitForOperations(api, project, ops, timeoutMs = 15000) {
  const seen = {};
  const deadline = Date.now() + timeoutMs;
  for (const op of ops) {
    seen[op.id] = [op.status];
    for (;;) {
      const r = await api('GET', project(`/operations/${op.id}`));
      if (r.status !== 200) throw new Error(`GET operation ${op.id}: ${r.status} ${JSON.stringify(r.body)}`);
      const st = r.body.operation.status;
      if (seen[op.id][seen[op.id].length - 1] !== st) seen[op.id].push(st);
      if (st === 'finished') break;
      // `failed` is not terminal on Neon: it is retried (operations.js).
      if (st === 'error' || st === 'cancelled' || st === 'skipped') throw new Error(`operation ${op.id} ${st}`);
      if (Date.now() > deadline) throw new Error(`operation ${op.id} still ${st} after ${timeoutMs} ms`);
      await new Promise((r2) => setTimeout(r2, 40));
    }
  }
  return seen;
}

module.exports = { startEnv, callApi, psql, waitForOperations };
