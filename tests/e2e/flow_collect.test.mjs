// The collection workflow end to end over HTTP against the real binary: sign in, link, pay (mock
// provider), upload, preview, retake, submit, reviewer claims, reject with reasons, free retake,
// resubmission first in the queue, approve, notifications, status at each step; and every illegal
// move refused. Runs on SQLite with photo files in the data directory, and on PostgreSQL with the
// photos in the database itself.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pgDatabase } from './support/server.mjs';
import { expectError, photo, startFlowWorld } from './support/flow_world.mjs';

const FAILING = 'dev/deepface_img1.jpg'; // the checks find hard failures in it
const GOOD = 'dev/deepface_img11.jpg';
const RETAKE = 'dev/deepface_img12.jpg';

for (const store of ['sqlite', 'postgres']) describe(`collection workflow (${store})`, () => {
  let w, s1, s2, rev1, rev2, rev3;
  before(async () => {
    const db = store === 'postgres' ? pgDatabase() : undefined;
    w = await startFlowWorld({ students: 3, db, args: ['--notify-scan-interval', '1', '--blob-store', store === 'postgres' ? 'db' : 'dir'] });
    rev1 = await w.staff('rev1');
    rev2 = await w.staff('rev2');
    rev3 = await w.staff('rev3');
  });
  after(async () => {
    if (!w) return;
    const srv = w.server;
    await w.close();
    const log = srv.logs.join('\n');
    assert.doesNotMatch(log, /学生1|13810000001/, 'no personal data in the server log');
    assert.doesNotMatch(log, /Sanitizer|runtime error/, 'the server ran clean under the sanitizers');
  });

  test('the whole path, status right at each step', async () => {
    s1 = await w.signIn(1);
    assert.equal((await w.status(s1)).label, '待认证');
    expectError(await w.upload(s1, photo(GOOD)), 409, 'not_linked');
    await w.link(s1, 1);
    let st = await w.status(s1);
    assert.equal(st.label, '待缴费');
    expectError(await w.upload(s1, photo(GOOD)), 402, 'not_paid');
    await w.pay(s1);
    st = await w.status(s1);
    assert.equal(st.label, '待拍摄');
    assert.equal(st.can_upload, true);

    // Hostile uploads: no file, not an image.
    expectError(await s1.upload('/api/photos', new FormData()), 400, 'missing_file');
    expectError(await w.upload(s1, Buffer.from('%PDF-1.4 not a photo at all')), 415, 'not_an_image');

    // A photo with hard-failing checks: preview with messages, submit refused.
    let r = await w.upload(s1, photo(FAILING));
    assert.equal(r.status, 202, r.text);
    let a = await w.preview(s1, r.body.attempt.id);
    assert.equal(a.state, 'ready', JSON.stringify(a));
    assert.ok(a.fails > 0, 'the checks fail this photo');
    const failing = a.checks.filter((c) => c.status === 'fail');
    assert.ok(failing.length && failing.every((c) => /[\u4e00-\u9fff]/.test(c.message)), 'each failure says why in Chinese');
    assert.equal((await w.status(s1)).label, '待提交');
    expectError(await s1.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true }), 409, 'checks_failed');

    // Retake: the preview of a good photo, the standardized JPEG readable by its owner.
    const t0 = Date.now();
    r = await w.upload(s1, photo(GOOD));
    assert.equal(r.status, 202, r.text);
    a = await w.preview(s1, r.body.attempt.id);
    console.log(`upload to preview: ${Date.now() - t0} ms (engine ${a.engine_ms} ms)`);
    assert.equal(a.state, 'ready');
    assert.equal(a.fails, 0, JSON.stringify(a.checks.filter((c) => c.status === 'fail')));
    const img = await s1.get(a.images.standardized);
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...img.raw.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const orig = await s1.get(a.images.original);
    assert.ok(orig.raw.equals(photo(GOOD)), 'the original comes back byte for byte');
    // Encrypted at rest: no stored object contains the JPEG's bytes.
    if (store === 'sqlite') {
      const files = fs.readdirSync(path.join(w.dir, 'blobs'), { recursive: true }).map((f) => path.join(w.dir, 'blobs', f))
        .filter((f) => fs.statSync(f).isFile());
      assert.ok(files.length >= 4);
      const probe = photo(GOOD).subarray(1000, 1064);
      for (const f of files) assert.ok(!fs.readFileSync(f).includes(probe), 'photo stored in the clear');
    }

    // Warnings need an explicit confirmation.
    if (a.warns > 0) expectError(await s1.post('/api/photos/submit', { attempt_id: a.id }), 409, 'confirm_warnings');
    expectError(await s1.post('/api/photos/submit', { attempt_id: a.id - 1, confirm_warnings: true }), 409, 'not_latest');
    r = await s1.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true });
    assert.equal(r.status, 201, r.text);
    const sub1 = r.body.submission;
    assert.ok(sub1.expected_decision_at > Date.now() + 24 * 3600e3, 'two working days ahead');
    st = await w.status(s1);
    assert.equal(st.label, '审核中');
    assert.equal(st.expected_decision_at, sub1.expected_decision_at);
    // Nothing changes in review.
    expectError(await w.upload(s1, photo(RETAKE)), 409, 'in_review');
    expectError(await s1.post('/api/photos/submit', { confirm_warnings: true }), 409, 'in_review');

    // A second student submits too (first submission, not a resubmission).
    s2 = await w.signIn(2);
    await w.link(s2, 2);
    await w.pay(s2);
    r = await w.upload(s2, photo(RETAKE));
    const a2 = await w.preview(s2, r.body.attempt.id);
    assert.equal(a2.fails, 0);
    r = await s2.post('/api/photos/submit', { confirm_warnings: true });
    assert.equal(r.status, 201, r.text);
    const sub2 = r.body.submission;

    // Reviewers: the other school's sees nothing; decide without a claim; two on one item.
    assert.equal((await rev3.get('/api/review/queue')).body.items.length, 0);
    expectError(await rev3.post(`/api/review/items/${sub1.submission_id}/claim`, {}), 404, 'item_not_found');
    expectError(await rev3.get(a.images.standardized), 404, 'photo_not_found');
    let q = (await rev1.get('/api/review/queue')).body.items;
    assert.deepEqual(q.map((x) => x.id), [sub1.submission_id, sub2.submission_id]);
    expectError(await rev1.post(`/api/review/items/${sub1.submission_id}/approve`, {}), 409, 'not_claimed');
    r = await rev1.post(`/api/review/items/${sub1.submission_id}/claim`, {});
    assert.equal(r.status, 200, r.text);
    expectError(await rev2.post(`/api/review/items/${sub1.submission_id}/claim`, {}), 409, 'claimed');
    expectError(await rev2.post(`/api/review/items/${sub1.submission_id}/approve`, {}), 409, 'not_claimed');
    // Release and claim by the other works.
    assert.equal((await rev1.post(`/api/review/items/${sub1.submission_id}/release`, {})).status, 200);
    assert.equal((await rev2.post(`/api/review/items/${sub1.submission_id}/claim`, {})).status, 200);
    expectError(await rev1.post(`/api/review/items/${sub1.submission_id}/reject`, { reasons: ['佩戴眼镜'] }), 409, 'not_claimed');

    // The item: standardized, original, earlier attempts, checks with regions.
    const item = (await rev2.get(`/api/review/items/${sub1.submission_id}`)).body.item;
    assert.equal(item.attempt.id, a.id);
    assert.equal(item.earlier_attempts.length, 1);
    assert.ok(item.earlier_attempts[0].fails > 0);
    assert.ok(item.attempt.checks.some((c) => Array.isArray(c.region)), 'check results carry regions');
    assert.equal((await rev2.get(item.attempt.images.original)).status, 200);

    // Reject: reasons required and from the list; 其他 needs its text.
    expectError(await rev2.post(`/api/review/items/${sub1.submission_id}/reject`, {}), 400, 'reason_required');
    expectError(await rev2.post(`/api/review/items/${sub1.submission_id}/reject`, { reasons: ['太丑'] }), 400, 'unknown_reason');
    expectError(await rev2.post(`/api/review/items/${sub1.submission_id}/reject`, { reasons: ['其他'] }), 400, 'other_text_required');
    r = await rev2.post(`/api/review/items/${sub1.submission_id}/reject`, { reasons: ['光线不均', '其他'], other: '背景有阴影', note: '请在白墙前正面拍摄' });
    assert.equal(r.status, 200, r.text);
    expectError(await rev2.post(`/api/review/items/${sub1.submission_id}/approve`, {}), 409, 'not_claimed');
    st = await w.status(s1);
    assert.equal(st.label, '已驳回');
    assert.deepEqual(st.rejection.reasons, ['光线不均', '其他：背景有阴影']);
    assert.equal(st.rejection.note, '请在白墙前正面拍摄');
    assert.equal(st.free_retake, true);
    assert.equal(st.can_upload, true);

    // Free retake (no new order) and resubmission: it goes to the front of the queue.
    r = await w.upload(s1, photo(RETAKE));
    assert.equal(r.status, 202, r.text);
    a = await w.preview(s1, r.body.attempt.id);
    assert.equal((await w.status(s1)).label, '待提交');
    r = await s1.post('/api/photos/submit', { confirm_warnings: true });
    assert.equal(r.status, 201, r.text);
    const sub3 = r.body.submission;
    assert.equal(sub3.resubmission, true);
    q = (await rev1.get('/api/review/queue')).body.items;
    assert.deepEqual(q.map((x) => x.id), [sub3.submission_id, sub2.submission_id]);

    // Approve; approved is final.
    assert.equal((await rev1.post(`/api/review/items/${sub3.submission_id}/claim`, {})).status, 200);
    r = await rev1.post(`/api/review/items/${sub3.submission_id}/approve`, { note: '' });
    assert.equal(r.status, 200, r.text);
    st = await w.status(s1);
    assert.equal(st.label, '已通过');
    assert.equal(st.can_upload, false);
    expectError(await w.upload(s1, photo(GOOD)), 409, 'approved_final');
    expectError(await s1.post('/api/photos/submit', { confirm_warnings: true }), 409, 'approved_final');
    const hist = (await rev1.get(`/api/review/items/${sub3.submission_id}`)).body.item;
    assert.deepEqual(hist.decisions.map((d) => d.decision), ['rejected', 'approved']);

    // Notifications: payment received, rejected, approved, in the inbox and pushed over SSE.
    const inbox = await waitForInbox(s1, ['payment_received', 'rejected', 'approved']);
    assert.ok(inbox.unread >= 3);
    const events = await readEvents(w.server.url, s1, 2000);
    if (process.env.FLOW_DEBUG) console.log(JSON.stringify(events).slice(0, 3000));
    assert.ok(events.some((e) => e.event === 'inbox' && JSON.parse(e.data).kind === 'approved'));
    assert.ok(events.some((e) => e.event === 'status' && JSON.parse(e.data).label === '已通过'));
    r = await s1.post('/api/inbox/read', { up_to: inbox.items.at(-1).id });
    assert.equal(r.body.unread, 0);
  });

  test('a student cannot read another student\'s photo or status', async () => {
    const s3 = await w.signIn(3);
    const mine = (await w.status(s1)).attempt;
    for (const p of [`/api/photos/attempts/${mine.id}`, mine.images.standardized, mine.images.original])
      assert.equal((await s3.get(p)).status, 404, p);
    assert.equal((await s3.get('/api/status')).body.label, '待认证', 'status is always one\'s own');
    assert.equal((await s3.get('/api/review/queue')).status, 403);
    assert.equal((await s3.get('/api/photos/attempts/abc')).status, 404);
  });

  test('operator override of an approved record needs a reason and is audited; support threads', async () => {
    const rec = (await rev1.get('/api/review/queue')).body.items;
    assert.ok(Array.isArray(rec));
    const st = await w.status(s1);
    const item = (await rev1.get(`/api/review/items/${st.submission.id}`)).body.item;
    expectError(await rev1.post(`/api/ops/records/${item.record_id}/override`, { reason: 'x' }), 403, 'forbidden');
    expectError(await w.op.post(`/api/ops/records/${item.record_id}/override`, { reason: '' }), 400, 'reason_required');
    let r = await w.op.post(`/api/ops/records/${item.record_id}/override`, { reason: '学校要求更换照片' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await w.status(s1)).can_upload, true);

    // Support: the student writes with an image; the operator sees unread and the status, replies.
    const fd = new FormData();
    fd.append('body', '照片背景是否合格？');
    fd.append('image', new Blob([photo(GOOD)], { type: 'image/jpeg' }), 'q.jpg');
    r = await s1.upload('/api/support/messages', fd);
    assert.equal(r.status, 201, r.text);
    expectError(await s1.upload('/api/support/messages', new FormData()), 400, 'empty_message');
    const threads = (await w.op.get('/api/ops/support/threads')).body.threads;
    const t = threads.find((x) => x.unread === 1);
    assert.ok(t, JSON.stringify(threads));
    assert.match(t.status_label, /待/);
    const thread = (await w.op.get(`/api/ops/support/threads/${t.account_id}`)).body;
    assert.equal(thread.messages[0].body, '照片背景是否合格？');
    const att = await w.op.get(thread.messages[0].attachment);
    assert.ok(att.raw.equals(photo(GOOD)));
    assert.equal((await s2.get(thread.messages[0].attachment)).status, 404, 'another student cannot read it');
    const reply = new FormData();
    reply.append('body', '合格，请直接提交。');
    assert.equal((await w.op.upload(`/api/ops/support/threads/${t.account_id}`, reply)).status, 201);
    assert.equal((await w.op.get('/api/ops/support/threads')).body.threads.find((x) => x.account_id === t.account_id).unread, 0);
    const mine = (await s1.get('/api/support/messages')).body.messages;
    assert.equal(mine.at(-1).from, 'operator');
    await waitForInbox(s1, ['support_reply']);
  });
});

async function waitForInbox(c, kinds, timeout = 15000) {
  const until = Date.now() + timeout;
  for (;;) {
    const r = await c.get('/api/inbox');
    assert.equal(r.status, 200, r.text);
    const have = new Set(r.body.items.map((m) => m.kind));
    if (kinds.every((k) => have.has(k))) return r.body;
    if (Date.now() > until) throw new Error(`inbox has ${[...have]} not ${kinds}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

// Reads the student's event stream for `ms` and returns the parsed events.
async function readEvents(base, c, ms) {
  const ctl = new AbortController();
  const res = await fetch(base + '/api/student/events', { headers: { cookie: c.cookieHeader() }, signal: ctl.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  const reader = res.body.getReader();
  let text = '';
  const timer = setTimeout(() => ctl.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
  } catch { /* aborted */ }
  clearTimeout(timer);
  return text.split('\n\n').filter(Boolean).map((block) => {
    const ev = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf(': ');
      if (i > 0) ev[line.slice(0, i)] = line.slice(i + 2);
    }
    return ev;
  });
}
