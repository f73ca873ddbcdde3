// Identity end to end over HTTP against the real binary: the school office loads rosters (GBK CSV,
// bad rows listed, re-import updates), students sign in with a one-time code sent through a fake
// SMS gateway that speaks the http sender's protocol, upload their collection code and link their
// record. Every refusal is shown with its own reason: no code, not a code, tampered, wrong key,
// unknown key, expired, other school, unknown student, outside the window, second account for the
// same record. OTP brute force is stopped by the limits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SHARED, cleanup, pgDatabase, startServer, tempDir, tucai as run } from './support/server.mjs';
import { idNumber } from './support/idcard.mjs';

// --- small helpers -----------------------------------------------------------------------------

function tucai(args, env = {}) {
  const r = run(args, { env });
  if (r.status !== 0) throw new Error(`tucai ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function tucaiFails(args) {
  const r = run(args);
  if (r.status === 0) throw new Error(`expected failure: ${args.join(' ')}`);
  return r;
}

/* A fake SMS gateway: POST JSON {to, template, params:{code}} with a bearer token; answers {"ok":true}. */
async function startGateway(token) {
  const inbox = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"ok":false,"error":"unauthorized"}');
      }
      const m = JSON.parse(body);
      assert.equal(m.template, 'otp');
      assert.match(m.params.code, /^\d{6}$/);
      inbox.push({ to: m.to, code: m.params.code });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true,"id":"m' + inbox.length + '"}');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}/sms/send`, inbox, close: () => new Promise((r) => srv.close(r)),
    last(phone) { for (let i = inbox.length - 1; i >= 0; i--) if (inbox[i].to === phone) return inbox[i].code; return null; } };
}

function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.match(r.body.error.message, /[\u4e00-\u9fff]/, 'student-facing message is Chinese');
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

// --- the scenario --------------------------------------------------------------------------------

for (const store of ['sqlite', 'postgres']) describe(`identity over HTTP (${store})`, () => {
  let dir, gw, srv, op;
  const students = {
    s1: { student_no: '2022110101', name: '张三', id_number: idNumber('21020319990315123'), college: '化工学院', major: '化学工程与技术', degree: '硕士', grad_year: 2025 },
    s2: { student_no: '2022110102', name: '李四', id_number: idNumber('21021119981102234'), college: '机械工程学院', major: '机械工程', degree: '硕士', grad_year: 2025 },
    s3: { student_no: '2021120201', name: '王五', id_number: idNumber('37010219960728345'), college: '软件学院', major: '软件工程', degree: '博士', grad_year: 2025 },
    s4: { student_no: '2022110109', name: '钱七', id_number: idNumber('11010819990909456'), college: '化工学院', major: '化学工程与技术', degree: '硕士', grad_year: 2024 },
    late: { student_no: '3022000001', name: '赵六', id_number: idNumber('21020219990101111'), college: '理学院', major: '数学', degree: '硕士', grad_year: 2025 },
    early: { student_no: '4022000001', name: '孙八', id_number: idNumber('21020219990101222'), college: '理学院', major: '数学', degree: '硕士', grad_year: 2025 },
    stranger: { student_no: '2022999999', name: '周九', id_number: idNumber('21020219990101333'), college: '理学院', major: '数学', degree: '硕士', grad_year: 2025 },
  };
  const schools = { a: { code: '10141', name: '图采测试大学' }, late: { code: '10200', name: '已结束大学' }, early: { code: '10300', name: '未开始大学' } };
  const ids = {};
  // The last 4 characters of each issued code's ID number: the code step asks for them too.
  const last4 = new Map();

  function issue(student, school, opts = {}) {
    const f = path.join(dir, `student-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...student, school_code: school.code, school_name: school.name }));
    const png = f.replace(/\.json$/, '.png');
    const txt = f.replace(/\.json$/, '.txt');
    const args = ['code', 'issue', '--key', opts.key || path.join(dir, 'code-keys'), '--student', f, '-o', png, '--text-out', txt];
    if (opts.expiresAt) args.push('--expires-at', String(opts.expiresAt));
    tucai(args);
    last4.set(png, student.id_number.slice(-4));
    return { png, text: fs.readFileSync(txt, 'utf8') };
  }

  function qr(text) {
    const png = path.join(dir, `qr-${Math.random().toString(36).slice(2)}.png`);
    tucai(['code', 'qr', '--text', text, '-o', png]);
    return png;
  }

  function upload(client, schoolId, file, type = 'image/png', idLast4 = last4.get(file) ?? '0000') {
    const fd = new FormData();
    if (schoolId !== undefined) fd.append('school_id', String(schoolId));
    if (idLast4 !== null) fd.append('id_last4', idLast4);
    fd.append('code', new Blob([fs.readFileSync(file)], { type }), path.basename(file));
    return client.upload('/api/identity/code', fd);
  }

  async function signIn(phone, { consent = true } = {}) {
    const c = srv.client();
    const r = await c.post('/api/student/otp', { phone });
    assert.equal(r.status, 200, r.text);
    const code = gw.last(phone);
    assert.ok(code, 'the gateway received the code');
    const l = await c.post('/api/student/login', { phone, code });
    assert.equal(l.status, 200, l.text);
    if (consent) {
      const p = await c.get('/api/student/privacy');
      assert.equal(p.status, 200, p.text);
      assert.equal((await c.post('/api/student/privacy', { version: p.body.version })).status, 200);
    }
    return c;
  }

  before(async () => {
    dir = tempDir('tucai-identity-');
    gw = await startGateway('gw-secret-token');
    fs.writeFileSync(path.join(dir, 'sms.token'), 'gw-secret-token\n', { mode: 0o600 });
    tucai(['code', 'keygen', '--out', path.join(dir, 'code-keys')]);
    tucai(['code', 'keygen', '--out', path.join(dir, 'rogue-keys')]);
    const db = store === 'postgres' ? pgDatabase() : undefined;
    const dbArgs = db ? ['--db', db] : [];
    tucai(['user', 'add', '--username', 'op', '--role', 'operator', '--name', '运营', '--data', dir, ...dbArgs], { TUCAI_NEW_PASSWORD: 'op-password-123' });
    srv = await startServer({ data: dir, db, args: ['--workers', '0', '--sms-sender', 'http', '--sms-http-url', gw.url,
      '--sms-http-token-file', path.join(dir, 'sms.token'), '--otp-resend', '0', '--otp-phone-per-hour', '4', '--otp-ip-per-hour', '1000'] });
    op = srv.client();
    const l = await op.post('/api/auth/login', { username: 'op', password: 'op-password-123' });
    assert.equal(l.status, 200, l.text);
  });

  after(async () => {
    if (srv) {
      const { code } = await srv.stop();
      const log = srv.logs.join('\n');
      assert.doesNotMatch(log, /张三|李四|21020319990315|1390000000/, 'no personal data in the server log');
      assert.doesNotMatch(log, /Sanitizer|runtime error/, 'the server ran clean under the sanitizers');
      assert.equal(code, 0, 'graceful exit');
    }
    if (gw) await gw.close();
    cleanup(dir);
  });

  test('school office: schools, batches, GBK roster with bad rows, re-import updates', async () => {
    for (const [k, s] of Object.entries(schools)) {
      const r = await op.post('/api/schools', s);
      assert.equal(r.status, 201, r.text);
      ids[k] = r.body.id;
    }
    expectError(await op.post('/api/schools', schools.a), 409, 'school_exists');
    const day = 24 * 3600 * 1000, now = Date.now();
    const mk = async (school, start, end) => {
      const r = await op.post('/api/batches', { school_id: ids[school], name: '2025 届研究生毕业生图像在线补采', window_start: start, window_end: end,
        profile: 'chsi-blue', eligibility: { grad_year: 2025, degrees: ['硕士', '博士'] },
        fees: [{ code: 'collect', name: '采集服务费', amount_fen: 3000, required: true }, { code: 'post', name: '邮寄费', amount_fen: 1200 }] });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const ba = await mk('a', now - day, now + 30 * day);
    assert.equal(ba.fees[0].amount_fen, 3000);
    const bl = await mk('late', '2024-11-06', '2024-11-30');
    assert.equal(bl.window_start, Date.UTC(2024, 10, 5, 16));
    assert.equal(bl.window_end, Date.UTC(2024, 10, 30, 16));
    const be = await mk('early', now + 10 * day, now + 40 * day);
    ids.batchA = ba.id; ids.batchLate = bl.id; ids.batchEarly = be.id;
    // A batch names a real profile (the old demo's `degree_2017` silently became a white wall);
    // the form lists the real ones by their Chinese titles.
    expectError(await op.post('/api/batches', { school_id: ids.a, name: 'x', profile: 'degree_2017', window_start: now, window_end: now + day }), 400, 'unknown_profile');
    const profiles = await op.get('/api/photo-profiles');
    assert.equal(profiles.status, 200, profiles.text);
    const blue = profiles.body.profiles.find((p) => p.name === 'chsi-blue');
    assert.ok(blue && /学位照/.test(blue.title) && blue.width === 480 && blue.height === 640, JSON.stringify(blue));
    // The checks are declared once, on the server; the pages (signed in or not) take their names,
    // groups and advice from it rather than from lists of their own.
    const cat = await srv.client().get('/api/photo-checks');
    assert.equal(cat.status, 200, cat.text);
    const checkIds = cat.body.checks.map((c) => c.id);
    for (const id of ['ears_visible', 'earrings', 'expression', 'same_person']) assert.ok(checkIds.includes(id), id);
    assert.equal(new Set(checkIds).size, checkIds.length, 'each check once');
    for (const c of cat.body.checks) {
      assert.match(c.name, /^[^A-Za-z_]{2,}$/, `${c.id} has a Chinese name`);
      assert.ok(c.advice.length >= 4 && c.group && c.region_kind, JSON.stringify(c));
    }
    assert.equal(cat.body.checks.find((c) => c.id === 'ears_visible').group, 'ears');
    expectError(await op.post('/api/batches', { school_id: ids.a, name: 'x', profile: 'p', window_start: '2024-13-01', window_end: '2024-12-01' }), 400, 'invalid_field');
    expectError(await op.post('/api/batches', { school_id: ids.a, name: 'x', profile: 'p', window_start: '2024-12-01', window_end: '2024-11-01' }), 400, 'invalid_window');

    // GBK CSV as Excel in China saves it, with a bad check digit and a bad degree.
    const row = (s) => [s.student_no, s.name, s.id_number, s.college, s.major, s.degree, s.grad_year].join(',');
    const bad = { ...students.s2, student_no: '2022110199', id_number: students.s2.id_number.slice(0, 17) + (students.s2.id_number[17] === '1' ? '2' : '1') };
    const lines = ['学号,姓名,身份证号,学院,专业,学历层次,毕业年份', row(students.s1), row(bad), row(students.s2),
      row({ ...students.s3, degree: '本科' }), row(students.s4)];
    // node has no GBK encoder: glibc's iconv makes the GBK file.
    const utf8File = path.join(dir, 'roster-utf8.csv');
    fs.writeFileSync(utf8File, lines.join('\r\n') + '\r\n');
    const gbkFile = path.join(dir, 'roster-gbk.csv');
    execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GBK', '-o', gbkFile, utf8File]);
    assert.ok(!fs.readFileSync(gbkFile).includes(Buffer.from('张三')), 'the file really is GBK');
    const send = (file, batch = ids.batchA) => { const fd = new FormData(); fd.append('file', new Blob([fs.readFileSync(file)]), 'roster.csv'); return op.upload(`/api/batches/${batch}/roster`, fd); };
    let r = await send(gbkFile);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.inserted, 3);
    assert.deepEqual(r.body.errors.map((e) => e.line), [3, 5]);
    assert.equal(r.body.errors[0].reason, '身份证号校验位错误');
    assert.match(r.body.errors[1].reason, /学历层次/);
    // Re-import with a BOM (UTF-8): s3 fixed, s2 changed college: updates, never duplicates.
    const lines2 = [lines[0], row(students.s1), row({ ...students.s2, college: '材料学院' }), row(students.s3), row(students.s4)];
    const bomFile = path.join(dir, 'roster-bom.csv');
    fs.writeFileSync(bomFile, '\ufeff' + lines2.join('\n') + '\n');
    r = await send(bomFile);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.inserted, r.body.updated, r.body.rejected], [1, 3, 0]);
    const list = await op.get(`/api/batches/${ids.batchA}/roster`);
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 4);
    assert.ok(!list.text.includes(students.s1.id_number) && !list.text.includes('张三'), 'lists are masked');
    assert.equal(list.body.records.find((x) => x.student_no === students.s2.student_no).college, '材料学院');
    // The other schools' rosters.
    const one = (s, name) => { const f = path.join(dir, name); fs.writeFileSync(f, [lines[0], row(s)].join('\n')); return f; };
    assert.equal((await send(one(students.late, 'late.csv'), ids.batchLate)).body.inserted, 1);
    assert.equal((await send(one(students.early, 'early.csv'), ids.batchEarly)).body.inserted, 1);
    // Hostile uploads: no header, binary junk, no file.
    const junk = path.join(dir, 'junk.csv');
    fs.writeFileSync(junk, Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 1, 2, 3]));
    expectError(await send(junk), 400, 'roster_format');
    fs.writeFileSync(junk, 'a,b,c\n1,2,3\n');
    expectError(await send(junk), 400, 'roster_header');
    expectError(await op.upload(`/api/batches/${ids.batchA}/roster`, new FormData()), 400, 'missing_file');
    // Students cannot reach staff routes.
    const anon = srv.client();
    assert.equal((await anon.get(`/api/batches/${ids.batchA}/roster`)).status, 401);
  });

  test('sign-in: one-time code through the SMS gateway; wrong input refused', async () => {
    const c = srv.client();
    expectError(await c.post('/api/student/otp', { phone: '12345' }), 400, 'invalid_phone');
    expectError(await c.post('/api/student/otp', {}), 400, 'missing_field');
    expectError(await c.post('/api/student/login', { phone: '13900000000', code: '123456' }), 400, 'otp_not_found');
    assert.equal((await c.get('/api/student/me')).status, 401);
    const s = await signIn('13900000001');
    const me = await s.get('/api/student/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.status, 'unlinked');
    assert.equal(me.body.record, null);
  });

  test('OTP brute force is stopped: 5 wrong entries kill the code, sends per phone are capped', async () => {
    const phone = '13900000002';
    const c = srv.client();
    assert.equal((await c.post('/api/student/otp', { phone })).status, 200);
    const right = gw.last(phone);
    let locked = false;
    for (let i = 0, tried = 0; tried < 5; i++) {
      const guess = String(i).padStart(6, '0');
      if (guess === right) continue;
      const r = await c.post('/api/student/login', { phone, code: guess });
      tried++;
      if (tried < 5) expectError(r, 400, 'otp_wrong');
      else { expectError(r, 429, 'otp_locked'); locked = true; }
    }
    assert.ok(locked);
    expectError(await c.post('/api/student/login', { phone, code: right }), 429, 'otp_locked');
    // 4 codes an hour for this server: three more, then refused.
    for (let i = 0; i < 3; i++) assert.equal((await c.post('/api/student/otp', { phone })).status, 200);
    expectError(await c.post('/api/student/otp', { phone }), 429, 'otp_phone_limit');
    assert.equal((await c.get('/api/student/me')).status, 401, 'no session came of it');
  });

  test('collection code refusals, each with its own reason', async () => {
    const c = await signIn('13900000003');
    const A = ids.a;
    // A random photo: no code found.
    const photos = fs.readdirSync(path.join(SHARED, 'photos', 'dev')).filter((f) => f.endsWith('.jpg'));
    expectError(await upload(c, A, path.join(SHARED, 'photos', 'dev', photos[0]), 'image/jpeg'), 422, 'no_code_found');
    // Not an image at all.
    const txt = path.join(dir, 'note.png');
    fs.writeFileSync(txt, 'this is not an image');
    expectError(await upload(c, A, txt), 400, 'bad_image');
    // A QR code that is not a collection code.
    expectError(await upload(c, A, qr('https://example.com/pay?x=1')), 422, 'not_collection_code');
    // Tampered payload: change the student number, keep the signature.
    const good = issue(students.s2, schools.a);
    const [pfx, body, sig] = good.text.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url'));
    const forged = `${pfx}.${b64u(JSON.stringify({ ...payload, sno: students.s1.student_no }))}.${sig}`;
    expectError(await upload(c, A, qr(forged)), 422, 'bad_signature');
    // Wrong key: signed by an untrusted key that claims a trusted key id.
    const rogue = issue(students.s2, schools.a, { key: path.join(dir, 'rogue-keys') });
    const [rp, rb, rs] = rogue.text.split('.');
    const rpay = JSON.parse(Buffer.from(rb, 'base64url'));
    expectError(await upload(c, A, qr(`${rp}.${b64u(JSON.stringify({ ...rpay, kid: payload.kid }))}.${rs}`)), 422, 'bad_signature');
    // Unknown key id: the rogue code as it is.
    expectError(await upload(c, A, rogue.png), 422, 'unknown_issuer');
    // Expired.
    expectError(await upload(c, A, issue(students.s2, schools.a, { expiresAt: Date.now() - 1000 }).png), 422, 'code_expired');
    // Other school: the code says 10200, the student chose 10141.
    expectError(await upload(c, A, issue(students.late, schools.late).png), 422, 'other_school');
    // Unknown student: valid code, not in the roster.
    expectError(await upload(c, A, issue(students.stranger, schools.a).png), 404, 'unknown_student');
    // In the roster but not eligible (graduates of 2024).
    expectError(await upload(c, A, issue(students.s4, schools.a).png), 403, 'not_eligible');
    // Outside the window: closed, and not yet open (the message names the date).
    let r = await upload(c, ids.late, issue(students.late, schools.late).png);
    expectError(r, 409, 'window_closed');
    assert.match(r.body.error.message, /2024-11-30/);
    r = await upload(c, ids.early, issue(students.early, schools.early).png);
    expectError(r, 409, 'window_not_open');
    // Hostile form input.
    expectError(await upload(c, undefined, good.png), 400, 'invalid_school');
    expectError(await upload(c, 99999, good.png), 404, 'school_not_found');
    const noFile = new FormData(); noFile.append('school_id', String(A)); noFile.append('id_last4', '1234');
    expectError(await c.upload('/api/identity/code', noFile), 400, 'missing_code_image');
    expectError(await c.post('/api/identity/confirm', { claim_id: 123456 }), 404, 'claim_not_found');
    expectError(await c.post('/api/identity/confirm', { claim_id: 'x' }), 400, 'invalid_field');
    assert.equal((await c.get("/api/student/me")).body.status, 'unlinked');
  });

  test('link: code + roster -> confirm; one account per record; a linked account stays linked', async () => {
    const c1 = await signIn('13900000004');
    const code = issue(students.s1, schools.a);
    const r = await upload(c1, ids.a, code.png);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.record.name, '张三');
    assert.equal(r.body.record.school_name, schools.a.name);
    assert.equal(r.body.record.college, '化工学院');
    assert.equal(r.body.record.degree, '硕士');
    assert.equal(r.body.batch.window, 'open');
    assert.equal(r.body.batch.fees[0].amount_fen, 3000);
    // Another account cannot confirm someone else's claim.
    const c2 = await signIn('13900000005');
    expectError(await c2.post('/api/identity/confirm', { claim_id: r.body.claim_id }), 404, 'claim_not_found');
    const ok = await c1.post('/api/identity/confirm', { claim_id: r.body.claim_id });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'linked');
    const me = await c1.get('/api/student/me');
    assert.equal(me.body.status, 'linked');
    assert.equal(me.body.record.student_no, students.s1.student_no);
    assert.equal(me.body.batch.id, ids.batchA);
    // The rules page states the batch's own standard, from the profile the engine reads.
    assert.deepEqual(me.body.batch.photo, { title: '学信网 学位照（蓝底）', width: 480, height: 640, background: [100, 197, 255] });
    // The same record from a second account: refused.
    expectError(await upload(c2, ids.a, code.png), 409, 'record_taken');
    // The linked account cannot take a second record.
    expectError(await upload(c1, ids.a, issue(students.s2, schools.a).png), 409, 'already_linked');
    // Roster shows it linked.
    const list = await op.get(`/api/batches/${ids.batchA}/roster`);
    assert.equal(list.body.records.find((x) => x.student_no === students.s1.student_no).linked, true);
  });

  test('code CLI: verify prints the payload; refuses with a reason', () => {
    const code = issue(students.s3, schools.a);
    const out = JSON.parse(tucai(['code', 'verify', code.png, '--pub', path.join(dir, 'code-keys')]));
    assert.equal(out.student_no, students.s3.student_no);
    assert.equal(out.name_masked, '王*');
    assert.equal(out.id_masked, students.s3.id_number.slice(0, 4) + '*'.repeat(12) + students.s3.id_number.slice(16));
    assert.equal(out.degree, '博士');
    assert.equal(out.school_code, schools.a.code);
    const bad = tucaiFails(['code', 'verify', code.png, '--pub', path.join(dir, 'rogue-keys')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /unknown_issuer/);
    // Rotation: a directory trusting both keys verifies both.
    const both = path.join(dir, 'both');
    fs.mkdirSync(both);
    fs.copyFileSync(path.join(dir, 'code-keys', 'issuer.pub'), path.join(both, 'a.pub'));
    fs.copyFileSync(path.join(dir, 'rogue-keys', 'issuer.pub'), path.join(both, 'b.pub'));
    tucai(['code', 'verify', code.png, '--pub', both]);
    tucai(['code', 'verify', issue(students.s3, schools.a, { key: path.join(dir, 'rogue-keys') }).png, '--pub', both]);
  });
});
