'use strict';
// Runner simulation: runs an action's JavaScript entry point the way the GitHub
// Actions runner (actions/runner) does for `runs: using: node24`, and reads back
// everything the runner would read: workflow commands on stdout/stderr, the file
// commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH), the step summary
// and the exit status.
//
// Fidelity notes (what the real runner does, and how it is modelled here):
//  * Inputs reach the action as env vars `INPUT_<NAME>`: spaces become `_`, the name is
//    upper-cased and hyphens are KEPT (`neon-api-key` -> `INPUT_NEON-API-KEY`). Inputs
//    the workflow omits get action.yml's `default`, evaluated like the runner does for
//    the few `${{ }}` contexts a default can use. Inputs action.yml does not declare
//    produce the runner's "Unexpected input(s)" warning.
//  * The child gets a minimal environment (PATH, a temp HOME, the GitHub/runner vars and
//    the test's `env`), never the test process's own environment, so a test cannot pass
//    because of something set on the developer's machine.
//  * Workflow commands are parsed from BOTH stdout and stderr (the runner feeds both
//    through its command manager), with the runner's exact unescaping rules, the v1
//    `##[cmd]` form and `::stop-commands::`.
//  * Masking: the runner masks a value only from the moment its `::add-mask::` line is
//    processed; earlier lines are already in the log. To know what came before what,
//    the child's stdout/stderr go to plain files (Node writes to files synchronously, as
//    it does to pipes on Linux, so the child's own order is preserved) and the parent
//    samples the sizes of all files every few ms, always reading stdout's size LAST.
//    Anything another file received before a given sample was therefore preceded by
//    at most the stdout bytes of that sample. Ordering derived that way never makes a
//    correctly masked value look leaked; it can only miss a leak whose unmasked write
//    and late add-mask fall within one sampling interval (POLL_MS).
//  * File commands are parsed at the end of the step, with the runner's parser
//    (name=value and name<<DELIM heredocs, LF line ends); a malformed file fails the
//    step like the runner's "Unable to process file command" error.
//  * The step summary is masked with every mask at the end (the runner scrubs it when
//    uploading) and is refused above 1 MiB.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const NODE24 = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');
const POLL_MS = 5;
const SUMMARY_LIMIT = 1024 * 1024;
const DEFAULT_API_URL = 'http://127.0.0.1:1'; // refused at once: no accidental network use

// ---------------------------------------------------------------------------
// Workflow commands (actions/runner src/Runner.Common/ActionCommand.cs)

const REGISTERED_COMMANDS = [
  'add-mask', 'add-matcher', 'remove-matcher', 'add-path', 'set-env', 'set-output',
  'save-state', 'debug', 'notice', 'warning', 'error', 'group', 'endgroup', 'echo',
  'stop-commands',
];

// Order matters: `%25` must be decoded last, exactly like the runner, so that an
// escaped `%250A` stays the literal text `%0A`.
function unescapeData(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':')
    .replace(/%2C/g, ',').replace(/%25/g, '%');
}
function unescapeV1(s) {
  return s.replace(/%3B/g, ';').replace(/%0D/g, '\r').replace(/%0A/g, '\n')
    .replace(/%5D/g, ']').replace(/%25/g, '%');
}

/** `::name k=v,k=v::data` (leading whitespace allowed, like the runner). */
function parseCommandV2(line, registered) {
  const msg = line.trimStart();
  if (!msg.startsWith('::')) return null;
  const end = msg.indexOf('::', 2);
  if (end < 0) return null;
  const info = msg.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!registered.has(command)) return null;
  const properties = {};
  if (space > 0) {
    for (const pair of info.slice(space + 1).trim().split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command, properties, message: unescapeData(msg.slice(end + 2)) };
}

/** Legacy `##[name k=v;k=v]data`, still honoured by the runner anywhere in a line. */
function parseCommandV1(line, registered) {
  const start = line.indexOf('##[');
  if (start < 0) return null;
  const rb = line.indexOf(']', start);
  if (rb < 0) return null;
  const info = line.slice(start + 3, rb);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!registered.has(command)) return null;
  const properties = {};
  if (space > 0) {
    for (const pair of info.slice(space + 1).split(';').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescapeV1(pair.slice(eq + 1));
    }
  }
  return { command, properties, message: unescapeV1(line.slice(rb + 1)) };
}

function parseCommand(line, registered = new Set(REGISTERED_COMMANDS)) {
  return parseCommandV2(line, registered) || parseCommandV1(line, registered);
}

// ---------------------------------------------------------------------------
// Secret masking (actions/runner SecretMasker + the value encoders it registers)

function uriDataEscape(v) {
  // .NET Uri.EscapeDataString keeps only RFC 3986 unreserved characters.
  return encodeURIComponent(v).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function maskVariants(value) {
  const bytes = Buffer.from(value, 'utf8');
  const variants = new Set([
    value,
    bytes.toString('base64'),
    bytes.length > 1 ? bytes.subarray(1).toString('base64') : '',
    bytes.length > 2 ? bytes.subarray(2).toString('base64') : '',
    value.replace(/'/g, "''"), // expression string escape
    JSON.stringify(value).slice(1, -1),
    uriDataEscape(value),
    value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'),
    value.length > 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value,
  ]);
  variants.delete('');
  return [...variants];
}

/** Replaces every occurrence of any value (or a runner-encoded form of it) with `***`. */
function maskSecrets(text, values) {
  if (!text || !values || values.length === 0) return text;
  const ranges = [];
  for (const value of values) {
    for (const variant of maskVariants(value)) {
      for (let i = text.indexOf(variant); i >= 0; i = text.indexOf(variant, i + 1)) ranges.push([i, i + variant.length]);
    }
  }
  if (ranges.length === 0) return text;
  // Overlapping matches collapse into one `***`, as the runner's masker does.
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let pos = 0;
  let cur = null;
  for (const r of ranges) {
    if (cur && r[0] <= cur[1]) { cur[1] = Math.max(cur[1], r[1]); continue; }
    if (cur) { out += text.slice(pos, cur[0]) + '***'; pos = cur[1]; }
    cur = [r[0], r[1]];
  }
  out += text.slice(pos, cur[0]) + '***' + text.slice(cur[1]);
  return out;
}

/** What one add-mask registers: the value, plus each trimmed line of a multi-line value. */
function expandMask(value) {
  const out = [value];
  for (const line of value.split(/[\r\n]/)) {
    const t = line.trim();
    if (t && t !== value && !out.includes(t)) out.push(t);
  }
  return out;
}

// ---------------------------------------------------------------------------
// File commands (actions/runner src/Runner.Worker/FileCommandManager.cs)

/**
 * Parses an env/output/state file. Returns entries with the byte offset at which each
 * entry is complete (used to date it against the stdout samples).
 */
function parseKeyValueFile(text) {
  const entries = [];
  let index = 0;
  const readLine = () => {
    if (index >= text.length) return null;
    const lf = text.indexOf('\n', index);
    const start = index;
    if (lf < 0) { index = text.length; return text.slice(start); }
    index = lf + 1;
    return text.slice(start, lf);
  };
  for (let line = readLine(); line !== null; line = readLine()) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    const here = line.indexOf('<<');
    if (eq >= 0 && (here < 0 || eq < here)) {
      const name = line.slice(0, eq);
      if (!name) throw new Error(`Invalid format '${line}'. Name must not be empty`);
      entries.push({ name, value: line.slice(eq + 1), endChar: index });
    } else if (here >= 0) {
      const name = line.slice(0, here);
      const delimiter = line.slice(here + 2);
      if (!name || !delimiter) throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      const valueStart = index;
      let valueEnd = index;
      for (let l = readLine(); l !== delimiter; l = readLine()) {
        if (l === null) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
        valueEnd = text[index - 1] === '\n' ? index - 1 : index;
      }
      entries.push({ name, value: valueEnd > valueStart ? text.slice(valueStart, valueEnd) : '', endChar: index });
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  for (const e of entries) e.endByte = Buffer.byteLength(text.slice(0, e.endChar), 'utf8');
  return entries;
}

// ---------------------------------------------------------------------------
// Interpreting a finished step

/** Splits a stream into lines, keeping the byte offset where each line ends. */
function splitLines(buf) {
  const lines = [];
  let start = 0;
  while (start < buf.length) {
    const lf = buf.indexOf(0x0a, start);
    const stop = lf < 0 ? buf.length : lf;
    const end = lf < 0 ? buf.length : lf + 1;
    let text = buf.subarray(start, stop).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    lines.push({ text, endByte: end });
    start = end;
  }
  return lines;
}

/** stdout size at the first sample where `file` had reached `byte`. */
function stdoutMarkFor(samples, file, byte) {
  for (const s of samples) if (s[file] >= byte) return s.stdout;
  return samples.length ? samples[samples.length - 1].stdout : 0;
}

/**
 * Turns the raw artefacts of a step into the result object. Pure, so it can be unit
 * tested without running anything.
 */
function interpret({ stdout, stderr, samples, files, preMasked = [], debug = false }) {
  const runnerMessages = [];
  const timeline = [];
  splitLines(stdout).forEach((l, i) => timeline.push({ kind: 'stdout', index: i, text: l.text, key: l.endByte, rank: 0 }));
  splitLines(stderr).forEach((l, i) => timeline.push({ kind: 'stderr', index: i, text: l.text, key: stdoutMarkFor(samples, 'stderr', l.endByte), rank: 1 }));

  const parsedFiles = {};
  for (const kind of ['output', 'state', 'env']) {
    const text = files[kind] || '';
    try {
      parsedFiles[kind] = parseKeyValueFile(text);
    } catch (e) {
      parsedFiles[kind] = [];
      runnerMessages.push({ level: 'error', message: `Unable to process file command '${kind}' successfully.` });
      runnerMessages.push({ level: 'error', message: e.message });
    }
    parsedFiles[kind].forEach((e, i) => timeline.push({ kind, index: i, name: e.name, text: e.value, key: stdoutMarkFor(samples, kind, e.endByte), rank: 2 }));
  }
  timeline.sort((a, b) => a.key - b.key || a.rank - b.rank || a.index - b.index);

  // Replay the timeline through the runner's command manager.
  const commands = [];
  const masks = [];
  const maskValues = [...preMasked];
  const lines = [];
  const outputs = {};
  const state = {};
  const envVars = {};
  const outputEntries = [];
  let stopToken = null;
  timeline.forEach((item, order) => {
    item.order = order;
    item.maskCount = maskValues.length; // masks in force when this item reached the runner
    if (item.kind === 'output' || item.kind === 'state' || item.kind === 'env') {
      ({ output: outputs, state, env: envVars })[item.kind][item.name] = item.text;
      if (item.kind === 'output') outputEntries.push({ name: item.name, value: item.text, order });
      return;
    }
    const cmd = stopToken ? parseCommand(item.text, new Set([stopToken])) : parseCommand(item.text);
    if (stopToken) {
      if (cmd) { stopToken = null; item.command = { command: cmd.command, properties: {}, message: '', resume: true }; }
      else if (item.kind === 'stdout') lines.push(item.text);
      return;
    }
    if (!cmd) {
      if (item.kind === 'stdout') lines.push(item.text);
      return;
    }
    item.command = { ...cmd, stream: item.kind, line: item.index };
    commands.push(item.command);
    switch (cmd.command) {
      case 'add-mask':
        if (!cmd.message.trim()) {
          runnerMessages.push({ level: 'warning', message: "Can't add secret mask for empty string in ##[add-mask] command." });
        } else {
          masks.push({ value: cmd.message, line: item.index, stream: item.kind, order });
          for (const v of expandMask(cmd.message)) if (!maskValues.includes(v)) maskValues.push(v);
        }
        break;
      case 'stop-commands':
        if (cmd.message) stopToken = cmd.message;
        break;
      case 'set-output':
        outputs[cmd.properties.name] = cmd.message;
        outputEntries.push({ name: cmd.properties.name, value: cmd.message, order, viaCommand: true });
        runnerMessages.push({ level: 'warning', message: 'The `set-output` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.' });
        break;
      case 'save-state':
        state[cmd.properties.name] = cmd.message;
        runnerMessages.push({ level: 'warning', message: 'The `save-state` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.' });
        break;
      case 'set-env':
      case 'add-path':
        runnerMessages.push({ level: 'error', message: `Unable to process command '${item.text}' successfully.` });
        runnerMessages.push({ level: 'error', message: `The \`${cmd.command}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`.` });
        break;
      default:
        break;
    }
  });

  const annotations = commands.filter((c) => c.command === 'error' || c.command === 'warning' || c.command === 'notice');
  const summaryBytes = Buffer.byteLength(files.summary || '', 'utf8');
  if (summaryBytes > SUMMARY_LIMIT) {
    runnerMessages.push({ level: 'error', message: `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${SUMMARY_LIMIT / 1024}k, got ${Math.ceil(summaryBytes / 1024)}k. For more information see: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-markdown-summary` });
  }
  const pathEntries = (files.path || '').split('\n').filter((l) => l !== '');

  return {
    commands,
    masks,
    maskValues,
    annotations,
    errors: annotations.filter((c) => c.command === 'error').map((c) => c.message),
    outputs,
    outputEntries,
    state,
    env: envVars,
    path: pathEntries,
    summary: files.summary || '',
    summaryBytes,
    lines,
    timeline,
    runnerMessages,
    debug,
  };
}

/** One line of the log as the web UI renders it (before masking), or null if hidden. */
function renderLogLine(item, { debug }) {
  const c = item.command;
  if (!c) return item.text;
  switch (c.command) {
    case 'error': return `Error: ${c.properties.title ? c.properties.title + ': ' : ''}${c.message}`;
    case 'warning': return `Warning: ${c.properties.title ? c.properties.title + ': ' : ''}${c.message}`;
    case 'notice': return `Notice: ${c.properties.title ? c.properties.title + ': ' : ''}${c.message}`;
    case 'debug': return debug ? `##[debug]${c.message}` : null;
    case 'group': return `▶ ${c.message}`;
    default: return null; // add-mask, endgroup, set-output, ... are not echoed
  }
}

/**
 * The log as a user would see it in the Actions UI: commands rendered, each line
 * masked with the masks registered before it, runner messages at the end.
 */
function logText(r, { debug = r.debug } = {}) {
  const out = [];
  for (const item of r.timeline) {
    if (item.kind !== 'stdout' && item.kind !== 'stderr') continue;
    const rendered = renderLogLine(item, { debug });
    if (rendered === null) continue;
    out.push(maskSecrets(rendered, r.maskValues.slice(0, item.maskCount)));
  }
  for (const m of r.runnerMessages) out.push(maskSecrets(`${m.level === 'error' ? 'Error' : 'Warning'}: ${m.message}`, r.maskValues));
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// action.yml: inputs and their defaults

function loadActionYml(actionDir) {
  for (const name of ['action.yml', 'action.yaml']) {
    const file = path.join(actionDir, name);
    if (fs.existsSync(file)) return require('yaml').parse(fs.readFileSync(file, 'utf8')) || {};
  }
  return null;
}

/** Evaluates the `${{ ... }}` forms an input default can use (context paths, literals). */
function evaluateDefault(template, contexts) {
  return String(template).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (whole, expr) => {
    if (/^'(?:[^']|'')*'$/.test(expr)) return expr.slice(1, -1).replace(/''/g, "'");
    if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(expr)) {
      throw new Error(`runner simulation: cannot evaluate ${whole} in an input default`);
    }
    const [ctx, ...rest] = expr.split('.');
    if (!(ctx in contexts)) throw new Error(`runner simulation: unknown context in ${whole}`);
    let v = contexts[ctx];
    for (const k of rest) v = v == null ? undefined : v[k];
    if (v == null) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function inputEnvName(name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

// ---------------------------------------------------------------------------
// The GitHub context of a run

function fakeSha(seed) {
  return crypto.createHash('sha1').update(String(seed)).digest('hex');
}

function gitHead(dir) {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** GITHUB_* variables as the runner derives them from the event. */
function githubVars({ eventName, event, workspace }) {
  const ev = event && typeof event === 'object' ? event : {};
  const repository = (ev.repository && ev.repository.full_name) || 'acme/shop';
  const defaultBranch = (ev.repository && ev.repository.default_branch) || 'main';
  let ref = `refs/heads/${defaultBranch}`;
  let sha = null;
  let headRef = '';
  let baseRef = '';
  if ((eventName === 'pull_request' || eventName === 'pull_request_target') && ev.pull_request) {
    const pr = ev.pull_request;
    headRef = (pr.head && pr.head.ref) || '';
    baseRef = (pr.base && pr.base.ref) || '';
    if (eventName === 'pull_request') {
      ref = `refs/pull/${pr.number}/merge`;
      sha = pr.merge_commit_sha || (pr.head && pr.head.sha);
    } else {
      ref = `refs/heads/${baseRef}`;
      sha = pr.base && pr.base.sha;
    }
  } else if (eventName === 'push' && ev.ref) {
    ref = ev.ref;
    sha = ev.after;
  } else if (ev.ref) {
    ref = ev.ref.startsWith('refs/') ? ev.ref : `refs/heads/${ev.ref}`;
  }
  if (!sha) sha = (workspace && gitHead(workspace)) || fakeSha(`${repository}@${ref}`);
  const refName = ref.replace(/^refs\/(heads|tags|pull)\//, '');
  return {
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0],
    GITHUB_REPOSITORY_ID: String((ev.repository && ev.repository.id) || 123456789),
    GITHUB_REPOSITORY_OWNER_ID: String((ev.repository && ev.repository.owner && ev.repository.owner.id) || 987654),
    GITHUB_REF: ref,
    GITHUB_REF_NAME: refName,
    GITHUB_REF_TYPE: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_SHA: sha,
    GITHUB_HEAD_REF: headRef,
    GITHUB_BASE_REF: baseRef,
    GITHUB_ACTOR: (ev.sender && ev.sender.login) || 'octocat',
    GITHUB_ACTOR_ID: String((ev.sender && ev.sender.id) || 583231),
    GITHUB_TRIGGERING_ACTOR: (ev.sender && ev.sender.login) || 'octocat',
  };
}

// ---------------------------------------------------------------------------
// Running

function makeTempRoot() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-runner-'));
}

/**
 * Runs one step (main, or post with `post: true`) of the action.
 *
 * Options:
 *   actionDir (repo root), entry (action.yml runs.main/runs.post, else dist/index.js or
 *   dist/post.js), inputs ({name: value}; omitted ones get action.yml defaults),
 *   eventName ('push'), event (object written to GITHUB_EVENT_PATH), eventRaw (string
 *   written as-is, for malformed payloads), noEventPath, workspace (GITHUB_WORKSPACE and
 *   cwd; default an empty temp dir), env (added last; a value of undefined removes a
 *   runner variable), githubApiUrl, githubToken (what `${{ github.token }}` gives; the
 *   runner masks it from the start), preMasked (values the runner already masks, e.g.
 *   secrets the workflow references), timeoutMs (SIGKILL after, `timedOut: true`),
 *   killAfterMs / killOn (string|RegExp seen on stdout) to cancel with killSignal
 *   (SIGTERM), post, state (the main step's `state`, handed over as STATE_*), keep
 *   (leave the temp dirs), nodePath (node 24 from node_modules by default).
 *
 * Result: { code, signal, timedOut, killed, failed, stdout, stderr, durationMs, peakRssKb
 *   (the node process's VmHWM, sampled while it runs; null where /proc has none), entry,
 *   commands, masks, maskValues, annotations, errors, outputs, outputEntries, state,
 *   env, path, summary, summaryBytes, lines, timeline, runnerMessages, githubToken,
 *   inputEnv, childEnv, tempDirs }. See interpret() for the parsed parts.
 */
async function runAction(opts = {}) {
  const {
    actionDir = REPO_ROOT,
    inputs = {},
    eventName = 'push',
    event,
    eventRaw,
    noEventPath = false,
    env = {},
    githubApiUrl = DEFAULT_API_URL,
    githubToken = 'ghs_' + crypto.randomBytes(18).toString('base64url'),
    preMasked = [],
    timeoutMs = 120000,
    killAfterMs,
    killOn,
    killSignal = 'SIGTERM',
    post = false,
    state: carriedState = {},
    keep = false,
    nodePath = fs.existsSync(NODE24) ? NODE24 : process.execPath,
  } = opts;

  const root = makeTempRoot();
  const dirs = {
    temp: path.join(root, '_temp'),
    home: path.join(root, 'home'),
    fileCommands: path.join(root, '_temp', '_runner_file_commands'),
    workflow: path.join(root, '_github_workflow'),
    logs: path.join(root, '_logs'),
    toolCache: path.join(root, '_tool'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const workspace = opts.workspace || path.join(root, 'work', 'repo');
  fs.mkdirSync(workspace, { recursive: true });

  try {
    const action = loadActionYml(actionDir);
    const runs = (action && action.runs) || {};
    const entry = opts.entry || (post ? runs.post || 'dist/post.js' : runs.main || 'dist/index.js');

    // Event payload file.
    const eventPath = path.join(dirs.workflow, 'event.json');
    if (eventRaw !== undefined) fs.writeFileSync(eventPath, eventRaw);
    else fs.writeFileSync(eventPath, JSON.stringify(event === undefined ? {} : event, null, 2));

    // Fresh, empty file-command files, named like the runner names them.
    const suffix = crypto.randomUUID();
    const files = {
      output: path.join(dirs.fileCommands, `set_output_${suffix}`),
      state: path.join(dirs.fileCommands, `save_state_${suffix}`),
      env: path.join(dirs.fileCommands, `set_env_${suffix}`),
      path: path.join(dirs.fileCommands, `add_path_${suffix}`),
      summary: path.join(dirs.fileCommands, `step_summary_${suffix}`),
      stdout: path.join(dirs.logs, 'stdout.log'),
      stderr: path.join(dirs.logs, 'stderr.log'),
    };
    for (const f of Object.values(files)) fs.writeFileSync(f, '');

    const gh = githubVars({ eventName, event: eventRaw === undefined ? event : null, workspace });
    const runnerVars = {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: eventName,
      ...(noEventPath ? {} : { GITHUB_EVENT_PATH: eventPath }),
      GITHUB_OUTPUT: files.output,
      GITHUB_STATE: files.state,
      GITHUB_ENV: files.env,
      GITHUB_PATH: files.path,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_API_URL: githubApiUrl,
      GITHUB_GRAPHQL_URL: `${githubApiUrl.replace(/\/+$/, '')}/graphql`,
      GITHUB_SERVER_URL: 'https://github.com',
      ...gh,
      GITHUB_RUN_ID: '9876543210',
      GITHUB_RUN_NUMBER: '42',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'neon',
      GITHUB_WORKFLOW: 'Neon',
      GITHUB_WORKFLOW_REF: `${gh.GITHUB_REPOSITORY}/.github/workflows/neon.yml@${gh.GITHUB_REF}`,
      GITHUB_WORKFLOW_SHA: gh.GITHUB_SHA,
      GITHUB_ACTION: '__neon-gitops',
      GITHUB_ACTION_REPOSITORY: 'neon-gitops/neon-gitops',
      GITHUB_ACTION_REF: 'v1',
      GITHUB_RETENTION_DAYS: '90',
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: dirs.temp,
      RUNNER_TOOL_CACHE: dirs.toolCache,
      RUNNER_WORKSPACE: path.dirname(workspace),
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: ({ x64: 'X64', arm64: 'ARM64', arm: 'ARM', ia32: 'X86' })[process.arch] || 'X64',
      RUNNER_NAME: 'GitHub Actions 1',
      RUNNER_ENVIRONMENT: 'github-hosted',
      ImageOS: 'ubuntu24',
      HOME: dirs.home,
      PATH: process.env.PATH || '/usr/bin:/bin',
    };

    // Inputs: what the test gave, then action.yml defaults for what it left out.
    const declared = (action && action.inputs) || {};
    const declaredByLower = new Map(Object.keys(declared).map((k) => [k.toLowerCase(), k]));
    const inputEnv = {};
    const given = new Set();
    const unexpected = [];
    for (const [name, value] of Object.entries(inputs)) {
      if (value === undefined) continue;
      given.add(name.toLowerCase());
      if (action && !declaredByLower.has(name.toLowerCase())) unexpected.push(name);
      inputEnv[inputEnvName(name)] = value === null ? '' : String(value);
    }
    const contexts = {
      github: {
        token: githubToken,
        repository: runnerVars.GITHUB_REPOSITORY,
        repository_owner: runnerVars.GITHUB_REPOSITORY_OWNER,
        sha: runnerVars.GITHUB_SHA,
        ref: runnerVars.GITHUB_REF,
        ref_name: runnerVars.GITHUB_REF_NAME,
        head_ref: runnerVars.GITHUB_HEAD_REF,
        base_ref: runnerVars.GITHUB_BASE_REF,
        event_name: eventName,
        event: event || {},
        run_id: runnerVars.GITHUB_RUN_ID,
        run_number: runnerVars.GITHUB_RUN_NUMBER,
        run_attempt: runnerVars.GITHUB_RUN_ATTEMPT,
        job: runnerVars.GITHUB_JOB,
        actor: runnerVars.GITHUB_ACTOR,
        workflow: runnerVars.GITHUB_WORKFLOW,
        server_url: runnerVars.GITHUB_SERVER_URL,
        api_url: runnerVars.GITHUB_API_URL,
        graphql_url: runnerVars.GITHUB_GRAPHQL_URL,
        workspace,
      },
      runner: { os: 'Linux', arch: runnerVars.RUNNER_ARCH, temp: dirs.temp, tool_cache: dirs.toolCache, name: runnerVars.RUNNER_NAME, environment: 'github-hosted' },
      env: { ...env },
    };
    for (const [name, spec] of Object.entries(declared)) {
      if (given.has(name.toLowerCase())) continue;
      const def = spec && spec.default !== undefined && spec.default !== null ? String(spec.default) : '';
      inputEnv[inputEnvName(name)] = evaluateDefault(def, contexts);
    }

    // Post step: the runner hands the main step's saved state back as STATE_<name>.
    const stateEnv = {};
    for (const [k, v] of Object.entries(carriedState || {})) stateEnv[`STATE_${k}`] = String(v);

    const childEnv = { ...runnerVars, ...inputEnv, ...stateEnv, ...env };
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined || v === null) delete childEnv[k];

    const preRunnerMessages = unexpected.length
      ? [{ level: 'warning', message: `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']` }]
      : [];

    const raw = await execute({
      nodePath, script: path.resolve(actionDir, entry), cwd: workspace, env: childEnv, files, timeoutMs, killAfterMs, killOn, killSignal,
    });

    const read = (f) => fs.readFileSync(f, 'utf8');
    const result = interpret({
      stdout: fs.readFileSync(files.stdout),
      stderr: fs.readFileSync(files.stderr),
      samples: raw.samples,
      files: { output: read(files.output), state: read(files.state), env: read(files.env), path: read(files.path), summary: read(files.summary) },
      preMasked: [githubToken, ...preMasked],
      debug: childEnv.RUNNER_DEBUG === '1' || childEnv.ACTIONS_STEP_DEBUG === 'true',
    });
    result.runnerMessages.unshift(...preRunnerMessages);
    const stdoutText = read(files.stdout);
    const stderrText = read(files.stderr);
    const run = {
      code: raw.code,
      signal: raw.signal,
      timedOut: raw.timedOut,
      killed: raw.killed,
      failed: raw.code !== 0 || result.runnerMessages.some((m) => m.level === 'error'),
      stdout: stdoutText,
      stderr: stderrText,
      durationMs: raw.durationMs,
      peakRssKb: raw.peakRssKb,
      entry,
      githubToken,
      inputEnv,
      childEnv,
      ...result,
      tempDirs: [root],
      kept: keep,
    };
    // Suite-wide leak check (tests/support/guard.js): secret inputs join the registry first.
    const guard = require('./guard');
    guard.registerSecret('github token', githubToken);
    for (const [name, value] of Object.entries(inputs)) {
      if (/(^|-)(key|token|password|url)$/.test(name) && /:\/\/[^/@\s]*:[^/@\s]+@|^[^:/]+$/.test(String(value))) guard.registerSecret(`input ${name}`, String(value));
    }
    run.leaks = guard.checkRun(run, { expectLeaks: Boolean(opts.allowLeaks) });
    if (run.leaks.length && !opts.allowLeaks) {
      throw new Error(`secret leak: ${run.leaks.map((l) => `${l.secret} (${l.form}) in ${l.where}: ${l.excerpt}`).join('; ')}`);
    }
    return run;
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Spawns the entry with stdout/stderr redirected to files and samples file sizes
 * while it runs (see the module comment for why).
 */
function execute({ nodePath, script, cwd, env, files, timeoutMs, killAfterMs, killOn, killSignal }) {
  return new Promise((resolve, reject) => {
    const outFd = fs.openSync(files.stdout, 'a');
    const errFd = fs.openSync(files.stderr, 'a');
    const started = Date.now();
    let child;
    try {
      child = spawn(nodePath, [script], { cwd, env, stdio: ['ignore', outFd, errFd] });
    } catch (e) {
      fs.closeSync(outFd);
      fs.closeSync(errFd);
      reject(e);
      return;
    }
    fs.closeSync(outFd);
    fs.closeSync(errFd);

    const samples = [];
    const echo = process.env.DEBUG_RUNNER === '1' ? { stdout: 0, stderr: 0 } : null;
    const size = (f) => { try { return fs.statSync(f).size; } catch { return 0; } };
    let timedOut = false;
    let killed = null;
    const kill = (signal) => {
      if (killed) return;
      killed = signal;
      child.kill(signal);
    };
    let lastStdout = 0;
    // Peak RSS: VmHWM only grows, so the last reading before exit is the peak (bar the
    // final POLL_MS). Linux only; elsewhere it stays null.
    let peakRssKb = null;
    const readPeakRss = () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakRssKb = Math.max(peakRssKb || 0, Number(m[1]));
      } catch { /* exited, or no /proc */ }
    };
    const sample = () => {
      const s = { stderr: size(files.stderr), output: size(files.output), state: size(files.state), env: size(files.env) };
      s.stdout = size(files.stdout); // read last: see module comment
      samples.push(s);
      if (echo) echoNew(echo, files, s);
      // killOn: cancel at a known point of the run (e.g. "applying 002"), whatever the
      // machine's speed, instead of after a guessed number of milliseconds.
      if (killOn && !killed && s.stdout > lastStdout) {
        lastStdout = s.stdout;
        const text = fs.readFileSync(files.stdout, 'utf8');
        if (typeof killOn === 'string' ? text.includes(killOn) : killOn.test(text)) kill(killSignal);
      }
    };
    const poll = setInterval(() => { readPeakRss(); sample(); }, POLL_MS);
    const killTimer = killAfterMs != null ? setTimeout(() => kill(killSignal), killAfterMs) : null;
    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      killed = null; // a hung step is killed even if a cancel signal was sent before
      kill('SIGKILL');
    }, timeoutMs);

    const finish = (err, code, signal) => {
      clearInterval(poll);
      if (killTimer) clearTimeout(killTimer);
      clearTimeout(timeoutTimer);
      sample();
      if (err) reject(err);
      else resolve({ code, signal, samples, timedOut, killed, durationMs: Date.now() - started, peakRssKb });
    };
    child.once('error', (err) => finish(err));
    child.once('exit', (code, signal) => finish(null, code, signal));
  });
}

/** DEBUG_RUNNER=1: echo what the child wrote since the last sample. */
function echoNew(state, files, s) {
  for (const stream of ['stdout', 'stderr']) {
    if (s[stream] <= state[stream]) continue;
    const fd = fs.openSync(files[stream], 'r');
    const buf = Buffer.alloc(s[stream] - state[stream]);
    fs.readSync(fd, buf, 0, buf.length, state[stream]);
    fs.closeSync(fd);
    state[stream] = s[stream];
    process.stderr.write(buf.toString('utf8').replace(/^(?=.)/gm, `[action ${stream}] `));
  }
}

module.exports = {
  runAction,
  logText,
  maskSecrets,
  parseCommand,
  parseKeyValueFile,
  interpret,
  inputEnvName,
  evaluateDefault,
  REPO_ROOT,
  NODE24,
  POLL_MS,
};
