// What commercial services offer students and schools, over HTTP against the real binary: the
// privacy notice accepted (version and time stored) before the code step; the
// collection code with the last 4 characters of the ID number, refused when they disagree; the batch
// settings max_submissions and camera_only (office, audited, clear Chinese errors); withdrawing a
// submission no reviewer has decided (audited, back to preview, resubmit); the approved photo for
// the student. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pgDatabase } from './support/server.mjs';
import { expectError, photo, rosterStudent, startFlowWorld } from './support/flow_world.mjs';

const GOOD = 'dev/deepface_img11.jpg';

for (const store of ['sqlite', 'postgres']) describe(`student choices (${store})`, () => {
  let w, rev;
  before(async () => {
    w = await startFlowWorld({ students: 2, db: store === 'postgres' ? pgDatabase() : undefined });
    rev = await w.staff('rev1');
  });
  after(async () => {
    if (!w) return;
    const log = w.server.logs.join('\n');
    await w.close();
    assert.doesNotMatch(log, /学生1|13810000001/, 'no personal data in the server log');
    assert.doesNotMatch(log, /Sanitizer|runtime error/, 'the server ran clean under the sanitizers');
  });
  const audit = (action) => JSON.parse(w.run(['audit', 'list', '--json', '--data', w.dir, ...(w.db ? ['--db', w.db] : []),
    '--action', action]));
  const codeForm = (i, last4) => {
    const f = path.join(w.dir, `choices-${i}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...rosterStudent(i), school_code: '10141', school_name: '图采测试大学' }));
    const png = path.join(w.dir, `choices-${i}.png`);
    w.run(['code', 'issue', '--key', path.join(w.dir, 'code-keys'), '--student', f, '-o', png]);
    const fd = new FormData();
    fd.append('school_id', String(w.schoolId));
    if (last4 !== undefined) fd.append('id_last4', last4);
    fd.append('code', new Blob([fs.readFileSync(png)], { type: 'image/png' }), 'code.png');
    return fd;
  };

  test('the privacy notice first, then the code with the last 4 of the ID number', async () => {
    const s = await w.signIn(1);
    const real4 = rosterStudent(1).id_number.slice(-4);
    let p = await s.get('/api/student/privacy');
    assert.equal(p.status, 200, p.text);
    assert.match(p.body.version, /\S/);
    assert.equal(p.body.accepted_at, null);
    // The text comes with its version: what is collected, why, how long, who sees it, how to delete.
    assert.deepEqual(p.body.sections.map((x) => x.title), ['收集哪些信息', '为什么收集', '保存多久', '谁能看到', '如何删除']);
    for (const x of p.body.sections) assert.ok((x.text.match(/[\u4e00-\u9fff]/g) || []).length >= 20, x.text);
    // No consent yet: the code step is refused, in Chinese.
    let r = await s.upload('/api/identity/code', codeForm(1, real4));
    expectError(r, 409, 'consent_required');
    assert.match(r.body.error.message, /隐私说明/);
    expectError(await s.post('/api/student/privacy', { version: 'old-notice' }), 409, 'consent_outdated');
    assert.equal((await s.post('/api/student/privacy', {})).status, 400, 'no version: refused');
    const t0 = Date.now();
    r = await s.post('/api/student/privacy', { version: p.body.version });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.accepted_at >= t0 - 1000 && r.body.accepted_at <= Date.now() + 1000);
    const first = r.body.accepted_at;
    r = await s.post('/api/student/privacy', { version: p.body.version });
    assert.equal(r.body.accepted_at, first, 'accepting again keeps the first time');
    p = await s.get('/api/student/privacy');
    assert.equal(p.body.accepted_at, first);
    assert.equal(audit('privacy.accept').length >= 1, true, 'the acceptance is audited');

    // The last 4: missing, malformed, or someone else's are refused before anything is claimed.
    expectError(await s.upload('/api/identity/code', codeForm(1)), 400, 'invalid_id_last4');
    expectError(await s.upload('/api/identity/code', codeForm(1, '12a4')), 400, 'invalid_id_last4');
    expectError(await s.upload('/api/identity/code', codeForm(1, 'X123')), 400, 'invalid_id_last4');
    const wrong = real4 === '0000' ? '1111' : '0000';
    r = await s.upload('/api/identity/code', codeForm(1, wrong));
    expectError(r, 422, 'id_last4_mismatch');
    assert.match(r.body.error.message, /身份证号后 4 位/);
    // Right (a trailing x is read as X).
    r = await s.upload('/api/identity/code', codeForm(1, real4.toLowerCase()));
    assert.equal(r.status, 200, r.text);
    assert.equal((await s.post('/api/identity/confirm', { claim_id: r.body.claim_id })).status, 200);
  });

  test('batch settings: at most N submissions, camera only; withdraw while undecided; the approved photo', async () => {
    // The office sets the two settings; bad values are refused in Chinese; the change is audited.
    let r = await w.op.put(`/api/office/batches/${w.batchId}/settings`, { max_submissions: 99 });
    expectError(r, 400, 'invalid_max_submissions');
    assert.match(r.body.error.message, /最多提交次数/);
    expectError(await w.op.put(`/api/office/batches/${w.batchId}/settings`, { camera_only: 'yes' }), 400, 'invalid_camera_only');
    r = await w.op.put(`/api/office/batches/${w.batchId}/settings`, { max_submissions: 1, camera_only: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.changed.sort(), ['camera_only', 'max_submissions']);
    const change = audit('batch.settings').pop();
    assert.deepEqual(change.detail.max_submissions, { old: 0, new: 1 });
    assert.deepEqual(change.detail.camera_only, { old: false, new: true });
    r = await w.op.get(`/api/batches/${w.batchId}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.camera_only, true);
    assert.equal(r.body.max_submissions, 1);

    const s = await w.signIn(2);
    await w.link(s, 2);
    await w.pay(s);
    assert.equal((await s.get('/api/student/me')).body.batch.camera_only, true);
    let st = await w.status(s);
    assert.equal(st.batch.camera_only, true);
    assert.equal(st.batch.max_submissions, 1);
    assert.equal(st.submissions_left, 1);

    r = await w.upload(s, photo(GOOD));
    assert.equal(r.status, 202, r.text);
    const a = await w.preview(s, r.body.attempt.id);
    assert.equal(a.state, 'ready');
    expectError(await s.post('/api/photos/withdraw', {}), 409, 'not_in_review');
    r = await s.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true });
    assert.equal(r.status, 201, r.text);
    const sub1 = r.body.submission.submission_id;
    st = await w.status(s);
    assert.equal(st.state, 'in_review');
    assert.equal(st.can_withdraw, true);
    assert.equal(st.submissions_left, 0);

    // A reviewer has it open (a claim, no decision): the student may still withdraw; the reviewer's
    // decision then finds nothing pending.
    assert.equal((await rev.post(`/api/review/items/${sub1}/claim`, {})).status, 200);
    r = await s.post('/api/photos/withdraw', {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.withdrawn.submission_id, sub1);
    const approveLate = await rev.post(`/api/review/items/${sub1}/approve`, {});
    assert.ok(approveLate.status >= 400 && approveLate.status < 500, approveLate.text);
    st = await w.status(s);
    assert.equal(st.state, 'ready', 'back to preview with the same photo');
    assert.equal(st.attempt.id, a.id);
    assert.equal(st.can_submit, true);
    assert.equal(st.submissions_left, 1, 'a withdrawn submission does not count');
    expectError(await s.post('/api/photos/withdraw', {}), 409, 'not_in_review');
    const w1 = audit('submission.withdraw');
    assert.equal(w1.length, 1);
    assert.equal(w1[0].object_id, sub1);
    assert.ok(!(await rev.get('/api/review/queue')).body.items.some((i) => i.id === sub1), 'gone from the queue');

    // Resubmit the same photo; the reviewer rejects; the limit (1) is reached.
    r = await s.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true });
    assert.equal(r.status, 201, r.text);
    const sub2 = r.body.submission.submission_id;
    assert.equal((await rev.post(`/api/review/items/${sub2}/claim`, {})).status, 200);
    assert.equal((await rev.post(`/api/review/items/${sub2}/reject`, { reasons: ['佩戴眼镜'] })).status, 200);
    expectError(await s.post('/api/photos/withdraw', {}), 409, 'not_in_review');
    r = await w.upload(s, photo(GOOD));
    const b = await w.preview(s, r.body.attempt.id);
    r = await s.post('/api/photos/submit', { attempt_id: b.id, confirm_warnings: true });
    expectError(r, 409, 'submissions_used_up');
    assert.match(r.body.error.message, /最多提交 1 次/);

    // The office allows two: the resubmission goes through and is approved; the student sees it.
    assert.equal((await w.op.put(`/api/office/batches/${w.batchId}/settings`, { max_submissions: 2 })).status, 200);
    r = await s.post('/api/photos/submit', { attempt_id: b.id, confirm_warnings: true });
    assert.equal(r.status, 201, r.text);
    const sub3 = r.body.submission.submission_id;
    assert.equal(r.body.submission.resubmission, true);
    assert.equal((await rev.post(`/api/review/items/${sub3}/claim`, {})).status, 200);
    assert.equal((await rev.post(`/api/review/items/${sub3}/approve`, {})).status, 200);
    expectError(await s.post('/api/photos/withdraw', {}), 409, 'not_in_review');
    st = await w.status(s);
    assert.equal(st.state, 'approved');
    assert.equal(st.approved_attempt_id, b.id);
    const img = await s.get(`/api/photos/attempts/${b.id}/standardized`);
    assert.equal(img.status, 200);
    assert.deepEqual([...img.raw.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    // The settings back to their defaults for the other tests of this world.
    assert.equal((await w.op.put(`/api/office/batches/${w.batchId}/settings`, { max_submissions: 0, camera_only: false })).status, 200);
  });

  test('after the window closes a submission in review cannot be withdrawn (it could not come back)', async () => {
    const s = await w.signIn(1); // linked in the first test
    await w.pay(s);
    let r = await w.upload(s, photo(GOOD));
    const a = await w.preview(s, r.body.attempt.id);
    assert.equal((await s.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true })).status, 201);
    assert.equal((await w.status(s)).can_withdraw, true);
    const day = 24 * 3600e3, b = (await w.op.get(`/api/batches/${w.batchId}`)).body;
    r = await w.op.put(`/api/office/batches/${w.batchId}/settings`, { window_start: Date.now() - 3 * day, window_end: Date.now() - day });
    assert.equal(r.status, 200, r.text);
    try {
      assert.equal((await w.status(s)).can_withdraw, false);
      expectError(await s.post('/api/photos/withdraw', {}), 409, 'window_closed');
      assert.equal((await w.status(s)).state, 'in_review', 'still in review');
    } finally {
      const back = await w.op.put(`/api/office/batches/${w.batchId}/settings`, { window_start: b.window_start, window_end: b.window_end });
      assert.equal(back.status, 200, back.text);
    }
  });
});
