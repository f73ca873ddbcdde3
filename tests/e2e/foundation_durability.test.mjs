// What survives a crash: data committed before `kill -9` is there after restart (SQLite and
// PostgreSQL); a job whose server was killed mid-run is done exactly once after its lease; two
// servers on one PostgreSQL share the queue without running a job twice; SIGTERM stops cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tucai, tempDir, cleanup, pgDatabase, waitFor } from './support/server.mjs';

function jobsList(data, db, state) {
  const args = ['jobs', 'list', '--json', '--data', data];
  if (db) args.push('--db', db);
  if (state) args.push('--state', state);
  const r = tucai(args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function runsOf(data, db, id) {
  const args = ['jobs', 'runs', String(id), '--json', '--data', data];
  if (db) args.push('--db', db);
  const r = tucai(args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const kind of ['sqlite', 'postgres']) {
  test(`${kind}: a session committed before kill -9 is still valid after restart`, async () => {
    const data = tempDir();
    const db = kind === 'postgres' ? pgDatabase() : undefined;
    const args = db ? ['--db', db] : [];
    assert.equal(tucai(['user', 'add', '--data', data, ...args, '--username', 'op', '--role', 'operator'],
      { env: { TUCAI_NEW_PASSWORD: 'operator password 1' } }).status, 0);
    let s = await startServer({ data, db });
    const c = s.client();
    assert.equal((await c.post('/api/auth/login', { username: 'op', password: 'operator password 1' })).status, 200);
    await s.stop('SIGKILL');
    s = await startServer({ data, db });
    const again = s.client();
    again.cookies = c.cookies;
    again.base = s.url;
    const me = await again.get('/api/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'operator');
    await s.stop();
    cleanup(data);
  });

  test(`${kind}: a job whose server was killed mid-run is done exactly once after its lease`, async () => {
    const data = tempDir();
    const db = kind === 'postgres' ? pgDatabase() : undefined;
    const args = ['--job-lease', '2', '--workers', '1'];
    let s = await startServer({ data, db, args });
    const enq = tucai(['jobs', 'probe', '--count', '1', '--work-ms', '4000', '--data', data, ...(db ? ['--db', db] : [])]);
    assert.equal(enq.status, 0, enq.stderr);
    const [probe] = jobsList(data, db).filter((j) => j.type === 'jobs.probe');
    await waitFor(() => jobsList(data, db, 'running').some((j) => j.id === probe.id));
    await s.stop('SIGKILL');
    s = await startServer({ data, db, args });
    await waitFor(() => jobsList(data, db, 'done').some((j) => j.id === probe.id), { timeout: 30000 });
    const runs = runsOf(data, db, probe.id);
    assert.equal(runs.length, 2, JSON.stringify(runs));
    assert.equal(runs.filter((r) => r.outcome === 'done').length, 1);
    // The killed attempt never finished; the restarted process, on the same machine, saw its
    // worker's process gone, recorded it as died and took the job up without waiting the lease.
    assert.equal(runs[0].outcome, 'died');
    await s.stop();
    cleanup(data);
  });
}

test('postgres: two servers share one queue and no job runs twice', async () => {
  const db = pgDatabase();
  const a = await startServer({ db, args: ['--workers', '3', '--node', 'node-a'] });
  const b = await startServer({ db, args: ['--workers', '3', '--node', 'node-b'] });
  const n = 60;
  assert.equal(tucai(['jobs', 'probe', '--count', String(n), '--work-ms', '40', '--data', a.data, '--db', db]).status, 0);
  await waitFor(() => jobsList(a.data, db, 'done').filter((j) => j.type === 'jobs.probe').length === n, { timeout: 60000 });
  const probes = jobsList(a.data, db).filter((j) => j.type === 'jobs.probe');
  const nodes = new Set();
  for (const p of probes) {
    const runs = runsOf(a.data, db, p.id);
    assert.equal(runs.length, 1, `job ${p.id} ran ${runs.length} times`);
    assert.equal(runs[0].outcome, 'done');
    nodes.add(runs[0].worker.split('/')[0]);
  }
  assert.deepEqual([...nodes].sort(), ['node-a', 'node-b']);
  await a.stop();
  await b.stop();
  cleanup(a.data);
  cleanup(b.data);
});

test('SIGTERM: the server stops accepting, finishes, and exits 0', async () => {
  const s = await startServer();
  assert.equal((await s.client().get('/healthz')).status, 200);
  const { code } = await s.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(s.logs.some((l) => l.includes('"msg":"stopped"')));
  cleanup(s.data);
});
