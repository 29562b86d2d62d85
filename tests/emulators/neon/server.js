'use strict';
// HTTP layer of the Neon emulator: auth, routing by the spec's operationId,
// request/response validation against Neon's OpenAPI spec, fault injection and the
// request log.
//
// Any mismatch with the spec (in what a client sent or in what the emulator is about
// to answer) is recorded in validationErrors and turned into a 500 whose message
// explains it, so the test that caused it fails loudly instead of passing against a
// fantasy API.

const http = require('node:http');
const { applyFaults } = require('../../support/faults');
const { handlers, ApiError, sweepExpired } = require('./routes');

const BASE_PATH = '/api/v2';
const MAX_BODY = 5 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new ApiError(413, 'request body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Deliberately break a response (test hook): drop its first property, or apply a function. */
function corrupt(body, how) {
  if (typeof how === 'function') return how(body);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const [first] = Object.keys(body);
    const copy = { ...body };
    delete copy[first];
    return copy;
  }
  return { corrupted: true };
}

function createApiServer(ctx) {
  const { validator, faults, requests, validationErrors, debug } = ctx;

  const recordProblems = (kind, entry, problems) => {
    for (const p of problems) validationErrors.push({ at: entry.at, kind, method: entry.method, path: entry.path, problem: p });
  };

  async function respond(res, entry, status, body) {
    // Every answer passes the spec check; a mismatch becomes a 500 that says why.
    let outStatus = status;
    let outBody = body;
    const problems = validator ? validator.validateResponse({ method: entry.method, path: entry.path, status, headers: { 'content-type': 'application/json' }, body }) : [];
    if (problems.length > 0) {
      recordProblems('response', entry, problems);
      outStatus = 500;
      outBody = { code: 'EMULATOR_SPEC_VIOLATION', message: `neon emulator: the response for ${entry.method} ${entry.path} (status ${status}) does not match Neon's OpenAPI spec: ${problems.join('; ')}` };
    }
    entry.status = outStatus;
    entry.responseBody = outBody;
    const text = outBody === undefined ? '' : JSON.stringify(outBody);
    const headers = { 'content-length': Buffer.byteLength(text) };
    if (outBody !== undefined) headers['content-type'] = 'application/json';
    res.writeHead(outStatus, headers);
    res.end(text);
  }

  async function dispatch(req, res, entry, url) {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization || '');
    if (!bearer || bearer[1].trim() !== ctx.apiKey) {
      return respond(res, entry, 401, { code: '', message: 'authorization failed: invalid or missing API key' });
    }

    let raw;
    try { raw = await readBody(req); } catch (err) { return respond(res, entry, err.status || 400, { code: '', message: err.message }); }
    let body;
    if (raw.trim() !== '') {
      try { body = JSON.parse(raw); } catch {
        recordProblems('request', entry, ['request body is not valid JSON']);
        return respond(res, entry, 400, { code: '', message: 'request body is not valid JSON' });
      }
    }
    entry.requestBody = body;

    const found = url.pathname.startsWith(BASE_PATH + '/') ? validator.findOperation(req.method, url.pathname) : null;
    entry.operationId = found ? found.operationId : undefined;
    const handler = found && handlers[found.operationId];
    if (!handler) {
      // Outside the spec, or in the spec but not emulated: a 404 plus a note, so a
      // test that reaches for an API the emulator lacks fails with a clear reason.
      const why = found ? `operation ${found.operationId} is not implemented by the neon emulator` : 'no such route in the Neon API spec';
      recordProblems('route', entry, [`${req.method} ${url.pathname}: ${why}`]);
      entry.status = 404;
      entry.responseBody = { code: '', message: why };
      const text = JSON.stringify(entry.responseBody);
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return undefined;
    }

    const requestProblems = validator.validateRequest({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
    if (requestProblems.length > 0) {
      recordProblems('request', entry, requestProblems);
      return respond(res, entry, 500, { code: 'EMULATOR_SPEC_VIOLATION', message: `neon emulator: the request ${req.method} ${url.pathname} does not match Neon's OpenAPI spec: ${requestProblems.join('; ')}` });
    }

    const now = Date.now();
    ctx.ops.refresh(now);
    await sweepExpired(ctx, now);
    const query = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    let result;
    try {
      result = await handler(ctx, { pathParams: found.pathParams, query, body, now });
    } catch (err) {
      if (err instanceof ApiError) result = { status: err.status, body: { code: err.code, message: err.message } };
      else result = { status: 500, body: { code: 'EMULATOR_ERROR', message: `neon emulator internal error: ${err.message}` } };
    }
    if (debug.corruptNextResponse && result.status < 300) {
      result = { ...result, body: corrupt(result.body, debug.corruptNextResponse) };
      debug.corruptNextResponse = false;
    }
    return respond(res, entry, result.status, result.body);
  }

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const url = new URL(req.url, 'http://emulator');
    const query = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const entry = { at: new Date(started).toISOString(), method: req.method, path: url.pathname, query, requestBody: undefined, status: null, responseBody: undefined, fault: null, durationMs: 0 };
    requests.push(entry);
    const noteFault = (fault) => {
      entry.fault = fault;
      if (fault.kind !== 'status' && fault.kind !== 'delayMs') entry.status = null; // the client gets no response at all
    };
    applyFaults(faults, req, res, () => dispatch(req, res, entry, url), noteFault)
      .then((fault) => {
        if (fault) {
          entry.fault = fault;
          if (fault.kind === 'status') {
            entry.status = fault.status;
            entry.responseBody = fault.body;
            const problems = validator.validateResponse({ method: req.method, path: url.pathname, status: fault.status, body: fault.body });
            recordProblems('fault-response', entry, problems);
          } else if (fault.kind === 'drop' || fault.kind === 'stallMs' || fault.kind === 'dropAfterHandling') {
            entry.status = null; // the client got no response at all
          }
        }
      })
      .catch((err) => {
        entry.error = err.message;
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'EMULATOR_ERROR', message: err.message }));
        }
      })
      .finally(() => { entry.durationMs = Date.now() - started; });
  });
  server.keepAliveTimeout = 2000;

  return {
    server,
    async listen() {
      await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
      return server.address().port;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { createApiServer, BASE_PATH };
