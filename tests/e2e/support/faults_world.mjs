// faults_world: one data directory and one fake WeChat Pay server shared by every seed of the
// kill -9 driver (tests/e2e/faults_kill9.test.mjs, bench/faults.sh), so that a kill/restart cycle
// costs a server start and nothing more. Students walk the whole path through the public API
// (sign-in, collection code, order, payment notification from the fake, upload, standardization,
// submit, review decision) and the school exports; every step is resumable from what the server
// says, so a path cut by a kill is simply walked again after the restart. Every 2xx answer is
// written in a ledger that the invariants check after each restart.
//
// Nothing the tests write beside the server's files lives in the data directory (the code
// images are PNGs, and the scan for plaintext photos must find none there).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { BIN, Client, DEV_ENV, SHARED, startServer, tempDir } from './server.mjs';
import { idNumber } from './idcard.mjs';
import { createBatch, uploadRoster } from './world.mjs';
import { startFakeWechatpay, writeMerchantFiles } from '../../support/fake_wechatpay.mjs';

export const SCHOOL = { code: '10141', name: '图采测试大学' };

export function rosterStudent(i) {
  return {
    student_no: `20251${String(i).padStart(5, '0')}`, name: `学生${i}`,
    id_number: idNumber(`21020319970707${String(1000 + i).slice(-3)}`), college: '化工学院', major: '化学工程与技术',
    degree: '硕士', grad_year: 2025,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A request that found the server dead (killed mid-request or not yet back).
export function isDown(e) {
  const c = e?.cause?.code || e?.code || '';
  return /ECONNREFUSED|ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED|ETIMEDOUT/.test(c) || /fetch failed|other side closed/.test(String(e?.message));
}

export async function startFaultsWorld({ students = 100, args = [] } = {}) {
  const dir = tempDir('tucai-faults-data-');
  const side = tempDir('tucai-faults-side-');
  const merchant = await writeMerchantFiles(side);
  // The provider retries its notifications for ~10 s: long enough to outlive a restart.
  const fake = await startFakeWechatpay({
    mchid: merchant.mchid, appid: merchant.appid, merchantSerial: merchant.serial,
    merchantPublicKeyPem: merchant.publicKeyPem, apiv3Key: merchant.apiv3Key, retryDelaysMs: Array(40).fill(250),
  });
  const platformFile = path.join(side, 'wechatpay_platform.pem');
  fs.writeFileSync(platformFile, fake.platformPublicKeyPem);
  const port = await new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const run = (a, env = {}) => execFileSync(BIN, a, { encoding: 'utf8', env: { ...process.env, ...DEV_ENV, ...env } });
  const w = { dir, side, fake, merchant, port, run, ledger: [], starts: 0, restartMs: [] };
  w.outbox = path.join(side, 'sms.jsonl');
  w.args = [
    '--listen', `127.0.0.1:${port}`, '--sms-sender', 'outbox', '--sms-outbox', w.outbox, '--otp-resend', '0',
    '--otp-phone-per-hour', '1000', '--otp-ip-per-hour', '1000000', '--job-lease', '3',
    '--pay-provider', 'wechatpay', '--pay-notify-url', `http://127.0.0.1:${port}/api/pay/wechatpay/notify`,
    '--wechatpay-base-url', fake.url, '--wechatpay-mchid', merchant.mchid, '--wechatpay-appid', merchant.appid,
    '--wechatpay-serial', merchant.serial, '--wechatpay-key-file', merchant.keyFile,
    '--wechatpay-apiv3-key-file', merchant.apiv3File, '--wechatpay-platform-cert-file', platformFile,
    '--wechatpay-platform-serial', fake.platformSerial, ...args,
  ];
  w.url = `http://127.0.0.1:${port}`;
  w.start = async () => {
    const t0 = Date.now();
    w.server = await startServer({ data: dir, args: w.args });
    w.starts++;
    w.restartMs.push(Date.now() - t0);
    return w.server;
  };
  w.kill = async () => {
    if (!w.server) return;
    w.server.proc.kill('SIGKILL');
    await w.server.exited;
  };
  w.close = async () => {
    if (w.server) await w.server.stop().catch(() => {});
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(side, { recursive: true, force: true });
  };
  const staff = async (username) => {
    const c = new Client(w.url);
    const r = await c.post('/api/auth/login', { username, password: `${username}-password-1` });
    assert.equal(r.status, 200, r.text);
    return c;
  };
  const addUser = (username, role, school) => run(['user', 'add', '--username', username, '--role', role, '--name', username,
    '--data', dir, ...(school ? ['--school', String(school)] : [])], { TUCAI_NEW_PASSWORD: `${username}-password-1` });

  run(['code', 'keygen', '--out', path.join(dir, 'code-keys')]);
  addUser('op', 'operator');
  await w.start();
  w.op = await staff('op');
  let r = await w.op.post('/api/schools', SCHOOL);
  assert.equal(r.status, 201, r.text);
  w.schoolId = r.body.id;
  w.batchId = await createBatch(w.op, w.schoolId);
  await uploadRoster(w.op, w.batchId, students, rosterStudent);
  addUser('rev1', 'reviewer', w.schoolId);
  w.rev = await staff('rev1');
  // Code images are made once per student, outside the data directory.
  w.codePng = (i) => {
    const png = path.join(side, `code-${i}.png`);
    if (!fs.existsSync(png)) {
      const f = path.join(side, `student-${i}.json`);
      fs.writeFileSync(f, JSON.stringify({ ...rosterStudent(i), school_code: SCHOOL.code, school_name: SCHOOL.name }));
      run(['code', 'issue', '--key', path.join(dir, 'code-keys'), '--student', f, '-o', png]);
    }
    return fs.readFileSync(png);
  };
  w.photo = fs.readFileSync(path.join(SHARED, 'photos', 'dev/deepface_img11.jpg'));
  return w;
}

// Records an answer the client saw as committed; `check` is re-run after every restart.
function commit(w, what, check) {
  w.ledger.push({ what, check });
}

async function ok(r, what, ...statuses) {
  assert.ok(statuses.includes(r.status), `${what}: ${r.status} ${r.text}`);
  return r;
}

// Walks student i from wherever the server says they are to an approved photo. Resumable: a
// request cut by a kill throws (isDown) and the caller runs it again after the restart.
export async function walkStudent(w, st, { stopAtPaid = false } = {}) {
  const i = st.i;
  if (!st.c) st.c = new Client(w.url);
  const c = st.c;
  let s = await c.get('/api/status');
  if (s.status === 401) {
    const phone = `137${String(10000000 + i).slice(-8)}`;
    await ok(await c.post('/api/student/otp', { phone }), 'otp', 200);
    const lines = fs.readFileSync(w.outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const code = lines.filter((m) => m.to === phone && m.code).pop().code;
    await ok(await c.post('/api/student/login', { phone, code }), 'login', 200);
    const cookies = new Map(c.cookies);
    commit(w, `student ${i} session`, async () => {
      const x = new Client(w.url);
      x.cookies = new Map(cookies);
      return (await x.get('/api/status')).status === 200;
    });
    s = await c.get('/api/status');
  }
  await ok(s, 'status', 200);
  if (!s.body.linked) {
    // The privacy notice is accepted and the ID number's last 4 go with the code, as the page does.
    const notice = await ok(await c.get('/api/student/privacy'), 'privacy', 200);
    await ok(await c.post('/api/student/privacy', { version: notice.body.version }), 'consent', 200);
    const up = new FormData();
    up.append('school_id', String(w.schoolId));
    up.append('id_last4', rosterStudent(i).id_number.slice(-4));
    up.append('code', new Blob([w.codePng(i)], { type: 'image/png' }), 'code.png');
    const x = await ok(await c.upload('/api/identity/code', up), 'code', 200);
    await ok(await c.post('/api/identity/confirm', { claim_id: x.body.claim_id }), 'confirm', 200);
    commit(w, `student ${i} linked`, async () => (await c.get('/api/status')).body.linked === true);
    s = await c.get('/api/status');
  }
  if (!s.body.paid) await pay(w, st);
  if (stopAtPaid) return;
  for (;;) {
    s = await ok(await c.get('/api/status'), 'status', 200);
    const label = s.body.label;
    if (['已通过', '已导出', '已寄出'].includes(label)) return;
    if (label === '待拍摄' && !(s.body.attempt && s.body.attempt.state === 'processing')) {
      const fd = new FormData();
      fd.append('photo', new Blob([w.photo], { type: 'image/jpeg' }), 'photo.jpg');
      const x = await ok(await c.upload('/api/photos', fd), 'upload', 202);
      const id = x.body.attempt.id;
      commit(w, `student ${i} attempt ${id}`, async () => (await c.get(`/api/photos/attempts/${id}`)).status === 200);
    } else if (label === '待拍摄') {
      await sleep(50); // standardizing
    } else if (label === '待提交') {
      const x = await ok(await c.post('/api/photos/submit', { confirm_warnings: true }), 'submit', 201);
      const sid = x.body.submission.submission_id;
      commit(w, `student ${i} submission ${sid}`, async () => {
        const b = (await c.get('/api/status')).body;
        return b.submission?.id >= sid && ['审核中', '已通过', '已导出', '已寄出'].includes(b.label);
      });
    } else if (label === '审核中') {
      const sid = s.body.submission.id;
      const cl = await w.rev.post(`/api/review/items/${sid}/claim`, {});
      await ok(cl, 'claim', 200, 409);
      const x = await ok(await w.rev.post(`/api/review/items/${sid}/approve`, { note: '' }), 'approve', 200);
      assert.ok(x);
      commit(w, `student ${i} approved`, async () => ['已通过', '已导出', '已寄出'].includes((await c.get('/api/status')).body.label));
    } else {
      throw new Error(`student ${i}: unexpected state ${label} ${s.text}`);
    }
  }
}

// An order paid through the fake provider: its notification reaches the server (with the
// provider's retries), or the server asks the provider itself.
async function pay(w, st) {
  const c = st.c;
  let o = (await ok(await c.get('/api/orders/current'), 'current order', 200)).body.order;
  if (!o) {
    const x = await ok(await c.post('/api/orders', { items: ['collect'] }), 'order', 201);
    o = x.body.order;
    st.orderId = o.id;
    const id = o.id;
    commit(w, `student ${st.i} order ${id}`, async () => (await c.get(`/api/orders/${id}`)).status === 200);
  }
  st.orderId = o.id;
  if (o.state === 'created') {
    const atProvider = w.fake.orders.get(o.out_trade_no);
    if (atProvider && atProvider.trade_state === 'SUCCESS') {
      w.fake.pay(o.out_trade_no); // paid before the kill: the provider notifies again
    } else {
      // H5 pay: these students signed in by phone (JSAPI needs the openid of a WeChat sign-in).
      await ok(await c.post(`/api/orders/${o.id}/pay`, { channel: 'h5' }), 'pay', 200);
      // The payer pays; the provider notifies (and retries) on its own, like the real one.
      w.fake.pay(o.out_trade_no);
    }
  }
  const until = Date.now() + 30000;
  for (;;) {
    const s = await ok(await c.get('/api/status'), 'status', 200);
    if (s.body.paid) break;
    if (Date.now() > until) throw new Error(`student ${st.i}: never paid`);
    await sleep(100);
  }
}

// A refund asked by the operator, to completion. st.refundAsked is set before the request is
// sent: once asked (answer seen or not) the student is not made to pay again.
export async function refund(w, st) {
  const id = st.orderId;
  const state = async () => (await ok(await w.op.get(`/api/ops/orders/${id}`), 'order', 200)).body.order.state;
  if ((await state()) === 'paid') {
    st.refundAsked = true;
    await ok(await w.op.post(`/api/ops/orders/${id}/refund`, { reason: '学生已在校内现场采集' }), 'refund', 200, 202);
    commit(w, `order ${id} refund asked`, async () => ['refund_pending', 'refunded'].includes(await state()));
  }
  const until = Date.now() + 30000;
  while ((await state()) !== 'refunded') {
    if (Date.now() > until) throw new Error(`order ${id}: refund never completed`);
    await sleep(100);
  }
}

// The school exports what is newly approved, and the package is built.
export async function exportBatch(w) {
  const r = await ok(await w.op.post(`/api/office/batches/${w.batchId}/exports`, {}), 'export', 202, 409);
  if (r.status === 409) return null;
  const id = r.body.package_id;
  commit(w, `export ${id}`, async () => (await w.op.get(`/api/office/exports/${id}`)).status === 200);
  const until = Date.now() + 60000;
  for (;;) {
    const x = await w.op.get(`/api/office/exports/${id}`);
    if (x.body.state === 'done') return x.body;
    assert.notEqual(x.body.state, 'failed', x.text);
    if (Date.now() > until) throw new Error(`export ${id} never done`);
    await sleep(100);
  }
}

// ---- invariants --------------------------------------------------------------------------

export function sql(w, query) {
  const out = execFileSync('sqlite3', ['-json', '-cmd', '.timeout 10000', path.join(w.dir, 'tucai.db'), query], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JFIF = Buffer.from('JFIF\0', 'latin1');
const EXIF = Buffer.from('Exif\0\0', 'latin1');

// Every file under the data directory: none starts like an image or carries an image's inner
// signature (ciphertext does neither, except by a chance of ~1e-12 per byte for the long ones).
export function plaintextImages(dir) {
  const found = [];
  for (const rel of fs.readdirSync(dir, { recursive: true })) {
    const f = path.join(dir, rel);
    let st;
    try { st = fs.lstatSync(f); } catch { continue; }
    if (!st.isFile()) continue;
    const b = fs.readFileSync(f);
    if (b.subarray(0, 3).equals(JPEG) || b.subarray(0, 8).equals(PNG) || b.includes(PNG) || b.includes(JFIF) || b.includes(EXIF))
      found.push(rel);
  }
  return found;
}

// Checks what must hold whenever the server is up again; returns a list of violations.
// settled: the paths have completed, so no work may be left behind either.
export async function violations(w, { settled = false } = {}) {
  const bad = [];
  if (settled) {
    for (const x of sql(w, "SELECT id FROM collect_attempts WHERE state = 'processing'")) bad.push(`attempt ${x.id} still processing`);
    for (const x of sql(w, "SELECT id, state FROM export_packages WHERE state <> 'done'")) bad.push(`export ${x.id} ${x.state}`);
    for (const x of sql(w, "SELECT id, type, state FROM jobs WHERE state IN ('queued', 'running') AND type IN " +
      "('collect.standardize', 'export.package', 'pay.refund')")) bad.push(`job ${x.id} ${x.type} still ${x.state}`);
  }
  for (const e of w.ledger) {
    let held = false;
    try { held = await e.check(); } catch (err) { held = false; e.err = String(err); }
    if (!held) bad.push(`lost after restart: ${e.what}${e.err ? ' (' + e.err + ')' : ''}`);
  }
  // Jobs: none completed twice; no standardized photo stored twice for one attempt.
  for (const x of sql(w, "SELECT job_id, COUNT(*) AS n FROM job_runs WHERE outcome = 'done' GROUP BY job_id HAVING COUNT(*) > 1"))
    bad.push(`job ${x.job_id} completed ${x.n} times`);
  for (const x of sql(w, "SELECT b.id FROM blobs b WHERE b.kind = 'standardized' AND b.deleted_at IS NULL AND NOT EXISTS " +
    '(SELECT 1 FROM collect_attempts a WHERE a.standardized_blob = b.id)'))
    bad.push(`standardized blob ${x.id} belongs to no attempt (stored twice)`);
  // An uploaded photo is an attempt's, or it is gone: a kill between storing it and recording
  // the attempt must not leave a decryptable photo that no attempt (and no retention) knows.
  for (const x of sql(w, "SELECT b.id FROM blobs b WHERE b.kind = 'original' AND b.deleted_at IS NULL AND NOT EXISTS " +
    '(SELECT 1 FROM collect_attempts a WHERE a.original_blob = b.id)'))
    bad.push(`original blob ${x.id} belongs to no attempt`);
  for (const x of sql(w, "SELECT b.id FROM blobs b WHERE b.kind = 'face_print' AND b.deleted_at IS NULL AND NOT EXISTS " +
    '(SELECT 1 FROM collect_face_prints p WHERE p.print_blob = b.id)'))
    bad.push(`face print blob ${x.id} belongs to no attempt`);
  for (const x of sql(w, "SELECT id, type, state, attempts FROM jobs WHERE state = 'failed'"))
    bad.push(`job ${x.id} ${x.type} failed after ${x.attempts} attempts`);
  for (const x of sql(w, 'SELECT record_id, COUNT(*) AS n FROM export_items i JOIN export_packages p ON p.id = i.package_id ' +
    'WHERE p.reexport = 0 GROUP BY record_id HAVING COUNT(*) > 1'))
    bad.push(`record ${x.record_id} exported ${x.n} times`);
  for (const x of sql(w, 'SELECT account_id, kind, data, COUNT(*) AS n FROM notify_inbox GROUP BY account_id, kind, data HAVING COUNT(*) > 1'))
    bad.push(`inbox message ${x.kind} to ${x.account_id} ${x.n} times`);
  // Money, against the provider's own books.
  const orders = sql(w, 'SELECT id, out_trade_no, record_id, state, amount_fen, paid_fen, transaction_id, refund_fen, out_refund_no FROM pay_orders');
  for (const o of orders) {
    const f = w.fake.orders.get(o.out_trade_no);
    const paidHere = ['paid', 'refund_pending', 'refunded'].includes(o.state);
    if (paidHere && (!f || !['SUCCESS', 'REFUND'].includes(f.trade_state) || f.transaction_id !== o.transaction_id || f.total !== o.paid_fen))
      bad.push(`order ${o.id} ${o.state} here but ${f?.trade_state} at the provider`);
    const delivered = w.fake.deliveries.some((d) => d.kind === 'payment' && d.key === o.out_trade_no && (d.status === 200 || d.status === 204));
    if (delivered && !paidHere) bad.push(`order ${o.id}: the provider's notification was acknowledged, the order is ${o.state}`);
    const refunds = [...w.fake.refunds.values()].filter((r) => r.out_trade_no === o.out_trade_no);
    if (refunds.length > 1) bad.push(`order ${o.id} refunded ${refunds.length} times at the provider`);
    if (o.state === 'refunded' && !(refunds.length === 1 && refunds[0].status === 'SUCCESS' && o.refund_fen === refunds[0].amount.refund))
      bad.push(`order ${o.id} refunded here, not at the provider`);
    if (refunds.length && refunds[0].status === 'SUCCESS' && o.state === 'paid') bad.push(`order ${o.id}: refunded at the provider, paid here`);
  }
  for (const x of sql(w, "SELECT order_id, COUNT(*) AS n FROM pay_order_events WHERE to_state = 'paid' GROUP BY order_id HAVING COUNT(*) > 1"))
    bad.push(`order ${x.order_id} paid ${x.n} times`);
  for (const x of sql(w, "SELECT record_id, COUNT(*) AS n FROM pay_orders WHERE state = 'paid' GROUP BY record_id HAVING COUNT(*) > 1"))
    bad.push(`record ${x.record_id} holds ${x.n} paid orders`);
  // No photo in the clear, and the upload temp files of the killed process swept at start.
  for (const f of plaintextImages(w.dir)) bad.push(`plaintext image on disk: ${f}`);
  const tmp = path.join(w.dir, 'tmp');
  if (fs.existsSync(tmp) && fs.readdirSync(tmp).length) bad.push(`upload temp files left: ${fs.readdirSync(tmp).join(' ')}`);
  return bad;
}
