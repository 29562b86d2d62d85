'use strict';
// A small imitation of Neon's connection proxy.
//
// Clients connect to <endpoint_id>[-pooler].emulator.localhost:<port> with
// sslmode=require. We answer the Postgres SSLRequest with 'S', terminate TLS with the
// test cluster's own certificate, pick the endpoint from the TLS SNI name (libpq
// sends it; Neon's `options=endpoint%3D<id>` fallback works too), rewrite the
// StartupMessage's `database` from the name the API reports (neondb) to the branch's
// physical database, then open a TLS connection to the real Postgres and pipe bytes.
//
// Why TLS on the backend leg too: clients that demand SCRAM channel binding
// (neonctl's URLs carry channel_binding=require) bind to the tls-server-end-point
// hash of the certificate they saw. We present the very certificate Postgres uses,
// so the hash Postgres computes on its own TLS session is the same one, and SCRAM
// flows through us untouched. Authentication itself is always done by Postgres.

const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Build a Postgres ErrorResponse packet. */
function errorResponse(message, { code = 'XX000', severity = 'ERROR' } = {}) {
  const fields = [['S', severity], ['V', severity], ['C', code], ['M', message]];
  const body = Buffer.concat([...fields.map(([t, v]) => Buffer.from(`${t}${v}\0`, 'utf8')), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** Read one length-prefixed startup-phase packet (no type byte). */
function readStartupPacket(socket, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onEnd);
      socket.removeListener('close', onEnd);
    };
    const onEnd = () => { cleanup(); reject(new Error('client went away during start-up')); };
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const len = buf.readInt32BE(0);
      if (len < 8 || len > 10000) { cleanup(); reject(new Error(`bad start-up packet length ${len}`)); return; }
      if (buf.length < len) return;
      cleanup();
      socket.pause();
      if (buf.length > len) socket.unshift(buf.subarray(len));
      resolve(buf.subarray(0, len));
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error('start-up packet timeout')); }, timeoutMs);
    socket.on('data', onData);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

function parseStartup(packet) {
  const params = {};
  const parts = packet.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === '') break;
    params[parts[i]] = parts[i + 1];
  }
  return params;
}

function buildStartup(params) {
  const body = Buffer.from(Object.entries(params).map(([k, v]) => `${k}\0${v}\0`).join('') + '\0', 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(PROTOCOL_3, 4);
  return Buffer.concat([head, body]);
}

/** Resolves with one byte the server sent (answer to SSLRequest). */
function readByte(socket) {
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      socket.removeListener('data', onData);
      socket.removeListener('error', reject);
      socket.pause();
      if (chunk.length > 1) socket.unshift(chunk.subarray(1));
      resolve(chunk[0]);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/**
 * Start the proxy.
 * @param {object} o
 * @param {string} o.certFile / o.keyFile  TLS identity (the cluster's own)
 * @param {number} o.backendPort           the real Postgres
 * @param {(target: {endpointId: string, pooled: boolean, params: object}) =>
 *          {database: string, extraParams?: object} | {error: string, code?: string, severity?: string}} o.route
 * @param {(entry: object) => void} [o.log]
 */
async function startProxy({ certFile, keyFile, backendHost = '127.0.0.1', backendPort, route, log = () => {} }) {
  const tlsServer = tls.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) });
  tlsServer.on('secureConnection', (client) => {
    client.on('error', () => client.destroy());
    handleSecure(client).catch(() => client.destroy());
  });
  tlsServer.on('tlsClientError', (err, socket) => socket.destroy());
  const sessions = new Set(); // { endpointId, client, backend }
  const sockets = new Set();

  async function forwardCancel(packet) {
    // The BackendKeyData the client holds came from the real Postgres: forward as is.
    log({ at: new Date().toISOString(), cancel: true, pid: packet.readInt32BE(8) });
    await new Promise((resolve) => {
      const s = net.connect({ host: backendHost, port: backendPort }, () => s.end(packet));
      s.on('close', resolve);
      s.on('error', resolve);
    });
  }

  async function connectBackend() {
    const raw = net.connect({ host: backendHost, port: backendPort });
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    await new Promise((resolve, reject) => { raw.once('connect', resolve); raw.once('error', reject); });
    const req = Buffer.alloc(8);
    req.writeInt32BE(8, 0);
    req.writeInt32BE(SSL_REQUEST, 4);
    raw.write(req);
    const answer = await readByte(raw);
    if (answer !== 0x53 /* 'S' */) return raw; // server without TLS: plain is fine locally
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); });
    return secure;
  }

  async function handle(raw) {
    let packet = await readStartupPacket(raw);
    let code = packet.readInt32BE(4);
    if (code === GSSENC_REQUEST) { // no GSSAPI here: say no, the client continues with SSLRequest
      raw.write('N');
      packet = await readStartupPacket(raw);
      code = packet.readInt32BE(4);
    }
    if (code === CANCEL_REQUEST) { await forwardCancel(packet); raw.destroy(); return; }
    if (code !== SSL_REQUEST) {
      // Neon only speaks TLS.
      raw.end(errorResponse('connection is insecure (try using `sslmode=require`)', { code: '28000' }));
      log({ error: 'insecure' });
      return;
    }
    raw.write('S');
    // Hand the socket to a (non-listening) tls.Server: it does the handshake and
    // exposes the SNI name as client.servername on 'secureConnection'.
    tlsServer.emit('connection', raw);
  }

  async function handleSecure(client) {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const sni = client.servername || '';
    const packet = await readStartupPacket(client);
    const code = packet.readInt32BE(4);
    if (code === CANCEL_REQUEST) { await forwardCancel(packet); client.destroy(); return; }
    if (code !== PROTOCOL_3) {
      client.end(errorResponse(`unsupported frontend protocol ${code >> 16}.${code & 0xffff}`, { code: '0A000', severity: 'FATAL' }));
      return;
    }
    const params = parseStartup(packet);

    // Endpoint from SNI's first label, or from options=endpoint=<id> (Neon's no-SNI fallback).
    let label = sni ? sni.split('.')[0] : '';
    if (params.options) {
      const options = params.options.replace(/%3D/gi, '=');
      const m = /(?:^|\s)(?:--)?endpoint[=:](\S+)/.exec(options);
      if (m) {
        label = label || m[1];
        params.options = options.replace(m[0], '').trim(); // Postgres would reject the unknown option
        if (!params.options) delete params.options;
      }
    }
    if (!label) {
      client.end(errorResponse('The endpoint ID is not specified. Either please upgrade the postgres client library (libpq) for SNI support or pass the endpoint ID (first part of the domain name) as a parameter: \'?options=endpoint%3D<endpoint-id>\'.', { code: '08004' }));
      log({ sni, error: 'no endpoint' });
      return;
    }
    const pooled = label.endsWith('-pooler');
    const endpointId = pooled ? label.slice(0, -'-pooler'.length) : label;
    const decision = route({ endpointId, pooled, params: { ...params } });
    const entry = { at: new Date().toISOString(), sni, endpointId, pooled, user: params.user, database: params.database };
    if (decision.error) {
      client.end(errorResponse(decision.error, decision));
      log({ ...entry, error: decision.error });
      return;
    }
    const backendParams = { ...params, database: decision.database, ...(decision.extraParams || {}) };
    let backend;
    try {
      backend = await connectBackend();
    } catch (err) {
      client.end(errorResponse(`Couldn't connect to compute node: ${err.message}`));
      log({ ...entry, error: err.message });
      return;
    }
    log({ ...entry, physicalDatabase: decision.database });
    const session = { endpointId, client, backend };
    sessions.add(session);
    const close = () => { sessions.delete(session); client.destroy(); backend.destroy(); };
    client.on('close', close);
    backend.on('close', close);
    backend.on('error', close);
    client.on('error', close);
    backend.write(buildStartup(backendParams));
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
    backend.resume();
  }

  const onConnection = (raw) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    raw.on('error', () => raw.destroy());
    handle(raw).catch(() => raw.destroy());
  };

  // Listen on 127.0.0.1 and ::1 with the same port: *.localhost resolves to both.
  const servers = [];
  let port = 0;
  for (let attempt = 0; attempt < 10 && servers.length === 0; attempt++) {
    const v4 = net.createServer(onConnection);
    port = await new Promise((resolve, reject) => { v4.once('error', reject); v4.listen({ host: '127.0.0.1', port: 0 }, () => resolve(v4.address().port)); });
    const v6 = net.createServer(onConnection);
    const ok = await new Promise((resolve) => {
      v6.once('error', (err) => resolve(err.code === 'EADDRNOTAVAIL' ? 'no-ipv6' : false));
      v6.listen({ host: '::1', port, ipv6Only: true }, () => resolve(true));
    });
    if (ok === true) servers.push(v4, v6);
    else if (ok === 'no-ipv6') servers.push(v4);
    else await new Promise((r) => v4.close(r));
  }
  if (servers.length === 0) throw new Error('proxy: no port free on both 127.0.0.1 and ::1');

  return {
    port,
    /** Break every client connection to this endpoint (compute restart / branch deleted). */
    disconnect(endpointId) {
      for (const s of [...sessions]) if (s.endpointId === endpointId) { s.client.destroy(); s.backend.destroy(); }
    },
    activeSessions(endpointId) {
      return [...sessions].filter((s) => endpointId === undefined || s.endpointId === endpointId).length;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    },
  };
}

module.exports = { startProxy, errorResponse, parseStartup, buildStartup };
