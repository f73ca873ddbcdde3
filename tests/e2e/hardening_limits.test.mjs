// Limits an attacker meets over HTTP: staff passwords and students' sign-in codes are throttled
// per account and per address with growing locks (429, JSON, Retry-After), even for parallel
// guesses; parallel code requests cannot pass the send limit; a student's support messages are
// capped; reviewers see only their school's batches and a student only their own batch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cleanup, readJsonLines, startServer, tempDir, tucai } from './support/server.mjs';

const ok = (r) => { assert.equal(r.status, 0, r.stderr); return r; };
const chinese = /[\u4e00-\u9fff]/;

function expect429(r, code) {
  assert.equal(r.status, 429, r.text);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.match(r.body.error.message, chinese);
}

describe('throttles, quotas and scoping', () => {
  let dir, srv, op;
  const ids = {};

  before(async () => {
    dir = tempDir('tucai-limits-');
    ok(tucai(['code', 'keygen', '--out', path.join(dir, 'code-keys')]));
    const add = (u, role, extra = []) => ok(tucai(['user', 'add', '--username', u, '--role', role, '--data', dir, ...extra],
      { env: { TUCAI_NEW_PASSWORD: `${u}-password-123` } }));
    add('op', 'operator');
    add('alice', 'reviewer');
    add('bob', 'reviewer');
    srv = await startServer({ data: dir, args: ['--workers', '0', '--sms-sender', 'outbox', '--otp-resend', '0',
      '--otp-phone-per-hour', '4', '--otp-ip-per-hour', '1000', '--login-max-failures', '3', '--login-lock-s', '2',
      '--otp-verify-max-failures', '3', '--support-per-hour', '2'] });
    op = srv.client();
    assert.equal((await op.post('/api/auth/login', { username: 'op', password: 'op-password-123' })).status, 200);
    for (const [k, code] of [['a', '10141'], ['b', '10142']]) {
      const s = await op.post('/api/schools', { code, name: `学校${k}` });
      assert.equal(s.status, 201, s.text);
      const b = await op.post('/api/batches', { school_id: s.body.id, name: `补采${k}`, profile: 'chsi-blue',
        window_start: Date.now() - 1000, window_end: Date.now() + 86400000 });
      assert.equal(b.status, 201, b.text);
      ids[k] = { school: s.body.id, batch: b.body.id };
    }
    // A reviewer assigned to school a (made after the school exists).
    add('carol', 'reviewer', ['--school', String(ids.a.school)]);
  });

  after(async () => {
    if (srv) await srv.stop();
    cleanup(dir);
  });

  const code = (phone) => readJsonLines(fs.readFileSync(path.join(dir, 'sms-outbox.jsonl'), 'utf8'))
    .filter((m) => m.to === phone).pop().code;

  test('wrong staff passwords lock the account with growing waits, 429 + Retry-After', async () => {
    const c = srv.client();
    for (let i = 0; i < 3; i++) {
      const r = await c.post('/api/auth/login', { username: 'alice', password: 'wrong-password-1' });
      assert.equal(r.status, 401, r.text);
    }
    // Locked now: even the right password is not checked.
    let r = await c.post('/api/auth/login', { username: 'alice', password: 'alice-password-123' });
    expect429(r, 'too_many_attempts');
    // The lock started at the third failure: 2 s, of which some passed (Argon2id under ASan).
    const first = Number(r.headers.get('retry-after'));
    assert.ok(first >= 1 && first <= 2, `Retry-After ${first}`);
    // Other accounts are not affected by alice's lock.
    assert.equal((await srv.client().post('/api/auth/login', { username: 'bob', password: 'bob-password-123' })).status, 200);
    await new Promise((res) => setTimeout(res, 2100));
    // One more wrong one after the lock: the next lock is twice as long.
    r = await c.post('/api/auth/login', { username: 'alice', password: 'wrong-password-1' });
    assert.equal(r.status, 401, r.text);
    r = await c.post('/api/auth/login', { username: 'alice', password: 'alice-password-123' });
    expect429(r, 'too_many_attempts');
    const second = Number(r.headers.get('retry-after'));
    assert.ok(second > 2 && second <= 4, `Retry-After ${second}: twice the first lock`);
    await new Promise((res) => setTimeout(res, 4100));
    r = await c.post('/api/auth/login', { username: 'alice', password: 'alice-password-123' });
    assert.equal(r.status, 200, r.text);
  });

  test('parallel password guesses cannot pass the limit', async () => {
    const rs = await Promise.all(Array.from({ length: 12 }, () =>
      srv.client().post('/api/auth/login', { username: 'nobody', password: 'guess-password-1' })));
    assert.equal(rs.filter((r) => r.status === 401).length, 3, rs.map((r) => r.status).join(','));
    assert.equal(rs.filter((r) => r.status === 429).length, 9);
  });

  test('parallel code requests for one phone: exactly the limit is sent', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, () => srv.client().post('/api/student/otp', { phone: '13700000009' })));
    assert.equal(rs.filter((r) => r.status === 200).length, 4, rs.map((r) => r.status).join(','));
    for (const r of rs.filter((x) => x.status !== 200)) expect429(r, 'otp_phone_limit');
  });

  test('wrong sign-in codes are throttled per phone across new codes', async () => {
    const st = srv.client();
    const phone = '13700000002';
    for (let i = 0; i < 3; i++) {
      assert.equal((await st.post('/api/student/otp', { phone })).status, 200);
      const wrong = String((Number(code(phone)) + 1) % 1000000).padStart(6, '0');
      const r = await st.post('/api/student/login', { phone, code: wrong });
      assert.equal(r.status, 400, r.text);
    }
    assert.equal((await st.post('/api/student/otp', { phone })).status, 200);
    const r = await st.post('/api/student/login', { phone, code: code(phone) });
    expect429(r, 'too_many_attempts');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });

  test('a student sends at most support_per_hour messages', async () => {
    const st = srv.client();
    const phone = '13700000003';
    assert.equal((await st.post('/api/student/otp', { phone })).status, 200);
    assert.equal((await st.post('/api/student/login', { phone, code: code(phone) })).status, 200);
    const send = (t) => { const fd = new FormData(); fd.append('body', t); return st.upload('/api/support/messages', fd); };
    assert.equal((await send('一')).status, 201);
    assert.equal((await send('二')).status, 201);
    expect429(await send('三'), 'support_quota_hour');
  });

  test('reviewers assigned to a school list only its batches; students read no other batch', async () => {
    const carol = srv.client();
    assert.equal((await carol.post('/api/auth/login', { username: 'carol', password: 'carol-password-123' })).status, 200);
    let r = await carol.get('/api/batches');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.batches.map((b) => b.id), [ids.a.batch]);
    r = await carol.get(`/api/batches?school_id=${ids.b.school}`);
    assert.deepEqual(r.body.batches.map((b) => b.id), [ids.a.batch]);
    assert.equal((await carol.get(`/api/batches/${ids.b.batch}`)).status, 404);
    assert.equal((await carol.get(`/api/batches/${ids.a.batch}`)).status, 200);
    // An unassigned reviewer (the vendor's staff) and the operator see all.
    const bob = srv.client();
    assert.equal((await bob.post('/api/auth/login', { username: 'bob', password: 'bob-password-123' })).status, 200);
    assert.equal((await bob.get('/api/batches')).body.batches.length, 2);
    // A number in the query that is not one is refused by name, not read as 0 (which lists all).
    for (const q of ['/api/batches?school_id=abc', '/api/batches?school_id=1x', '/api/batches?school_id=-1',
      `/api/batches/${ids.a.batch}/roster?limit=5000`, `/api/batches/${ids.a.batch}/roster?offset=-3`,
      `/api/batches/${ids.a.batch}/roster?limit=`]) {
      r = await op.get(q);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'invalid_query', q);
      assert.match(r.body.error.message, /^参数 \w+ 应为/, q);
    }
    assert.equal((await op.get(`/api/batches?school_id=${ids.b.school}`)).body.batches.length, 1);
    assert.equal((await op.get(`/api/batches/${ids.a.batch}/roster?limit=1000&offset=0`)).status, 200);

    // A student who is linked to no record reads no batch.
    const st = srv.client();
    const phone = '13700000004';
    assert.equal((await st.post('/api/student/otp', { phone })).status, 200);
    assert.equal((await st.post('/api/student/login', { phone, code: code(phone) })).status, 200);
    r = await st.get(`/api/batches/${ids.a.batch}`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'batch_not_found');
    assert.match(r.body.error.message, chinese);
  });
});
