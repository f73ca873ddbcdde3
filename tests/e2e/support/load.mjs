// load: the server behind Debian's nginx (tests/e2e/support/nginx.mjs), then at once: students
// uploading photos, event streams held open, staff signing in with wrong passwords; meanwhile
// /healthz and one student's status are read every 100 ms and the server's memory sampled.
// Returns the figures; bench/load.sh prints them at full size, tests/e2e/load_nginx.test.mjs
// checks the behaviour at a small size (every upload stored or refused with a JSON error,
// streams over the cap refused with 503 JSON and Retry-After, /healthz answering, no crash).
//
// Requests go through node:https with the test's own CA (the self-signed certificate), never
// with verification turned off.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { startFlowWorld } from './flow_world.mjs';
import { SHARED } from './server.mjs';
import { startNginx } from './nginx.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

// The probe thread: /healthz and one student's /api/status every 100 ms until told to stop.
const PROBE = `
const https = require('node:https');
const { parentPort, workerData } = require('node:worker_threads');
const agent = new https.Agent({ ca: workerData.ca, keepAlive: true });
const get = (p, headers = {}) => new Promise((resolve) => {
  const t0 = performance.now();
  const req = https.get(workerData.base + p, { agent, headers }, (res) => {
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
  });
  req.on('error', (e) => resolve({ status: String(e.code || e), ms: performance.now() - t0 }));
});
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  const out = { healthz: [], healthzFail: [], status: [] };
  while (!stop) {
    const h = await get('/healthz');
    if (h.status === 200) out.healthz.push(h.ms); else out.healthzFail.push(h.status);
    const s = await get('/api/status', { cookie: workerData.cookie });
    if (s.status === 200) out.status.push(s.ms);
    await new Promise((r) => setTimeout(r, 100));
  }
  agent.destroy();
  parentPort.postMessage(out);
})();
`;

function request(agent, url, { method = 'GET', headers = {}, body, stream = false } = {}) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, agent }, (res) => {
      if (stream && res.statusCode === 200) {
        res.on('data', () => {});
        res.on('error', () => {});
        resolve({ status: 200, headers: res.headers, ms: performance.now() - t0, close: () => req.destroy(), res });
        return;
      }
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        if ((res.headers['content-type'] || '').includes('application/json')) try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json, ms: performance.now() - t0 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.end(body); else req.end();
  });
}

function multipart(bytes, name) {
  const boundary = '----tucaiload' + Math.random().toString(16).slice(2);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${name}"\r\nContent-Type: image/jpeg\r\n\r\n`),
    bytes, Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

function memory(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) || [])[1] || 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch { return { rss: 0, hwm: 0 }; }
}

export async function runLoad({ students = 200, streams = 1000, staff = 50, holdMs = 5000, log = () => {} } = {}) {
  // Streams per account above what one student opens here: the process cap is what refuses.
  process.env.TUCAI_EVENTS_PER_ACCOUNT = String(Math.ceil(streams / students) + 1);
  // All come from 127.0.0.1 here, where they would come from fifty addresses: the per-address
  // lock (login_ip_max_failures) would otherwise answer most of them 429 without hashing.
  process.env.TUCAI_LOGIN_IP_MAX_FAILURES = String(staff * 2);
  const t0 = Date.now();
  const w = await startFlowWorld({ students, args: ['--trust-proxy', '1'] });
  const ngx = await startNginx({ upstreamPort: w.server.port });
  const agent = new https.Agent({ ca: fs.readFileSync(ngx.cert), keepAlive: true, maxSockets: Infinity });
  const base = ngx.url;
  const fig = { uploads: { stored: 0, refused: {}, bad: [] }, streams: { open: 0, refused: {}, bad: [] }, logins: {}, loginBad: [] };
  const cleanups = [];
  try {
    // Setup (direct to the server): students signed in, linked, paid; staff accounts.
    const cs = [];
    for (let i = 1; i <= students; i += 8) {
      const group = [];
      for (let k = i; k < Math.min(i + 8, students + 1); k++) {
        group.push((async () => {
          const c = await w.signIn(k);
          await w.link(c, k);
          await w.pay(c);
          await c.csrf();
          return c;
        })());
      }
      cs.push(...(await Promise.all(group)));
    }
    for (let i = 1; i <= staff; i++) {
      w.run(['user', 'add', '--username', `staff${i}`, '--role', 'reviewer', '--name', `staff${i}`, '--data', w.dir,
        '--school', String(w.schoolId)], { TUCAI_NEW_PASSWORD: `staff${i}-password-1` });
    }
    const photos = fs.readdirSync(path.join(SHARED, 'photos/dev')).filter((f) => f.endsWith('.jpg')).sort()
      .map((f) => fs.readFileSync(path.join(SHARED, 'photos/dev', f)));
    log(`setup: ${students} students, ${staff} staff in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const pid = w.server.proc.pid;
    const hdr = (c, extra = {}) => ({ cookie: c.cookieHeader(), 'x-csrf-token': c.cookies.get('tucai_csrf'), ...extra });

    // Probes, for the whole load, on their own thread: the load's event loop (1,000 handshakes,
    // 200 uploads) would otherwise delay the probes' own timers and inflate what they measure.
    const probe = new Worker(PROBE, {
      eval: true,
      workerData: { base, ca: fs.readFileSync(ngx.cert, 'utf8'), cookie: cs[0].cookieHeader() },
    });
    const probeDone = new Promise((resolve, reject) => { probe.once('message', resolve); probe.once('error', reject); });
    cleanups.push(() => probe.terminate());
    let running = true;
    const mem = [];
    const sampler = (async () => { while (running) { mem.push({ t: Date.now() - t0, ...memory(pid) }); await sleep(250); } })();
    const before = memory(pid);

    // The staff's sign-in pages are open (CSRF cookies), so their wrong passwords arrive together.
    const logins = await Promise.all(Array.from({ length: staff }, async () => {
      const c = await request(agent, `${base}/api/csrf`);
      const cookie = (c.headers['set-cookie'] || []).map((x) => x.split(';')[0]).join('; ');
      return { cookie, token: /tucai_csrf=([^;]+)/.exec(cookie)?.[1] };
    }));

    // The load, all at once.
    const tl = Date.now();
    const streamJobs = Array.from({ length: streams }, (_, i) => (async () => {
      const c = cs[i % cs.length];
      try {
        const r = await request(agent, `${base}/api/student/events`, { headers: hdr(c), stream: true });
        if (r.status === 200) { fig.streams.open++; cleanups.push(r.close); return; }
        const code = r.json?.error?.code;
        const key = `${r.status} ${code || '(no JSON error)'}`;
        fig.streams.refused[key] = (fig.streams.refused[key] || 0) + 1;
        if (!code || !r.json.error.message || !(Number(r.headers['retry-after']) > 0)) fig.streams.bad.push(`${r.status} ${r.text.slice(0, 80)}`);
      } catch (e) { fig.streams.bad.push(`stream: ${e.code || e}`); }
    })());
    const uploadJobs = cs.map((c, i) => (async () => {
      const { body, type } = multipart(photos[i % photos.length], `p${i}.jpg`);
      try {
        const r = await request(agent, `${base}/api/photos`, { method: 'POST', headers: hdr(c, { 'content-type': type, 'content-length': body.length }), body });
        if (r.status === 202 && r.json?.attempt?.id) { fig.uploads.stored++; c.attempt = r.json.attempt.id; return; }
        const code = r.json?.error?.code;
        const key = `${r.status} ${code || '(no JSON error)'}`;
        fig.uploads.refused[key] = (fig.uploads.refused[key] || 0) + 1;
        if (!code || !r.json.error.message) fig.uploads.bad.push(`${r.status} ${r.text.slice(0, 80)}`);
      } catch (e) { fig.uploads.bad.push(`upload: ${e.code || e}`); }
    })());
    const loginJobs = logins.map(({ cookie, token }, i) => (async () => {
      try {
        const body = JSON.stringify({ username: `staff${i + 1}`, password: 'not the password 1' });
        const r = await request(agent, `${base}/api/auth/login`, { method: 'POST', headers: { cookie, 'x-csrf-token': token, 'content-type': 'application/json' }, body });
        const key = `${r.status} ${r.json?.error?.code || '(no JSON error)'}`;
        fig.logins[key] = (fig.logins[key] || 0) + 1;
        if (r.status === 200 || !r.json?.error?.code) fig.loginBad.push(`${r.status} ${r.text.slice(0, 80)}`);
      } catch (e) { fig.loginBad.push(`login: ${e.code || e}`); }
    })());
    await Promise.all([...uploadJobs, ...loginJobs, ...streamJobs]);
    fig.answeredMs = Date.now() - tl;
    log(`all answered in ${fig.answeredMs} ms; holding ${holdMs} ms with the streams open`);
    await sleep(holdMs);
    // A stored upload is an attempt the student can read back.
    for (const c of cs.filter((x) => x.attempt)) {
      const r = await request(agent, `${base}/api/photos/attempts/${c.attempt}`, { headers: hdr(c) });
      if (r.status !== 200) fig.uploads.bad.push(`attempt ${c.attempt}: ${r.status}`);
      else fig.uploads.states = { ...fig.uploads.states, [r.json.attempt.state]: (fig.uploads.states?.[r.json.attempt.state] || 0) + 1 };
    }
    running = false;
    probe.postMessage('stop');
    const { healthz, healthzFail, status } = await probeDone;
    await probe.terminate();
    await sampler;
    const after = memory(pid);
    fig.healthz = { n: healthz.length, failed: healthzFail, p50: pct(healthz, 0.5), p99: pct(healthz, 0.99), max: Math.max(...healthz) };
    fig.status = { n: status.length, p50: pct(status, 0.5), p99: pct(status, 0.99), max: Math.max(...status) };
    fig.memory = { before: before.rss, max: Math.max(...mem.map((m) => m.rss)), hwm: after.hwm, samples: mem };
    fig.alive = w.server.exitCode === undefined && !w.server.exitSignal;
    fig.nginxErrors = ngx.errors().split('\n').filter((l) => /\[(crit|alert|emerg)\]/.test(l));
    return fig;
  } finally {
    for (const c of cleanups) c();
    agent.destroy();
    await ngx.stop().catch(() => {});
    await w.close();
  }
}

export function printFigures(fig, print = console.log) {
  const mb = (b) => (b / 1048576).toFixed(0) + ' MiB';
  print(`uploads        stored ${fig.uploads.stored}, refused ${JSON.stringify(fig.uploads.refused)}; states after: ${JSON.stringify(fig.uploads.states || {})}`);
  print(`event streams  open ${fig.streams.open}, refused ${JSON.stringify(fig.streams.refused)}`);
  print(`wrong logins   ${JSON.stringify(fig.logins)}`);
  print(`all answered   ${fig.answeredMs} ms after the start`);
  print(`/healthz ms    p50 ${fig.healthz.p50?.toFixed(1)}  p99 ${fig.healthz.p99?.toFixed(1)}  max ${fig.healthz.max?.toFixed(1)}  (${fig.healthz.n} reads, failed ${JSON.stringify(fig.healthz.failed)})`);
  print(`status ms      p50 ${fig.status.p50?.toFixed(1)}  p99 ${fig.status.p99?.toFixed(1)}  max ${fig.status.max?.toFixed(1)}  (${fig.status.n} reads of one student's /api/status)`);
  print(`server RSS     ${mb(fig.memory.before)} before, max ${mb(fig.memory.max)} sampled, high-water ${mb(fig.memory.hwm)}`);
  const step = Math.max(1, Math.floor(fig.memory.samples.length / 12));
  print(`RSS over time  ${fig.memory.samples.filter((_, i) => i % step === 0).map((m) => `${(m.t / 1000).toFixed(0)}s:${mb(m.rss)}`).join('  ')}`);
}
