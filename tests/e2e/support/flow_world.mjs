// flow_world: what the collection-workflow tests stand on, built through the public API and CLI
// only: an operator, two reviewers of the school (and one of another school), a school with an
// open batch and a roster, students who sign in (SMS outbox), link their record with an issued
// collection code and pay with the mock provider.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { BIN, Client, DEV_ENV, SHARED, startServer, tempDir } from './server.mjs';
import { idNumber } from './idcard.mjs';
import { createBatch, linkByCode, signInByOtp, uploadRoster } from './world.mjs';

export function rosterStudent(i) {
  return {
    student_no: `20241${String(i).padStart(5, '0')}`, name: `学生${i}`,
    id_number: idNumber(`21020319980315${String(100 + i).slice(-3)}`), college: '化工学院', major: '化学工程与技术',
    degree: '硕士', grad_year: 2025,
  };
}

export const photo = (name) => fs.readFileSync(path.join(SHARED, 'photos', name));

export function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.match(r.body.error.message, /\S/);
}

export async function startFlowWorld({ students = 3, db, args = [], data } = {}) {
  const dir = data || tempDir('tucai-flow-');
  const run = (a, env = {}) => execFileSync(BIN, a, { encoding: 'utf8', env: { ...process.env, ...DEV_ENV, ...env } });
  const dbArgs = db ? ['--db', db] : [];
  run(['code', 'keygen', '--out', path.join(dir, 'code-keys')]);
  const w = { dir, db, outbox: path.join(dir, 'sms.jsonl'), run, passwords: {} };
  w.args = ['--sms-sender', 'outbox', '--sms-outbox', w.outbox, '--otp-resend', '0', '--otp-phone-per-hour', '1000',
    '--otp-ip-per-hour', '100000', '--pay-provider', 'mock', ...args];
  w.start = async (extra = []) => {
    w.server = await startServer({ data: dir, db, args: [...w.args, ...extra] });
    return w.server;
  };
  w.staff = async (username) => {
    const c = new Client(w.server.url);
    const r = await c.post('/api/auth/login', { username, password: `${username}-password-1` });
    assert.equal(r.status, 200, r.text);
    return c;
  };
  const addUser = (username, role, school) => run(['user', 'add', '--username', username, '--role', role, '--name', username,
    '--data', dir, ...dbArgs, ...(school ? ['--school', String(school)] : [])], { TUCAI_NEW_PASSWORD: `${username}-password-1` });
  addUser('op', 'operator');
  await w.start();
  w.op = await w.staff('op');
  const school = { code: '10141', name: '图采测试大学' };
  let r = await w.op.post('/api/schools', school);
  assert.equal(r.status, 201, r.text);
  w.schoolId = r.body.id;
  r = await w.op.post('/api/schools', { code: '10999', name: '另一所大学' });
  w.otherSchoolId = r.body.id;
  w.batchId = await createBatch(w.op, w.schoolId);
  await uploadRoster(w.op, w.batchId, students, rosterStudent);
  // Reviewers are users of the CLI too; users added while the server runs are fine (same store).
  addUser('rev1', 'reviewer', w.schoolId);
  addUser('rev2', 'reviewer', w.schoolId);
  addUser('rev3', 'reviewer', w.otherSchoolId);

  w.signIn = (i) => signInByOtp(new Client(w.server.url), w.outbox, `138${String(10000000 + i).slice(-8)}`);
  w.link = (c, i) => linkByCode(c, { dir, run, school, schoolId: w.schoolId, student: rosterStudent(i), i });
  w.pay = async (c) => {
    let x = await c.post('/api/orders', { items: ['collect'] });
    assert.equal(x.status, 201, x.text);
    const id = x.body.order.id;
    x = await c.post(`/api/orders/${id}/pay`, { channel: 'mock' });
    assert.equal(x.status, 200, x.text);
    x = await c.post(`/api/pay/mock/${x.body.out_trade_no}/approve`, {});
    assert.equal(x.status, 200, x.text);
  };
  w.upload = (c, bytes, name = 'photo.jpg') => {
    const fd = new FormData();
    fd.append('photo', new Blob([bytes], { type: 'image/jpeg' }), name);
    return c.upload('/api/photos', fd);
  };
  // Polls the attempt until the standardization job has finished.
  w.preview = async (c, id, timeout = 60000) => {
    const until = Date.now() + timeout;
    for (;;) {
      const r = await c.get(`/api/photos/attempts/${id}`);
      assert.equal(r.status, 200, r.text);
      if (r.body.attempt.state !== 'processing') return r.body.attempt;
      if (Date.now() > until) throw new Error('preview did not come');
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  w.status = async (c) => {
    const r = await c.get('/api/status');
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  w.close = async () => {
    if (w.server) await w.server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return w;
}
