'use strict';
// Generic OpenAPI 3.0 / 3.1 request and response validator for the test emulators.
//
// Both the Neon and the GitHub emulators pass every request they receive and every
// response they are about to send through here, so a drift between what the
// emulators (or the action) do and what the published specs say fails a test
// instead of hiding until production.
//
// Design:
//  * Routing: path templates are indexed by segment count; literal segments beat
//    `{param}` segments (so /branches/count wins over /branches/{branch_id}).
//  * Schemas: compiled with ajv lazily, once per operation (and per response status),
//    then cached. `$ref`s into `#/components/...` are served from one transformed
//    copy of `components` registered with ajv, so shared schemas compile once.
//  * OpenAPI 3.0 dialect fixes (done on a copy, the spec object is never mutated):
//    `nullable: true` -> also accept null; boolean exclusiveMinimum/Maximum -> numeric;
//    readOnly properties are not required in requests and writeOnly properties are
//    not required in responses (the only places the spec relaxes `required`).
//  * Unknown formats (int32, uint64, repo.nwo, ...) are accepted as annotations.

const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv').default;
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const MAX_REPORTED_ERRORS = 12;

function decodePointer(ref) {
  return ref.replace(/^#\/?/, '').split('/').filter((p) => p !== '')
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isJsonMedia(type) {
  const t = String(type || '').split(';')[0].trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json') || t === '*/*' || t === 'application/*';
}

function createValidator(spec, { allowUnknownQuery = false } = {}) {
  if (!spec || typeof spec !== 'object' || !spec.paths) throw new Error('createValidator: expected a parsed OpenAPI document');
  const is31 = /^3\.1/.test(String(spec.openapi || ''));
  const AjvClass = is31 ? Ajv2020 : Ajv;
  const ajv = new AjvClass({ strict: false, allErrors: true, logger: false, validateSchema: false, validateFormats: true });
  addFormats(ajv);

  // ---- base path from servers[0] ("https://console.neon.tech/api/v2" -> "/api/v2")
  let basePath = '';
  const serverUrl = spec.servers && spec.servers[0] && spec.servers[0].url;
  if (serverUrl) {
    try { basePath = new URL(serverUrl, 'http://placeholder').pathname.replace(/\/+$/, ''); } catch { basePath = ''; }
  }

  // ---- route index
  const routesByLength = new Map();
  for (const [template, item] of Object.entries(spec.paths)) {
    const segments = template.split('/').filter(Boolean).map((s) => {
      const m = /^\{([^}]+)\}$/.exec(s);
      return m ? { param: m[1] } : { literal: s };
    });
    const list = routesByLength.get(segments.length) || [];
    list.push({ template, segments, item });
    routesByLength.set(segments.length, list);
  }

  function resolveRef(obj, seen = new Set()) {
    while (obj && typeof obj === 'object' && typeof obj.$ref === 'string' && obj.$ref.startsWith('#')) {
      if (seen.has(obj.$ref)) throw new Error(`circular $ref ${obj.$ref}`);
      seen.add(obj.$ref);
      let target = spec;
      for (const part of decodePointer(obj.$ref)) target = target == null ? undefined : target[part];
      if (target === undefined) throw new Error(`unresolvable $ref ${obj.$ref}`);
      obj = target;
    }
    return obj;
  }

  // ---- schema transformation (OpenAPI dialect -> plain JSON Schema for ajv)
  const knownFormats = new Set(Object.keys(ajv.formats));
  function noteFormat(f) {
    if (typeof f === 'string' && !knownFormats.has(f)) {
      knownFormats.add(f);
      ajv.addFormat(f, true); // unknown formats are annotations, not assertions
    }
  }

  const COMPONENTS_ID = { request: 'openapi-components-request', response: 'openapi-components-response' };
  const componentsRegistered = { request: false, response: false };

  function propertyFlag(propSchema, flag) {
    try {
      const s = resolveRef(propSchema);
      if (!s || typeof s !== 'object') return false;
      if (s[flag] === true) return true;
      // allOf: [{$ref}] wrappers are a common way to attach readOnly to a shared schema
      return Array.isArray(s.allOf) && s.allOf.some((x) => { const r = resolveRef(x); return r && r[flag] === true; });
    } catch { return false; }
  }

  function transform(schema, mode, inComponentsDoc) {
    if (Array.isArray(schema)) return schema.map((s) => transform(s, mode, inComponentsDoc));
    if (!schema || typeof schema !== 'object') return schema;
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'example' || k === 'examples' || k === 'xml' || k === 'externalDocs' || k.startsWith('x-')) continue;
      if (k === '$ref' && typeof v === 'string') {
        if (v.startsWith('#/components/')) {
          ensureComponents(mode);
          out.$ref = inComponentsDoc ? v : COMPONENTS_ID[mode] + v;
        } else if (v.startsWith('#')) {
          // A ref outside components (rare): inline it.
          return transform(resolveRef({ $ref: v }), mode, inComponentsDoc);
        } else {
          out.$ref = v;
        }
        continue;
      }
      if (k === 'properties' && v && typeof v === 'object') {
        out.properties = {};
        for (const [p, ps] of Object.entries(v)) out.properties[p] = transform(ps, mode, inComponentsDoc);
        continue;
      }
      if (k === 'format') noteFormat(v);
      out[k] = (v && typeof v === 'object') ? transform(v, mode, inComponentsDoc) : v;
    }
    if (!is31) {
      // OpenAPI 3.0 boolean exclusive bounds (draft-04 style).
      if (out.exclusiveMinimum === true && typeof out.minimum === 'number') { out.exclusiveMinimum = out.minimum; delete out.minimum; } else if (typeof out.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
      if (out.exclusiveMaximum === true && typeof out.maximum === 'number') { out.exclusiveMaximum = out.maximum; delete out.maximum; } else if (typeof out.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
    }
    // readOnly / writeOnly leniency: exactly where OpenAPI relaxes `required`.
    if (Array.isArray(out.required) && schema.properties) {
      const skipFlag = mode === 'request' ? 'readOnly' : 'writeOnly';
      out.required = out.required.filter((name) => !(schema.properties[name] && propertyFlag(schema.properties[name], skipFlag)));
    }
    if (!is31 && out.nullable === true) {
      delete out.nullable;
      return { anyOf: [{ type: 'null' }, out] };
    }
    delete out.nullable;
    return out;
  }

  function ensureComponents(mode) {
    if (componentsRegistered[mode]) return;
    componentsRegistered[mode] = true; // set first: transform() below recurses into refs
    const doc = { $id: COMPONENTS_ID[mode], components: transform(spec.components || {}, mode, true) };
    ajv.addSchema(doc, COMPONENTS_ID[mode]);
  }

  function compile(schema, mode) {
    return ajv.compile(transform(schema, mode, false));
  }

  function formatErrors(where, errors) {
    const lines = [];
    for (const e of (errors || []).slice(0, MAX_REPORTED_ERRORS)) {
      let msg = `${where}${e.instancePath || ''} ${e.message}`;
      if (e.params && e.params.additionalProperty) msg += ` (${JSON.stringify(e.params.additionalProperty)})`;
      if (e.params && e.params.allowedValues) msg += ` (allowed: ${e.params.allowedValues.map((x) => JSON.stringify(x)).join(', ')})`;
      lines.push(msg);
    }
    if (errors && errors.length > MAX_REPORTED_ERRORS) lines.push(`${where}: ... ${errors.length - MAX_REPORTED_ERRORS} more`);
    return lines;
  }

  // ---- routing
  function findOperation(method, rawPath) {
    const m = String(method || '').toLowerCase();
    let p = String(rawPath || '').split('?')[0].split('#')[0];
    if (basePath && (p === basePath || p.startsWith(basePath + '/'))) p = p.slice(basePath.length);
    const parts = p.split('/').filter(Boolean);
    let decoded;
    try { decoded = parts.map((s) => decodeURIComponent(s)); } catch { return null; }
    let best = null;
    let bestScore = null;
    for (const route of routesByLength.get(parts.length) || []) {
      const op = route.item[m];
      if (!op) continue;
      const params = {};
      const score = [];
      let ok = true;
      for (let i = 0; i < route.segments.length; i++) {
        const seg = route.segments[i];
        if (seg.literal !== undefined) {
          if (seg.literal !== parts[i]) { ok = false; break; }
          score.push(1);
        } else {
          params[seg.param] = decoded[i];
          score.push(0);
        }
      }
      if (!ok) continue;
      // Prefer the template whose first differing segment is literal.
      if (!best || compareScore(score, bestScore) > 0) {
        best = { operationId: op.operationId, pathTemplate: route.template, pathParams: params, method: m };
        bestScore = score;
      }
    }
    return best;
  }

  function compareScore(a, b) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }

  // ---- per-operation compiled info (lazy, cached)
  const opCache = new Map();
  function operationInfo(found) {
    const key = `${found.method} ${found.pathTemplate}`;
    let info = opCache.get(key);
    if (info) return info;
    const item = spec.paths[found.pathTemplate];
    const op = item[found.method];
    const params = new Map();
    for (const raw of [...(item.parameters || []), ...(op.parameters || [])]) {
      const prm = resolveRef(raw);
      params.set(`${prm.in}:${prm.in === 'header' ? prm.name.toLowerCase() : prm.name}`, prm); // op-level overrides path-level
    }
    info = { op, params: [...params.values()], paramValidators: new Map(), bodyValidators: new Map(), responseValidators: new Map() };
    opCache.set(key, info);
    return info;
  }

  function paramValidator(info, prm) {
    const key = `${prm.in}:${prm.name}`;
    if (!info.paramValidators.has(key)) {
      let schema = prm.schema;
      if (!schema && prm.content) schema = Object.values(prm.content)[0]?.schema;
      info.paramValidators.set(key, schema ? compile(schema, 'request') : null);
    }
    return info.paramValidators.get(key);
  }

  // Query / path / header values arrive as strings: coerce them to the schema's type first.
  function coerce(value, schema) {
    const s = schema ? resolveRef(schema) : {};
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.includes('array')) {
      const list = Array.isArray(value) ? value : String(value).split(',');
      return list.map((v) => coerce(v, s.items));
    }
    if (Array.isArray(value)) value = value[value.length - 1];
    if (types.includes('integer') || types.includes('number')) {
      if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return Number(value);
      return value; // leave as string: the schema check reports the type error
    }
    if (types.includes('boolean')) {
      if (value === 'true') return true;
      if (value === 'false') return false;
      return value;
    }
    return value;
  }

  function normalizeQuery(query) {
    const out = {};
    if (!query) return out;
    const entries = (typeof query.entries === 'function' && !(query instanceof Map) && !Array.isArray(query))
      ? [...query.entries()]
      : Object.entries(query);
    for (const [k, v] of entries) {
      if (v === undefined) continue;
      const list = Array.isArray(v) ? v.map(String) : [String(v)];
      out[k] = (out[k] || []).concat(list);
    }
    return out;
  }

  function validateRequest({ method, path: reqPath, query, headers, body }) {
    const found = findOperation(method, reqPath);
    if (!found) return [`${String(method).toUpperCase()} ${reqPath}: no such operation in the spec`];
    const where = `${String(method).toUpperCase()} ${found.pathTemplate} (${found.operationId})`;
    const problems = [];
    let info;
    try { info = operationInfo(found); } catch (e) { return [`${where}: cannot read operation from spec: ${e.message}`]; }
    const q = normalizeQuery(query);
    const hdrs = {};
    for (const [k, v] of Object.entries(headers || {})) hdrs[k.toLowerCase()] = v;

    const declaredQuery = new Set();
    for (const prm of info.params) {
      let raw;
      if (prm.in === 'path') raw = found.pathParams[prm.name];
      else if (prm.in === 'query') { declaredQuery.add(prm.name); raw = q[prm.name]; }
      else if (prm.in === 'header') raw = hdrs[prm.name.toLowerCase()];
      else continue; // cookies: not used by API clients here
      if (raw === undefined) {
        if (prm.required || prm.in === 'path') problems.push(`${where}: missing required ${prm.in} parameter "${prm.name}"`);
        continue;
      }
      let validate;
      try { validate = paramValidator(info, prm); } catch (e) { problems.push(`${where}: cannot compile schema of parameter ${prm.name}: ${e.message}`); continue; }
      if (!validate) continue;
      const value = coerce(raw, prm.schema);
      if (!validate(value)) problems.push(...formatErrors(`${where}: ${prm.in} parameter "${prm.name}"=${JSON.stringify(Array.isArray(raw) && raw.length === 1 ? raw[0] : raw)}`, validate.errors));
    }
    if (!allowUnknownQuery) {
      for (const name of Object.keys(q)) {
        if (!declaredQuery.has(name)) problems.push(`${where}: query parameter "${name}" is not defined by the spec`);
      }
    }

    // body
    const hasBody = body !== undefined && body !== null && body !== '';
    const rb = info.op.requestBody ? resolveRef(info.op.requestBody) : null;
    if (!rb) {
      if (hasBody) problems.push(`${where}: operation takes no request body but one was sent`);
      return problems;
    }
    if (!hasBody) {
      if (rb.required) problems.push(`${where}: request body is required`);
      return problems;
    }
    const contentType = String(hdrs['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
    const content = rb.content || {};
    let mediaKey = Object.keys(content).find((k) => k.toLowerCase() === contentType);
    if (!mediaKey && isJsonMedia(contentType)) mediaKey = Object.keys(content).find((k) => isJsonMedia(k));
    if (!mediaKey) {
      problems.push(`${where}: request content-type ${contentType} not accepted (spec: ${Object.keys(content).join(', ')})`);
      return problems;
    }
    if (!isJsonMedia(mediaKey) || !content[mediaKey].schema) return problems;
    let validate = info.bodyValidators.get(mediaKey);
    if (!validate) {
      try { validate = compile(content[mediaKey].schema, 'request'); } catch (e) { return [...problems, `${where}: cannot compile request schema: ${e.message}`]; }
      info.bodyValidators.set(mediaKey, validate);
    }
    let value = body;
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      try { value = JSON.parse(String(value)); } catch { problems.push(`${where}: request body is not valid JSON`); return problems; }
    }
    if (!validate(value)) problems.push(...formatErrors(`${where}: request body`, validate.errors));
    return problems;
  }

  function validateResponse({ method, path: reqPath, status, headers, body }) {
    const found = findOperation(method, reqPath);
    if (!found) return [`${String(method).toUpperCase()} ${reqPath}: no such operation in the spec`];
    const where = `${String(method).toUpperCase()} ${found.pathTemplate} (${found.operationId}) -> ${status}`;
    let info;
    try { info = operationInfo(found); } catch (e) { return [`${where}: cannot read operation from spec: ${e.message}`]; }
    const responses = info.op.responses || {};
    const code = String(status);
    const key = [code, `${code[0]}XX`, `${code[0]}xx`, 'default'].find((k) => responses[k] !== undefined);
    if (!key) return [`${where}: status ${code} is not documented (documented: ${Object.keys(responses).join(', ')})`];
    let resp;
    try { resp = resolveRef(responses[key]); } catch (e) { return [`${where}: ${e.message}`]; }
    const hasBody = body !== undefined && body !== null && body !== '';
    const content = resp.content || {};
    const mediaKeys = Object.keys(content);
    if (mediaKeys.length === 0) {
      return hasBody ? [`${where}: the spec documents no response body for ${key}, but one was sent`] : [];
    }
    const hdrs = {};
    for (const [k, v] of Object.entries(headers || {})) hdrs[k.toLowerCase()] = v;
    const contentType = String(hdrs['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
    let mediaKey = mediaKeys.find((k) => k.toLowerCase() === contentType) || (isJsonMedia(contentType) ? mediaKeys.find((k) => isJsonMedia(k)) : undefined);
    if (!mediaKey) return [`${where}: response content-type ${contentType} not documented (spec: ${mediaKeys.join(', ')})`];
    if (!isJsonMedia(mediaKey) || !content[mediaKey].schema) return [];
    if (!hasBody) return [`${where}: the spec documents a ${mediaKey} body, but none was sent`];
    const cacheKey = `${key} ${mediaKey}`;
    let validate = info.responseValidators.get(cacheKey);
    if (!validate) {
      try { validate = compile(content[mediaKey].schema, 'response'); } catch (e) { return [`${where}: cannot compile response schema: ${e.message}`]; }
      info.responseValidators.set(cacheKey, validate);
    }
    let value = body;
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      try { value = JSON.parse(String(value)); } catch { return [`${where}: response body is not valid JSON`]; }
    }
    return validate(value) ? [] : formatErrors(`${where}: response body`, validate.errors);
  }

  return { spec, basePath, findOperation, validateRequest, validateResponse };
}

// ---- spec loaders (parsed once per process; validators never mutate them)
let neonSpec = null;
function loadNeonSpec() {
  if (!neonSpec) {
    const YAML = require('yaml');
    const file = require.resolve('@neondatabase/api-client/public-v2-for-users.gen.yaml', { paths: [path.join(__dirname, '..', '..')] });
    neonSpec = YAML.parse(fs.readFileSync(file, 'utf8'));
  }
  return neonSpec;
}

let githubSpec = null;
function loadGitHubSpec() {
  if (!githubSpec) {
    const file = path.join(path.dirname(require.resolve('@octokit/openapi/package.json', { paths: [path.join(__dirname, '..', '..')] })), 'generated', 'api.github.com.deref.json');
    githubSpec = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  return githubSpec;
}

module.exports = { createValidator, loadNeonSpec, loadGitHubSpec };
