// Staff screens that name the student (item 6), through the API: the reviewer's item
// carries the roster's name and number; the school office's not-done list names its own students
// in full with the phone they signed in with, and 提醒 sends one message per day through the inbox
// (audited, other schools' offices cannot); the operator's support thread carries the student, the
// order and the latest photo, and a reply clears the unread count; the labels' sender is the
// school office's to set. Every view is in the audit log, which itself holds no name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectError, photo, rosterStudent, startFlowWorld } from './support/flow_world.mjs';

test('reviewer, office and support see who the student is; reminders are limited and audited', async () => {
  const w = await startFlowWorld({ students: 3 });
  try {
    const audit = (...args) => JSON.parse(w.run(['audit', 'list', '--json', '--data', w.dir, ...args]));
    const addUser = (u, role, school) => w.run(['user', 'add', '--username', u, '--role', role, '--name', u, '--data', w.dir, '--school', String(school)],
      { TUCAI_NEW_PASSWORD: `${u}-password-1` });
    addUser('office', 'school_admin', w.schoolId);
    addUser('office2', 'school_admin', w.otherSchoolId);

    // Student 1 submits a photo; student 2 has paid; student 3 never signed in.
    const s1 = await w.signIn(1);
    await w.link(s1, 1);
    await w.pay(s1);
    const up = await w.upload(s1, photo('dev/hivision_test3.jpg'));
    assert.equal(up.status, 202, up.text);
    const a = await w.preview(s1, up.body.attempt.id);
    assert.equal(a.state, 'ready', JSON.stringify(a));
    assert.equal((await s1.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true })).status, 201);
    const s2 = await w.signIn(2);
    await w.link(s2, 2);
    await w.pay(s2);

    // The reviewer: name and number from the roster, with the item.
    const rev = await w.staff('rev1');
    const [q] = (await rev.get('/api/review/queue')).body.items;
    const item = (await rev.get(`/api/review/items/${q.id}`)).body.item;
    assert.deepEqual(item.student, { name: '学生1', student_no: rosterStudent(1).student_no, college: '化工学院', major: '化学工程与技术', degree: '硕士' });
    assert.equal(audit('--action', 'review.view', '--object-id', String(q.id)).length, 1);

    // The office: its roster in full, phones of those who signed in.
    const office = await w.staff('office');
    const list = (await office.get(`/api/office/batches/${w.batchId}/pending`)).body.students;
    const by = Object.fromEntries(list.map((x) => [x.student_no, x]));
    assert.equal(by[rosterStudent(1).student_no].name, '学生1');
    assert.equal(by[rosterStudent(1).student_no].status, 'submitted');
    assert.equal(by[rosterStudent(2).student_no].phone, s2.phone);
    assert.equal(by[rosterStudent(2).student_no].status_label, '已缴费');
    assert.equal(by[rosterStudent(2).student_no].can_remind, true);
    assert.equal(by[rosterStudent(3).student_no].phone, '');
    assert.equal(by[rosterStudent(3).student_no].can_remind, false);
    const csv = (await office.get(`/api/office/batches/${w.batchId}/pending?format=csv`)).text;
    assert.match(csv, /学生2/);
    assert.ok(!csv.includes(s2.phone), 'phones stay on the screen, not in files');

    // 提醒: one message, then 429 for a day; another school's office cannot; nobody to write to: 409.
    const remind = (c, rec) => c.post(`/api/office/batches/${w.batchId}/pending/${rec}/remind`);
    const r2 = by[rosterStudent(2).student_no].record_id;
    expectError(await remind(await w.staff('office2'), r2), 404, 'batch_not_found');
    expectError(await remind(office, by[rosterStudent(3).student_no].record_id), 409, 'not_linked');
    expectError(await remind(office, 999999), 404, 'record_not_found');
    let r = await remind(office, r2);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.next_at - r.body.sent_at >= 86400e3 - 1);
    r = await remind(office, r2);
    expectError(r, 429, 'reminded_recently');
    assert.match(r.body.error.message, /小时后才能再次提醒/);
    const inbox = (await s2.get('/api/inbox')).body.items.filter((m) => m.kind === 'reminder');
    assert.equal(inbox.length, 1);
    assert.match(inbox[0].body, /学校提醒.*已缴费.*请拍摄并提交照片.*采集截止到\d+月\d+日/);
    assert.ok((await office.get(`/api/office/batches/${w.batchId}/pending`)).body.students.find((x) => x.record_id === r2).reminded_at > 0);
    const reminded = audit('--action', 'office.remind');
    assert.equal(reminded.length, 1);
    assert.equal(reminded[0].object_id, r2);
    assert.equal(reminded[0].actor_role, 'school_admin');

    // Support: the operator replies without opening the thread: the unread count clears.
    const fd = new FormData();
    fd.append('body', '我的照片审核要多久？');
    assert.equal((await s1.upload('/api/support/messages', fd)).status, 201);
    let threads = (await w.op.get('/api/ops/support/threads')).body.threads;
    assert.equal(threads[0].unread, 1);
    assert.equal(threads[0].student.name, '学生1');
    const reply = new FormData();
    reply.append('body', '两个工作日内。');
    assert.equal((await w.op.upload(`/api/ops/support/threads/${threads[0].account_id}`, reply)).status, 201);
    threads = (await w.op.get('/api/ops/support/threads')).body.threads;
    assert.equal(threads[0].unread, 0, 'a reply answers what came before it');
    const t = (await w.op.get(`/api/ops/support/threads/${threads[0].account_id}`)).body;
    assert.equal(t.student.student_no, rosterStudent(1).student_no);
    assert.equal(t.order.state, 'paid');
    assert.equal(t.status.label, '审核中');
    assert.match(t.status.attempt.images.standardized, /\/api\/photos\/attempts\/\d+\/standardized/);
    assert.match(t.phone_masked, /\*/);
    assert.equal(audit('--action', 'support.thread.view').length, 1);
    assert.ok(audit('--action', 'support.threads.view').length >= 2);
    expectError(await w.op.get('/api/ops/support/threads/999999'), 404, 'account_not_found');

    // The labels' sender: the school's own office may set it, another school's may not, and a
    // reviewer not at all; every change is audited.
    const sender = { name: '研究生院培养办公室', phone: '010-62781234', address: '北京市海淀区双清路 30 号' };
    expectError(await (await w.staff('office2')).put(`/api/schools/${w.schoolId}/sender`, sender), 403, 'forbidden_school');
    assert.equal((await rev.put(`/api/schools/${w.schoolId}/sender`, sender)).status, 403);
    assert.equal((await office.put(`/api/schools/${w.schoolId}/sender`, sender)).status, 200);
    assert.deepEqual((await office.get(`/api/schools/${w.schoolId}/sender`)).body, { school_id: w.schoolId, ...sender });
    assert.equal(audit('--action', 'school.sender').length, 1);

    // The audit log names records and accounts by id only.
    const all = JSON.stringify(audit('--limit', '1000'));
    for (const secret of ['学生1', '学生2', s2.phone]) assert.ok(!all.includes(secret), secret);
  } finally {
    await w.close();
  }
});
