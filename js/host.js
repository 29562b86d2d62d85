// The Host the Rust core runs on: each method is one call into @actions/core, node:fs or
// @actions/exec. No decisions are made here; see src/host/mod.rs for the contract.
import fs from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import * as exec from '@actions/exec';

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

async function run(commandJson) {
  const command = JSON.parse(commandJson);
  const env = { ...process.env };
  for (const [key, value] of command.env) env[key] = value;
  let stdout = '';
  let stderr = '';
  // Argument array, never a shell: untrusted text stays data.
  const code = await exec.exec(command.program, command.args, {
    env,
    cwd: command.cwd || undefined,
    input: command.stdin == null ? undefined : Buffer.from(command.stdin),
    silent: !command.stream,
    ignoreReturnCode: true,
    listeners: {
      stdout: (data) => { stdout += data.toString(); },
      stderr: (data) => { stderr += data.toString(); },
    },
  });
  return JSON.stringify({ code, stdout, stderr });
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
  };
}
