// Monitoring (deploy/prometheus/, deploy/grafana/): the alert rules load (promtool check rules),
// fire on the numbers they should and stay quiet otherwise (promtool test rules,
// tests/data/prometheus/tucai-alerts.test.yml), a live server's /metrics passes promtool's lint
// (promtool check metrics), every metric and route the rules and the dashboard use is one /metrics
// exposes, and the gauges tell the truth: a job nobody claims ages, the disk numbers are the disk's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SOURCE, startServer, tucai } from './support/server.mjs';

const RULES = path.join(SOURCE, 'deploy/prometheus/tucai-alerts.yml');
const DASHBOARD = path.join(SOURCE, 'deploy/grafana/tucai-dashboard.json');

function promtool(args, input) {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (r.error) throw new Error('promtool is missing: Debian package prometheus (scripts/packages.txt)');
  return r;
}

// The metric names a PromQL text uses (histogram series reduced to their family).
const metricNames = (text) => new Set([...text.matchAll(/\btucai_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));

let server;
after(async () => { if (server) await server.stop(); });

test('the alert rules load and fire on the numbers they watch', () => {
  let r = promtool(['check', 'rules', RULES]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  r = promtool(['test', 'rules', path.join(SOURCE, 'tests/data/prometheus/tucai-alerts.test.yml')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a live /metrics passes promtool and has every metric the rules and the dashboard use', async () => {
  server = await startServer({ args: ['--workers', '0'] });
  const c = server.client();
  // The routes the rules watch get their series (whatever the answer).
  await c.upload('/api/photos', new FormData());
  await c.request('POST', '/api/pay/wechatpay/notify', { body: '{}', headers: { 'content-type': 'application/json' }, csrf: false });
  // A job due now that no worker claims (this server runs none).
  const q = tucai(['jobs', 'enqueue', 'jobs.probe', '{"work_ms":1}', '--data', server.data]);
  assert.equal(q.status, 0, q.stderr);
  await new Promise((r) => setTimeout(r, 1200));
  const res = await c.get('/metrics');
  assert.equal(res.status, 200);
  const text = res.text;
  const lint = promtool(['check', 'metrics'], text);
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  assert.equal((lint.stdout + lint.stderr).trim(), '', 'no lint remarks');

  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
  for (const [what, source] of [['rules', readFileSync(RULES, 'utf8')], ['dashboard', exprs]])
    for (const name of metricNames(source)) assert.ok(exposed.has(name), `${what} use ${name}, which /metrics does not expose`);
  assert.match(text, /tucai_http_requests_total\{route="\/api\/photos",method="POST",status="4xx"\} 1/);
  assert.match(text, /tucai_http_requests_total\{route="\/api\/pay\/wechatpay\/notify",method="POST",status="[45]xx"\}/);

  const value = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))[1]);
  assert.ok(value('tucai_jobs_oldest_queued_seconds') >= 1, text);
  assert.ok(value('tucai_data_disk_size_bytes') > 0);
  assert.ok(value('tucai_data_disk_free_bytes') <= value('tucai_data_disk_size_bytes'));
  for (const s of ['ready', 'refused', 'failed', 'processing']) assert.match(text, new RegExp(`tucai_attempts_recent\\{state="${s}"\\} 0`));
  assert.match(text, /tucai_review_overdue 0/);
});
