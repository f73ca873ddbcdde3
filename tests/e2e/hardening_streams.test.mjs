// Event streams (/api/student/events) an attacker or a crowd can hold: capped per student account
// (429) and per process (503), both with a JSON error and Retry-After; a closed page gives its
// place back at once; idle streams cost the store almost nothing (one watcher asks it what
// changed, instead of every stream polling), so /healthz and a student's status read still answer
// with 200 streams open; a change of the student's state still reaches their stream. Loopback
// only, bounded in time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startFlowWorld } from './support/flow_world.mjs';

const chinese = /[\u4e00-\u9fff]/;
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Opens the student's event stream; a 200 keeps reading in the background into s.events.
async function openStream(base, c) {
  const ctl = new AbortController();
  const res = await fetch(base + '/api/student/events', { headers: { cookie: c.cookieHeader() }, signal: ctl.signal });
  const s = { status: res.status, headers: res.headers, events: [], close: () => ctl.abort() };
  if (res.status !== 200) {
    s.body = JSON.parse(await res.text());
    return s;
  }
  const reader = res.body.getReader();
  let text = '';
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
        let i;
        while ((i = text.indexOf('\n\n')) >= 0) {
          const ev = {};
          for (const line of text.slice(0, i).split('\n')) {
            const k = line.indexOf(': ');
            if (k > 0) ev[line.slice(0, k)] = line.slice(k + 2);
          }
          s.events.push(ev);
          text = text.slice(i + 2);
        }
      }
    } catch { /* closed */ }
  })();
  s.waitFor = async (pred, ms = 15000) => {
    const until = Date.now() + ms;
    for (;;) {
      const e = s.events.find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error('no such event: ' + JSON.stringify(s.events).slice(0, 2000));
      await sleep(50);
    }
  };
  return s;
}

const statements = async (base) => {
  const m = (await (await fetch(base + '/metrics')).text()).match(/^tucai_store_statements_total (\d+)/m);
  assert.ok(m, 'tucai_store_statements_total in /metrics');
  return Number(m[1]);
};

function expectRefused(s, status, code) {
  assert.equal(s.status, status, JSON.stringify(s.body));
  assert.equal(s.body?.error?.code, code);
  assert.match(s.body.error.message, chinese);
  assert.ok(Number(s.headers.get('retry-after')) > 0, 'Retry-After');
}

describe('event stream caps', () => {
  let w;
  const students = [];
  before(async () => {
    w = await startFlowWorld({ students: 4, args: ['--workers', '0', '--events-per-account', '2', '--events-max-streams', '5'] });
    for (let i = 1; i <= 4; i++) students.push(await w.signIn(i));
  });
  after(async () => { if (w) await w.close(); });

  test('a change of the student\'s state reaches their open stream', async () => {
    const c = students[0];
    const s = await openStream(w.server.url, c);
    assert.equal(s.status, 200);
    await s.waitFor((e) => e.event === 'status' && JSON.parse(e.data).state === 'unlinked');
    await w.link(c, 1);
    await s.waitFor((e) => e.event === 'status' && JSON.parse(e.data).state === 'unpaid');
    await w.pay(c);
    const paid = await s.waitFor((e) => e.event === 'status' && JSON.parse(e.data).paid === true);
    assert.equal(JSON.parse(paid.data).state, 'shooting');
    s.close();
  });

  test('streams beyond the per-account cap get 429, beyond the process cap 503, both with Retry-After', async () => {
    const base = w.server.url;
    // Streams closed by the test before are let go within about a second.
    await sleep(2500);
    const open = [await openStream(base, students[0]), await openStream(base, students[0])];
    for (const s of open) assert.equal(s.status, 200);
    const third = await openStream(base, students[0]);
    expectRefused(third, 429, 'too_many_streams');
    open.push(await openStream(base, students[1]), await openStream(base, students[1]), await openStream(base, students[2]));
    for (const s of open) assert.equal(s.status, 200);
    const sixth = await openStream(base, students[3]);
    expectRefused(sixth, 503, 'server_busy');
    // A closed page gives its place back without waiting for a heartbeat.
    open.pop().close();
    await sleep(2500);
    const again = await openStream(base, students[3]);
    assert.equal(again.status, 200);
    again.close();
    for (const s of open) s.close();
  });

});

describe('200 open streams', () => {
  let w;
  before(async () => {
    w = await startFlowWorld({ students: 1, args: ['--workers', '0', '--events-per-account', '250', '--events-max-streams', '250'] });
  });
  after(async () => { if (w) await w.close(); });

  test('idle streams cost the store almost nothing; /healthz and the status read still answer', async () => {
    const c = await w.signIn(1);
    await w.link(c, 1);
    await w.pay(c);
    const base = w.server.url;
    const streams = await Promise.all(Array.from({ length: 200 }, () => openStream(base, c)));
    try {
      for (const s of streams) assert.equal(s.status, 200);
      await Promise.all(streams.map((s) => s.waitFor((e) => e.event === 'status', 30000)));
      const a = await statements(base), t = Date.now();
      const lat = { healthz: [], status: [] };
      while (Date.now() - t < 3000) {
        let t0 = performance.now();
        assert.equal((await fetch(base + '/healthz')).status, 200);
        lat.healthz.push(performance.now() - t0);
        t0 = performance.now();
        assert.equal((await c.get('/api/status')).status, 200);
        lat.status.push(performance.now() - t0);
        await sleep(100);
      }
      const b = await statements(base), secs = (Date.now() - t) / 1000;
      // The probes themselves: /healthz 1 statement, /api/status about 10, /metrics none.
      const rate = (b - a) / secs;
      const max = (xs) => Math.max(...xs).toFixed(1);
      const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1].toFixed(1);
      console.log(`200 idle streams: ${rate.toFixed(1)} store statements/s (probes included); ` +
        `healthz ms median ${med(lat.healthz)} max ${max(lat.healthz)}; status ms median ${med(lat.status)} max ${max(lat.status)}`);
      // Polling streams read the whole status every 150 ms: thousands of statements a second.
      assert.ok(rate < 300, `store statements/s with 200 idle streams: ${rate}`);
    } finally {
      for (const s of streams) s.close();
    }
  });
});
