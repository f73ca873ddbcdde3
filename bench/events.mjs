// bench/events: what idle server-sent-event streams cost the store, printed as numbers.
//   statements/s   tucai_store_statements_total (/metrics) over --seconds, first with no stream
//                  open, then with --streams idle streams spread over --students signed-in
//                  students, linked and paid (their status reads the whole workflow)
//   latency        /healthz and one student's GET /api/status while the streams are open
// The stream caps are raised through the environment (ignored by a build without them, so the
// same script measures the one before).
// Usage: node bench/events.mjs [--streams 200] [--students 20] [--seconds 10]  (TUCAI_BIN=build/tucai)
import { startFlowWorld } from '../tests/e2e/support/flow_world.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const nStreams = arg('streams', 200), nStudents = Math.min(arg('students', 20), nStreams), seconds = arg('seconds', 10);
process.env.TUCAI_EVENTS_PER_ACCOUNT = String(Math.ceil(nStreams / nStudents) + 1);
process.env.TUCAI_EVENTS_MAX_STREAMS = String(nStreams + 10);

const w = await startFlowWorld({ students: nStudents, args: ['--workers', '0'] });
const statements = async () => {
  const text = await (await fetch(w.server.url + '/metrics')).text();
  const m = text.match(/^tucai_store_statements_total (\d+)/m);
  if (!m) throw new Error('no tucai_store_statements_total in /metrics');
  return Number(m[1]);
};
const rate = async (secs) => {
  const a = await statements(), t = Date.now();
  await new Promise((res) => setTimeout(res, secs * 1000));
  const b = await statements();
  return (b - a - 1) / ((Date.now() - t) / 1000); // less the /metrics read itself
};
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

const ctl = new AbortController();
try {
  const students = [];
  for (let i = 1; i <= nStudents; i++) {
    const c = await w.signIn(i);
    await w.link(c, i);
    await w.pay(c);
    students.push(c);
  }
  const idle = await rate(Math.min(seconds, 5));

  let open = 0, refused = 0;
  await Promise.all(Array.from({ length: nStreams }, (_, i) => students[i % nStudents]).map(async (c) => {
    const res = await fetch(w.server.url + '/api/student/events', { headers: { cookie: c.cookieHeader() }, signal: ctl.signal });
    if (res.status !== 200) { refused++; await res.text(); return; }
    open++;
    const reader = res.body.getReader();
    (async () => { try { for (;;) if ((await reader.read()).done) break; } catch { /* aborted */ } })();
  }));
  await new Promise((res) => setTimeout(res, 1000)); // past the first status every stream sends
  const busy = await rate(seconds); // the streams alone
  const lat = { healthz: [], status: [] };
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    let t = performance.now();
    await (await fetch(w.server.url + '/healthz')).text();
    lat.healthz.push(performance.now() - t);
    t = performance.now();
    const r = await students[0].get('/api/status');
    if (r.status !== 200) throw new Error(r.text);
    lat.status.push(performance.now() - t);
    await new Promise((res) => setTimeout(res, 200));
  }
  const per = (busy - idle) / Math.max(open, 1);
  console.log(`streams open            ${open} (refused ${refused}; over ${nStudents} students, linked and paid)`);
  console.log(`store statements/s      ${idle.toFixed(1)} without streams, ${busy.toFixed(1)} with them (${per.toFixed(2)} per stream per s)`);
  console.log(`healthz ms  p50/p99/max ${pct(lat.healthz, 0.5).toFixed(1)} / ${pct(lat.healthz, 0.99).toFixed(1)} / ${Math.max(...lat.healthz).toFixed(1)}`);
  console.log(`status ms   p50/p99/max ${pct(lat.status, 0.5).toFixed(1)} / ${pct(lat.status, 0.99).toFixed(1)} / ${Math.max(...lat.status).toFixed(1)}`);
} finally {
  ctl.abort();
  await w.close();
}
