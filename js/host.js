// The Host the Rust core runs on: each method is one call into @actions/core, node:fs or
// node:child_process. No decisions are made here; see src/host/mod.rs for the contract.
import { spawn as spawnChild } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';

function walk(root) {
  const entries = [];
  const visit = (dir, rel) => {
    for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, dirent.name);
      const relPath = rel ? `${rel}/${dirent.name}` : dirent.name;
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) {
        let target = null;
        try { target = fs.realpathSync(full); } catch { /* dangling or a loop: reported as null */ }
        entries.push({ path: relPath, kind: 'symlink', size: 0, target });
      } else if (stat.isDirectory()) {
        entries.push({ path: relPath, kind: 'dir', size: 0, target: null });
        visit(full, relPath);
      } else if (stat.isFile()) {
        entries.push({ path: relPath, kind: 'file', size: stat.size, target: null });
      }
    }
  };
  visit(root, '');
  return JSON.stringify(entries);
}

/** The runner's environment, minus `env_remove`, plus the command's own `env`. */
function envFor(command) {
  const env = { ...process.env };
  for (const key of command.env_remove || []) delete env[key];
  for (const [key, value] of command.env) env[key] = value;
  return env;
}

// Argument array, never a shell: untrusted text stays data. Not @actions/exec: it writes
// stdin without an error handler, so a program that exits before reading it (a wrong
// pg-bin-dir, a crashing tool) took the whole action down with an unhandled EPIPE.
function run(commandJson) {
  const command = JSON.parse(commandJson);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const settle = (fn, value) => { if (!settled) { settled = true; fn(value); } };
    if (command.stream) process.stdout.write(`[command]${[command.program, ...command.args].join(' ')}\n`);
    const child = spawnChild(command.program, command.args, {
      env: envFor(command),
      cwd: command.cwd || undefined,
      stdio: [command.stdin == null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; if (command.stream) process.stdout.write(d); });
    child.stderr.on('data', (d) => { stderr += d; if (command.stream) process.stderr.write(d); });
    child.on('error', (e) => settle(reject, e.message));
    // 'close' waits for the output pipes; a background grandchild holding them open must
    // not hang the action, so give up on them 10 s after the exit (as @actions/exec does).
    child.on('exit', () => setTimeout(() => settle(resolve, JSON.stringify({ code: child.exitCode, stdout, stderr })), 10000).unref());
    child.on('close', (code) => settle(resolve, JSON.stringify({ code, stdout, stderr })));
    if (command.stdin != null) {
      child.stdin.on('error', () => {}); // exited without reading it all: its exit code tells
      child.stdin.end(command.stdin);
    }
  });
}

// Background pipelines (Host::spawn): stdout of each process is an OS pipe into the next
// one's stdin, so data never passes through this process.
const pipelines = new Map();
let nextHandle = 1;
const OUTPUT_LIMIT = 4 * 1024 * 1024;
const keep = (text, data) => (text + data).slice(-OUTPUT_LIMIT);

// A cancelled job gets SIGINT/SIGTERM: take our children with us, then die of the signal.
let signalsHooked = false;
function killAll() {
  for (const p of pipelines.values()) for (const c of p.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => { killAll(); process.kill(process.pid, sig); });
  }
}

function spawnPipeline(pipelineJson) {
  hookSignals();
  const commands = JSON.parse(pipelineJson);
  const p = { children: [], codes: commands.map(() => null), stdout: '', stderr: commands.map(() => ''), left: commands.length, waiters: [] };
  let previous = null;
  commands.forEach((command, i) => {
    const env = envFor(command);
    const stdin = previous || (command.stdin == null ? 'ignore' : 'pipe');
    const child = spawnChild(command.program, command.args, { env, cwd: command.cwd || undefined, stdio: [stdin, 'pipe', 'pipe'] });
    if (previous) previous.destroy(); // the child has its own copy of the pipe's read end
    child.on('error', (e) => { p.stderr[i] = keep(p.stderr[i], `${e.message}\n`); });
    // Decoded as streams, so a character split between two chunks stays whole.
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { p.stderr[i] = keep(p.stderr[i], d); });
    if (i === commands.length - 1) {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => { p.stdout = keep(p.stdout, d); });
    }
    if (i === 0 && command.stdin != null) {
      child.stdin.on('error', () => {}); // exited early: its exit code tells
      child.stdin.write(command.stdin);
      if (!command.hold_stdin) child.stdin.end();
    }
    child.on('close', (code) => {
      p.codes[i] = code;
      if (--p.left === 0) for (const w of p.waiters.splice(0)) w();
    });
    previous = i < commands.length - 1 ? child.stdout : null;
    p.children.push(child);
  });
  const handle = nextHandle++;
  pipelines.set(handle, p);
  return handle;
}

function statusOf(p) {
  return JSON.stringify({ done: p.left === 0, codes: p.codes, stdout: p.stdout, stderr: p.stderr });
}

function waitPipeline(handle, timeoutMs) {
  const p = pipelines.get(handle);
  if (!p) return Promise.resolve(JSON.stringify({ done: true, codes: [null], stdout: '', stderr: ['unknown process handle'] }));
  if (p.left === 0) return Promise.resolve(statusOf(p));
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); resolve(statusOf(p)); };
    const timer = setTimeout(() => { p.waiters = p.waiters.filter((w) => w !== done); resolve(statusOf(p)); }, Math.min(timeoutMs, 2147483647));
    p.waiters.push(done);
  });
}

function killPipeline(handle) {
  const p = pipelines.get(handle);
  if (p) for (const c of p.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

const log = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  notice: (m) => core.notice(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
};

const annotate = {
  notice: core.notice,
  warning: core.warning,
  error: core.error,
};

function toProperties(a) {
  return {
    title: a.title ?? undefined,
    file: a.file ?? undefined,
    startLine: a.line ?? undefined,
    startColumn: a.col ?? undefined,
    endLine: a.end_line ?? undefined,
    endColumn: a.end_col ?? undefined,
  };
}

export function createHost() {
  return {
    input: (name) => core.getInput(name),
    env: (name) => process.env[name],
    setOutput: (name, value) => core.setOutput(name, value),
    mask: (secret) => core.setSecret(secret),
    log: (level, message) => (log[level] || log.info)(message),
    annotate: (level, json) => {
      const a = JSON.parse(json);
      (annotate[level] || core.notice)(a.message, toProperties(a));
    },
    startGroup: (name) => core.startGroup(name),
    endGroup: () => core.endGroup(),
    appendSummary: (markdown) => fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown),
    saveState: (name, value) => core.saveState(name, value),
    state: (name) => core.getState(name),
    readFile: (p) => fs.readFileSync(p),
    writeFile: (p, bytes) => fs.writeFileSync(p, bytes, { mode: 0o600 }),
    removeFile: (p) => fs.rmSync(p, { force: true }),
    walk,
    nowMs: () => Date.now(),
    random: () => Math.random(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    run,
    spawn: spawnPipeline,
    wait: waitPipeline,
    kill: killPipeline,
  };
}
