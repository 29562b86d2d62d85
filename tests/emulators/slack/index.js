'use strict';
const guard = require('../../support/guard');
const KIND = 'slack';
// Slack incoming-webhook emulator.
//
//   const slack = await startSlackEmulator();
//   runAction({ inputs: { 'slack-webhook-url': slack.url } });  ...  slack.messages
//
// Answers like hooks.slack.com: 200 with the plain-text body `ok`, or a 4xx with a
// plain-text error code (invalid_payload, no_text, invalid_blocks, no_service).
// Only JSON bodies are accepted here (Slack also takes form-encoded `payload=`, which
// the action has no reason to use). The webhook URL embeds a random secret path part,
// like a real one, so secret-leak checks can include it.

const http = require('node:http');
const crypto = require('node:crypto');

const { FaultSchedule, applyFaults } = require('../../support/faults');

const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Why Slack would reject these blocks, or null. Covers the limits messages hit in practice. */
function blocksProblem(blocks) {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > MAX_BLOCKS) return `no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`;
  for (const [i, b] of blocks.entries()) {
    if (!b || typeof b !== 'object' || typeof b.type !== 'string') return `missing required field: type [json-pointer:/blocks/${i}]`;
    const text = b.text && typeof b.text === 'object' ? b.text.text : undefined;
    if (b.type === 'section' && typeof text === 'string' && text.length > MAX_SECTION_TEXT) {
      return `must be less than ${MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/${i}/text/text]`;
    }
    if (b.type === 'header' && (!b.text || b.text.type !== 'plain_text' || String(text || '').length > MAX_HEADER_TEXT)) {
      return `header text must be plain_text of at most ${MAX_HEADER_TEXT} characters [json-pointer:/blocks/${i}/text]`;
    }
    if (b.type === 'section' && b.text === undefined && !Array.isArray(b.fields)) {
      return `must provide either text or fields [json-pointer:/blocks/${i}]`;
    }
  }
  return null;
}

async function startSlackEmulator({ team = 'T000', bot = 'B000', secret = crypto.randomBytes(12).toString('hex') } = {}) {
  const hookPath = `/services/${team}/${bot}/${secret}`;
  const messages = [];
  const requests = [];
  const faults = new FaultSchedule({ errorBody: () => ({ ok: false, error: 'service_unavailable' }) });

  function answer(res, entry, status, text) {
    entry.status = status;
    entry.response = text;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function handle(req, res, entry, raw) {
    if (req.method !== 'POST') return answer(res, entry, 405, 'invalid_method');
    if (entry.path !== hookPath) return answer(res, entry, 404, 'no_service');
    const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return answer(res, entry, 400, 'invalid_payload');
    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return answer(res, entry, 400, 'invalid_payload');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return answer(res, entry, 400, 'invalid_payload');
    const hasText = typeof body.text === 'string' && body.text.trim() !== '';
    if (!hasText && body.blocks === undefined && body.attachments === undefined) return answer(res, entry, 400, 'no_text');
    if (body.blocks !== undefined) {
      const problem = blocksProblem(body.blocks);
      if (problem) {
        entry.problem = problem;
        return answer(res, entry, 400, 'invalid_blocks');
      }
    }
    messages.push(body);
    return answer(res, entry, 200, 'ok');
  }

  const server = http.createServer(async (req, res) => {
    let raw;
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    const entry = { at: Date.now(), method: req.method, path: req.url.split('?')[0], body: raw.toString('utf8'), status: null, response: null, fault: null };
    requests.push(entry);
    req.path = entry.path;
    entry.fault = await applyFaults(faults, req, res, async () => handle(req, res, entry, raw), (f) => { entry.fault = f; });
    if (entry.fault && entry.fault.kind === 'status') entry.status = entry.fault.status;
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const emulator = {
    url: base + hookPath,
    baseUrl: base,
    messages,
    requests,
    faults,
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  guard.registerSurface(KIND, emulator);
  const stopServer = emulator.stop;
  emulator.stop = () => { guard.unregisterSurface(KIND, emulator); return stopServer(); };
  return emulator;
}

module.exports = { startSlackEmulator, blocksProblem };

// Node >= 22's test runner does not expand a directory argument: given
// `node --test tests/emulators/<name>/` it runs this directory as a module, i.e. this
// file. When run as the main module, load the emulator's own test files instead.
if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) require(path.join(__dirname, f));
}
