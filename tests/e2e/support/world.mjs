// world: the steps every end-to-end world (flow_world, faults_world, tests/support/pay_world) takes
// through the real API to stand a school up and bring a student in, written once: a batch with its
// fees, the roster uploaded as CSV, a student signed in by SMS code (read from the outbox sender's
// file) and linked to their record with a collection code made by `tucai code issue`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const DAY = 24 * 3600e3;

// A batch of the school open from yesterday for 30 days, for the 2025 master's and doctoral
// graduates; returns its id.
export async function createBatch(op, schoolId, {
  name = '2025 届研究生毕业生图像采集', profile = 'chsi-white',
  fees = [{ code: 'collect', name: '采集服务费', amount_fen: 3000, required: true }],
} = {}) {
  const r = await op.post('/api/batches', {
    school_id: schoolId, name, window_start: Date.now() - DAY, window_end: Date.now() + 30 * DAY, profile,
    eligibility: { grad_year: 2025, degrees: ['硕士', '博士'] }, fees,
  });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

// Students 1..n of rosterStudent(i) as the office's CSV roster; all of them must be inserted.
export async function uploadRoster(op, batchId, students, rosterStudent) {
  const rows = ['学号,姓名,身份证号,学院,专业,学历层次,毕业年份'];
  for (let i = 1; i <= students; i++) {
    const s = rosterStudent(i);
    rows.push([s.student_no, s.name, s.id_number, s.college, s.major, s.degree, s.grad_year].join(','));
  }
  const fd = new FormData();
  fd.append('file', new Blob([rows.join('\n') + '\n']), 'roster.csv');
  const r = await op.upload(`/api/batches/${batchId}/roster`, fd);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.inserted, students, r.text);
  return r;
}

// Signs the client in as `phone` with the SMS code the outbox sender wrote last for it.
export async function signInByOtp(c, outbox, phone) {
  let x = await c.post('/api/student/otp', { phone });
  assert.equal(x.status, 200, x.text);
  const lines = fs.readFileSync(outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const code = lines.filter((m) => m.to === phone && m.code).pop().code;
  x = await c.post('/api/student/login', { phone, code });
  assert.equal(x.status, 200, x.text);
  c.phone = phone;
  return c;
}

// Links the signed-in client to roster student `student` of the school: the privacy notice
// accepted, a collection code issued with the keys in <dir>/code-keys (run: the CLI), uploaded
// with the last four digits of the ID number, and the claim confirmed.
export async function linkByCode(c, { dir, run, school, schoolId, student, i }) {
  const f = path.join(dir, `student-${i}.json`);
  fs.writeFileSync(f, JSON.stringify({ ...student, school_code: school.code, school_name: school.name }));
  const png = path.join(dir, `student-${i}.png`);
  run(['code', 'issue', '--key', path.join(dir, 'code-keys'), '--student', f, '-o', png]);
  const up = new FormData();
  up.append('school_id', String(schoolId));
  up.append('id_last4', student.id_number.slice(-4));
  const p = await c.get('/api/student/privacy');
  assert.equal((await c.post('/api/student/privacy', { version: p.body.version })).status, 200, 'privacy notice accepted');
  up.append('code', new Blob([fs.readFileSync(png)], { type: 'image/png' }), 'code.png');
  let x = await c.upload('/api/identity/code', up);
  assert.equal(x.status, 200, x.text);
  x = await c.post('/api/identity/confirm', { claim_id: x.body.claim_id });
  assert.equal(x.status, 200, x.text);
}
