'use strict';
// Unit checks of the pieces the emulators stand on: the OpenAPI validator (on a
// small hand-written spec, on Neon's and on GitHub's), and the schema diff.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { createValidator, loadNeonSpec, loadGitHubSpec } = require('../../support/openapi');
const { unifiedDiff } = require('./schema-diff');

const tinySpec = {
  openapi: '3.0.3',
  servers: [{ url: 'https://example.test/api/v1' }],
  paths: {
    '/things/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
      get: {
        operationId: 'getThing',
        parameters: [{ name: 'mode', in: 'query', schema: { type: 'string', enum: ['a', 'b'] } }],
        responses: {
          200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          404: { description: 'missing' },
        },
      },
      put: {
        operationId: 'putThing',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
        responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
      },
    },
    '/things/special': { get: { operationId: 'getSpecial', responses: { default: { description: 'any' } } } },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'name', 'secret'],
        properties: {
          id: { type: 'integer', readOnly: true },
          name: { type: 'string', nullable: true },
          secret: { type: 'string', writeOnly: true },
          size: { type: 'number', minimum: 0, exclusiveMinimum: true },
          parent: { allOf: [{ $ref: '#/components/schemas/Ref' }], nullable: true },
        },
      },
      Ref: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
    },
  },
};

describe('tests/support/openapi.js', () => {
  const v = createValidator(tinySpec);

  test('routing strips the server base path and prefers literal segments', () => {
    assert.deepEqual(v.findOperation('GET', '/api/v1/things/special'), { operationId: 'getSpecial', pathTemplate: '/things/special', pathParams: {}, method: 'get' });
    assert.equal(v.findOperation('GET', '/api/v1/things/7?mode=a').operationId, 'getThing');
    assert.deepEqual(v.findOperation('get', '/things/7').pathParams, { id: '7' });
    assert.equal(v.findOperation('DELETE', '/api/v1/things/7'), null);
    assert.match(v.validateRequest({ method: 'GET', path: '/api/v1/nothing' })[0], /no such operation/);
  });

  test('parameters are coerced and checked', () => {
    assert.deepEqual(v.validateRequest({ method: 'GET', path: '/api/v1/things/7', query: { mode: 'a' } }), []);
    const bad = v.validateRequest({ method: 'GET', path: '/api/v1/things/x', query: { mode: 'c', extra: '1' } });
    assert.equal(bad.length, 3);
    assert.match(bad.join('\n'), /path parameter "id"="x" must be integer/);
    assert.match(bad.join('\n'), /query parameter "mode"="c" must be equal to one of the allowed values \(allowed: "a", "b"\)/);
    assert.match(bad.join('\n'), /query parameter "extra" is not defined/);
  });

  test('readOnly is not required in requests, writeOnly not in responses; nullable and 3.0 exclusiveMinimum work', () => {
    assert.deepEqual(v.validateRequest({ method: 'PUT', path: '/api/v1/things/1', body: { name: null, secret: 's', parent: null } }), []);
    assert.match(v.validateRequest({ method: 'PUT', path: '/api/v1/things/1', body: { name: 'n' } }).join(), /required property 'secret'/);
    assert.match(v.validateRequest({ method: 'PUT', path: '/api/v1/things/1' }).join(), /request body is required/);
    assert.match(v.validateRequest({ method: 'PUT', path: '/api/v1/things/1', body: { name: 'n', secret: 's', size: 0 } }).join(), /size must be > 0/);
    assert.deepEqual(v.validateResponse({ method: 'GET', path: '/api/v1/things/1', status: 200, body: { id: 1, name: 'n', parent: { id: 2 } } }), []);
    assert.match(v.validateResponse({ method: 'GET', path: '/api/v1/things/1', status: 200, body: { name: 'n' } }).join(), /required property 'id'/);
    assert.match(v.validateResponse({ method: 'GET', path: '/api/v1/things/1', status: 200, body: { id: 1, name: 'n', parent: {} } }).join(), /parent must have required property 'id'/);
  });

  test('undocumented statuses and bodies are problems; `default` covers any status', () => {
    assert.match(v.validateResponse({ method: 'GET', path: '/things/1', status: 500, body: {} })[0], /status 500 is not documented/);
    assert.deepEqual(v.validateResponse({ method: 'GET', path: '/things/1', status: 404 }), []);
    assert.match(v.validateResponse({ method: 'GET', path: '/things/1', status: 404, body: { x: 1 } })[0], /documents no response body/);
    assert.deepEqual(v.validateResponse({ method: 'GET', path: '/things/special', status: 418 }), []);
    assert.match(v.validateResponse({ method: 'GET', path: '/things/1', status: 200 })[0], /none was sent/);
  });

  test('Neon spec: fast to build, catches shape errors', () => {
    const t0 = Date.now();
    const neon = createValidator(loadNeonSpec());
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(neon.findOperation('GET', '/api/v2/projects/p/branches/count').operationId, 'countProjectBranches');
    assert.equal(neon.findOperation('GET', '/api/v2/projects/p/branches/br-a-b-c').operationId, 'getProjectBranch');
    const t1 = Date.now();
    for (let i = 0; i < 200; i++) neon.validateResponse({ method: 'GET', path: '/api/v2/projects/p/branches/br-a', status: 200, body: { branch: {} } });
    assert.ok(Date.now() - t1 < 1000, 'per-call validation takes milliseconds');
    assert.deepEqual(neon.validateRequest({ method: 'PATCH', path: '/api/v2/projects/p/branches/b', body: { branch: { expires_at: null } } }), []);
  });

  test('GitHub spec: loads once, compiles only what is used', () => {
    const gh = createValidator(loadGitHubSpec());
    assert.equal(loadGitHubSpec(), loadGitHubSpec());
    assert.deepEqual(gh.validateRequest({ method: 'POST', path: '/repos/o/r/issues/3/comments', body: { body: 'hi' } }), []);
    assert.match(gh.validateRequest({ method: 'POST', path: '/repos/o/r/issues/3/comments', body: {} }).join(), /required property 'body'/);
  });
});

describe('tests/emulators/neon/schema-diff.js', () => {
  test('unified diff with context and correct hunk headers', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const b = 'a\nb\nC\nd\ne\nf\ng\nh\ni\n';
    assert.equal(unifiedDiff(a, b, { oldName: 'old', newName: 'new' }), [
      '--- old', '+++ new',
      '@@ -1,8 +1,9 @@', ' a', ' b', '-c', '+C', ' d', ' e', ' f', ' g', ' h', '+i', '',
    ].join('\n'));
    assert.equal(unifiedDiff(a, a), '');
    const far = unifiedDiff('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n', '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n');
    assert.equal(far.split('\n').filter((l) => l.startsWith('@@')).length, 2);
  });
});
