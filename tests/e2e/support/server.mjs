// Shared by the end-to-end tests: start the real `tucai` binary, talk to it like a browser
// (cookies, CSRF header), run CLI commands, and make PostgreSQL databases.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BIN = process.env.TUCAI_BIN || path.resolve('build/tucai');
export const SOURCE = process.env.TUCAI_SOURCE || path.resolve('.');
export const SHARED = process.env.TUCAI_SHARED || path.resolve(SOURCE, '../shared');

export function tempDir(prefix = 'tucai-e2e-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// A new, empty PostgreSQL database in the suite's cluster (CTest fixture `postgres`).
export function pgDatabase() {
  const dir = process.env.TUCAI_PG_DIR;
  if (!dir) throw new Error('TUCAI_PG_DIR is not set: run through ctest (fixture `postgres`)');
  const name = `e2e_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  return execFileSync(path.join(SOURCE, 'tests/support/pg.sh'), ['createdb', dir, name]).toString().trim();
}

// Tests run the binary as a development setup (dev = 1): the mock payment provider and the log
// SMS sender are allowed and a new data directory gets its master key. A test of the production
// refusals passes env { TUCAI_DEV: '0' }.
export const DEV_ENV = { TUCAI_DEV: '1' };

// Runs `tucai ARGS...` and returns { status, stdout, stderr }.
export function tucai(args, { env = {}, input } = {}) {
  const r = spawnSync(BIN, args, { env: { ...process.env, ...DEV_ENV, ...env }, input, encoding: 'utf8', timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Starts `tucai serve` on a free port. Resolves once it logs "listening".
export async function startServer({ data, db, args = [], env = {}, webDir } = {}) {
  data = data || tempDir();
  const argv = ['serve', '--listen', '127.0.0.1:0', '--data', data, ...args];
  if (db) argv.push('--db', db);
  if (webDir) argv.push('--web-dir', webDir);
  const proc = spawn(BIN, argv, { env: { ...process.env, ...DEV_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  let buffer = '';
  const server = { proc, data, db, logs, port: 0, url: '' };
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + logs.join('\n'))), 60000);
    proc.stderr.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        if (process.env.TUCAI_E2E_VERBOSE) console.error(line);
        try {
          const o = JSON.parse(line);
          if (o.msg === 'listening') {
            clearTimeout(timer);
            server.port = Number(o.port);
            server.url = `http://127.0.0.1:${server.port}`;
            resolve();
          }
        } catch { /* not a log line (sanitizer output) */ }
      }
    });
    proc.stdout.on('data', (chunk) => logs.push(chunk.toString()));
    proc.on('exit', (code, signal) => {
      server.exitCode = code;
      server.exitSignal = signal;
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${logs.join('\n')}`));
    });
  });
  // 'close' fires after the output streams end, so the logs are complete when it resolves.
  server.exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  await ready;
  // Stops the server. A graceful stop must leave no sanitizer report (leaks, UB) in its output:
  // the test build runs under ASan+UBSan, and every e2e test thereby checks the server's memory.
  server.stop = async (signal = 'SIGTERM') => {
    if (server.exitCode === undefined && !server.exitSignal) proc.kill(signal);
    const result = await server.exited;
    await new Promise((r) => setImmediate(r));
    const report = logs.find((l) => /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(l));
    if (report && signal !== 'SIGKILL') {
      const at = logs.indexOf(report);
      throw new Error('sanitizer report from the server:\n' + logs.slice(at, at + 40).join('\n'));
    }
    return result;
  };
  server.client = () => new Client(server.url);
  return server;
}

// A browser-like client: keeps cookies, sends the CSRF token on state-changing requests.
export class Client {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  remember(res) {
    for (const c of res.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.find((a) => a.trim().toLowerCase().startsWith('max-age='));
      if (maxAge && Number(maxAge.split('=')[1]) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async csrf() {
    if (!this.cookies.has('tucai_csrf')) await this.request('GET', '/api/csrf');
    return this.cookies.get('tucai_csrf');
  }

  // Returns { status, headers, body (parsed JSON when JSON), text, raw (Buffer) }.
  async request(method, p, { json, body, headers = {}, csrf = true, form } = {}) {
    const h = { ...headers };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    if (csrf && !['GET', 'HEAD'].includes(method)) {
      const token = await this.csrf();
      h['x-csrf-token'] = token;
      h.cookie = this.cookieHeader();
    }
    if (json !== undefined) {
      h['content-type'] = h['content-type'] || 'application/json';
      body = typeof json === 'string' ? json : JSON.stringify(json);
    }
    if (form) body = form;
    const res = await fetch(this.base + p, { method, headers: h, body, redirect: 'manual' });
    this.remember(res);
    const raw = Buffer.from(await res.arrayBuffer());
    const text = raw.toString('utf8');
    let parsed;
    if ((res.headers.get('content-type') || '').includes('application/json')) {
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    }
    return { status: res.status, headers: res.headers, body: parsed, text, raw };
  }

  get(p, o) { return this.request('GET', p, o); }
  post(p, json, o = {}) { return this.request('POST', p, { json, ...o }); }
  put(p, json, o = {}) { return this.request('PUT', p, { json, ...o }); }
  del(p, o) { return this.request('DELETE', p, o); }
  upload(p, form, o = {}) { return this.request('POST', p, { form, ...o }); }
}

export function cleanup(dir) {
  try { rmSync(dir, { recursive: true, force: true }); } catch { /* already gone */ }
}

export function readJsonLines(text) {
  return text.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
}

export async function waitFor(fn, { timeout = 20000, interval = 100 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, interval));
  }
}

export { readFileSync };
