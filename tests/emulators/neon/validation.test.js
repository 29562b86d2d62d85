'use strict';
// The emulator checks every exchange against Neon's OpenAPI spec: a malformed
// response or request must be caught, recorded, and surface as a 500.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startEnv } = require('./helpers');
const { handlers } = require('./routes');

describe('neon emulator: spec validation', () => {
  let env;

  before(async () => {
    env = await startEnv({ operationMs: 100, computeStartMs: 100 });
  });

  after(async () => {
    if (env) await env.stop();
  });

  test('a deliberately malformed response is caught and turned into a 500', async () => {
    const { api, project, neon } = env;
    neon.debug.corruptNextResponse = true; // drops the first property: `project`
    const r = await api('GET', project(''));
    assert.equal(r.status, 500);
    assert.equal(r.body.code, 'EMULATOR_SPEC_VIOLATION');
    assert.match(r.body.message, /does not match Neon's OpenAPI spec/);
    assert.match(r.body.message, /must have required property 'project'/);
    assert.equal(neon.validationErrors.length, 1);
    assert.equal(neon.validationErrors[0].kind, 'response');
    assert.equal(neon.requests[neon.requests.length - 1].status, 500);
    // The hook fires once; the next answer is valid again.
    assert.equal((await api('GET', project(''))).status, 200);
    assert.equal(neon.validationErrors.length, 1);

    // A custom corruption: a wrong type deep inside the branch list.
    neon.debug.corruptNextResponse = (body) => ({ ...body, branches: body.branches.map((b) => ({ ...b, default: 'yes' })) });
    const list = await api('GET', project('/branches'));
    assert.equal(list.status, 500);
    assert.match(list.body.message, /branches\/0\/default must be boolean/);
    neon.validationErrors.length = 0;
  });

  test('a request whose body breaks the spec is flagged and not executed', async () => {
    const { api, project, neon } = env;
    const r = await api('POST', project('/branches'), { branch: { name: 42, parent_id: 'Not An Id' }, endpoints: [{ type: 'read_write_fast' }] });
    assert.equal(r.status, 500);
    assert.match(r.body.message, /request .* does not match Neon's OpenAPI spec/);
    const problems = neon.validationErrors.map((e) => e.problem).join('\n');
    assert.match(problems, /request body\/branch\/name must be string/);
    assert.match(problems, /request body\/branch\/parent_id must match pattern/);
    assert.match(problems, /request body\/endpoints\/0\/type must be equal to one of the allowed values/);
    assert.ok(neon.validationErrors.every((e) => e.kind === 'request'));
    // Nothing was created.
    assert.equal(neon.branches().length, 1);
    neon.validationErrors.length = 0;

    const missing = await api('PATCH', project(`/branches/${neon.defaultBranchId}`));
    assert.equal(missing.status, 500);
    assert.match(neon.validationErrors[0].problem, /request body is required/);
    neon.validationErrors.length = 0;

    const badQuery = await api('GET', project('/branches?limit=0'));
    assert.equal(badQuery.status, 500);
    assert.match(neon.validationErrors[0].problem, /query parameter "limit"=.*must be >= 1/);
    neon.validationErrors.length = 0;
  });

  test('every emulated operation answers within the spec', async () => {
    const { api, project, neon } = env;
    neon.validationErrors.length = 0;
    const main = neon.defaultBranchId;
    const created = await api('POST', project('/branches'), { branch: { name: 'tour' }, endpoints: [{ type: 'read_write' }, { type: 'read_only' }], annotation_value: { pr: '12' } });
    assert.equal(created.status, 201);
    const id = created.body.branch.id;
    const ep = created.body.endpoints[0].id;
    const op = created.body.operations[0].id;
    const calls = [
      ['GET', '/projects'],
      ['GET', project('')],
      ['GET', project('/branches?limit=1&sort_by=created_at&sort_order=asc')],
      ['GET', project('/branches/count')],
      ['GET', project(`/branches/${id}`)],
      ['GET', project(`/branches/${id}/endpoints`)],
      ['GET', project('/endpoints')],
      ['GET', project(`/endpoints/${ep}`)],
      ['GET', project(`/branches/${id}/databases`)],
      ['GET', project(`/branches/${id}/databases/neondb`)],
      ['GET', project(`/branches/${id}/roles`)],
      ['GET', project(`/branches/${id}/roles/neondb_owner`)],
      ['GET', project(`/branches/${id}/roles/neondb_owner/reveal_password`)],
      ['GET', project(`/connection_uri?branch_id=${id}&endpoint_id=${ep}&database_name=neondb&role_name=neondb_owner`)],
      ['GET', project('/operations?limit=2')],
      ['GET', project(`/operations/${op}`)],
      ['GET', project(`/branches/${id}/schema?db_name=neondb`)],
      ['GET', project(`/branches/${id}/compare_schema?db_name=neondb&base_branch_id=${main}`)],
      ['GET', project(`/branches/${id}/roles/nobody/reveal_password`)],
      ['GET', project(`/endpoints/ep-none-none-00000000`)],
    ];
    for (const [method, p] of calls) {
      const r = await api(method, p);
      assert.ok(r.status === 200 || r.status === 404, `${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    for (const [method, p, body, want] of [
      ['GET', `/branches/${id}/auth`, undefined, 404],
      ['POST', `/branches/${id}/auth`, { auth_provider: 'better_auth' }, 201],
      ['GET', `/branches/${id}/auth`, undefined, 200],
      ['GET', `/branches/${id}/data-api/neondb`, undefined, 404],
      ['POST', `/branches/${id}/data-api/neondb`, {}, 201],
      ['GET', `/branches/${id}/data-api/neondb`, undefined, 200],
    ]) {
      const r = await api(method, project(p), body);
      assert.equal(r.status, want, `${method} ${p}: ${JSON.stringify(r.body)}`);
    }
    const got = await api('GET', project(`/branches/${id}`));
    assert.deepEqual(got.body.annotation.value, { pr: '12' });
    const ops = await api('GET', project('/operations?limit=2'));
    assert.equal(ops.body.operations.length, 2);
    const more = await api('GET', project(`/operations?limit=50&cursor=${ops.body.pagination.cursor}`));
    assert.ok(more.body.operations.every((o) => !ops.body.operations.some((x) => x.id === o.id)));
    await env.waitForOperations(created.body.operations);
    const inAWeek = new Date(Date.now() + 7 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
    const patched = await api('PATCH', project(`/branches/${id}`), { branch: { name: 'tour-renamed', expires_at: inAWeek } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.branch.expires_at, inAWeek);
    const cleared = await api('PATCH', project(`/branches/${id}`), { branch: { expires_at: null } });
    assert.equal(cleared.body.branch.expires_at, undefined);
    const restore = await api('POST', project(`/branches/${id}/restore`), { source_branch_id: main });
    assert.equal(restore.status, 200);
    await env.waitForOperations(restore.body.operations);
    const reset = await api('POST', project(`/branches/${id}/roles/neondb_owner/reset_password`));
    assert.equal(reset.status, 200);
    await env.waitForOperations(reset.body.operations);
    assert.equal((await api('DELETE', project(`/branches/${id}`))).status, 200);

    const used = new Set(neon.requests.map((r) => r.operationId));
    assert.deepEqual(Object.keys(handlers).filter((h) => !used.has(h)), [], 'every handler was exercised');
    assert.deepEqual(neon.validationErrors, []);
  });

  test('routes outside the spec get 404 and a note; the API key is enforced with a spec-shaped 401', async () => {
    const { api, project, neon } = env;
    const r = await api('GET', '/projects/x/not-a-route');
    assert.equal(r.status, 404);
    assert.match(neon.validationErrors[0].problem, /no such route/);
    const notEmulated = await api('POST', project(`/branches/${neon.defaultBranchId}/set_as_default`));
    assert.equal(notEmulated.status, 404);
    assert.match(neon.validationErrors[1].problem, /setDefaultProjectBranch is not implemented/);
    neon.validationErrors.length = 0;

    const anon = await api('GET', project('/branches'), undefined, { key: '' });
    assert.equal(anon.status, 401);
    assert.deepEqual(Object.keys(anon.body).sort(), ['code', 'message']);
    const wrong = await api('GET', project('/branches'), undefined, { key: 'wrong-key' });
    assert.equal(wrong.status, 401);
    const otherProject = await api('GET', '/projects/some-other-project');
    assert.equal(otherProject.status, 404);
    // DELETE of a missing branch: 404 like Neon, or the spec's documented 204 on request.
    assert.equal((await api('DELETE', project('/branches/br-gone-gone-00000000'))).status, 404);
    neon.options.deleteMissingStatus = 204;
    const gone = await api('DELETE', project('/branches/br-gone-gone-00000000'));
    assert.equal(gone.status, 204);
    assert.equal(gone.body, undefined);
    neon.options.deleteMissingStatus = 404;
    assert.deepEqual(neon.validationErrors, []);
  });
});
