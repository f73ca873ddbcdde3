// The school office and operator consoles in a real chromium: the office signs in at /admin,
// imports a roster whose bad rows are listed with their line and reason, sees progress with the
// per-college bars and the per-day line, downloads the not-yet-done list as CSV, builds the
// registry package from the approved photo and downloads it. The not-done list names the students
// in full with their phone, and 提醒 messages one (once a day: the second press is refused); the
// KPI cards add up to the roster. The operator's /ops sections all render; the support inbox shows
// the student (name, number, order, latest photo) beside the thread and a reply clears the unread
// count. Every page at 360x640 and 1280x800 without horizontal scrolling; no console errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { cleanup } from '../e2e/support/server.mjs';
import { addUser, bothSizes, devPhoto, idNumber, launch, makeWorld, paidStudent, shot, signInPage, staffClient, startTestServer, stopClean, submittedStudent, until, watch } from './support/browser.mjs';

const approvedStudent = { student_no: '2022110103', name: '王五', id_number: idNumber('37010219960728345'), college: '软件学院', major: '软件工程', degree: '博士', grad_year: 2025 };
const paidOne = { student_no: '2022110104', name: '孙六', id_number: idNumber('37010219970315456'), college: '软件学院', major: '软件工程', degree: '硕士', grad_year: 2025 };
let dir, srv, browser, world, stu, payer;

before(async () => {
  ({ dir, srv } = await startTestServer('tucai-web-office-'));
  const op = await staffClient(srv, 'op');
  world = await makeWorld(op, dir, [approvedStudent, paidOne]);
  addUser(dir, 'office', 'school_admin', 'office-password-123', ['--school', String(world.schoolId)]);
  // One approved photo, so that the registry package has something in it.
  stu = await submittedStudent(srv, dir, world, approvedStudent, '13900000003', devPhoto('deepface_img14.jpg'));
  // One who paid and stopped there: the office reminds her.
  payer = await paidStudent(srv, dir, world, paidOne, '13900000004');
  const rev = await staffClient(srv, 'rev');
  const id = (await rev.get('/api/review/queue')).body.items[0].id;
  assert.equal((await rev.post(`/api/review/items/${id}/claim`, {})).status, 200);
  assert.equal((await rev.post(`/api/review/items/${id}/approve`, { note: '' })).status, 200);
  assert.equal((await stu.get('/api/status')).body.state, 'approved');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await stopClean(srv);
  cleanup(dir);
});

const signIn = (page, where, user, password) => signInPage(page, srv.url + where, user, password);

test('the school office imports a roster and downloads exports', async () => {
  const { context } = browser;
  // The second 提醒 within a day is refused on purpose (429).
  const guard = watch(context, { allow: (url, status) => status === 429 && /\/remind$/.test(url) });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await signIn(page, '/admin', 'office', 'office-password-123');

    // Roster: two good rows, one with a wrong ID check digit, one with a bad degree.
    await page.click('a[data-id=roster]');
    await page.locator('#roster-file').waitFor();
    const good = (s) => [s.student_no, s.name, s.id_number, s.college, s.major, s.degree, s.grad_year].join(',');
    const a = { student_no: '2022110201', name: '赵一', id_number: idNumber('21020319990101123'), college: '化工学院', major: '化学工程', degree: '硕士', grad_year: 2025 };
    const b = { student_no: '2022110202', name: '钱二', id_number: idNumber('21020319990202234'), college: '材料学院', major: '材料科学', degree: '硕士', grad_year: 2025 };
    const badId = { ...a, student_no: '2022110203', id_number: a.id_number.slice(0, 17) + (a.id_number[17] === '1' ? '2' : '1') };
    const badDegree = { ...b, student_no: '2022110204', degree: '本科' };
    const csv = path.join(dir, 'roster-web.csv');
    fs.writeFileSync(csv, ['学号,姓名,身份证号,学院,专业,学历层次,毕业年份', good(a), good(badId), good(b), good(badDegree)].join('\n') + '\n');
    await page.setInputFiles('#roster-file', csv);
    await page.click('#roster-upload');
    await page.locator('#roster-summary').waitFor();
    assert.match(await page.textContent('#roster-summary'), /新增 2 人.*有误 2 行/);
    const errs = await page.locator('#roster-errors tbody tr').allTextContents();
    assert.equal(errs.length, 2);
    assert.match(errs[0], /^3.*身份证号校验位错误/);
    assert.match(errs[1], /^5.*学历层次/);
    await page.locator('#roster-list td', { hasText: '2022110202' }).waitFor();
    await shot(page, 'admin-01-roster-import');
    await bothSizes(page, 'admin roster');

    // Progress: the charts and the not-yet-done list; its CSV downloads.
    await page.click('a[data-id=progress]');
    await page.locator('#pending tbody tr').first().waitFor();
    assert.ok(await page.locator('svg.chart').count() >= 2, 'bars and line drawn');
    assert.match(await page.textContent('main'), /已通过\s*1（25%）/);
    // The cards add up to the roster: one card per status, the words of the charts (已缴费).
    const card = async (code) => Number((await page.textContent(`#kpi-${code} b`)).replace(/（.*/, ''));
    const codes = ['not_started', 'linked', 'paid', 'submitted', 'rejected', 'approved'];
    const counts = await Promise.all(codes.map(card));
    assert.deepEqual(counts, [2, 0, 1, 0, 0, 1]);
    assert.equal(counts.reduce((a, b) => a + b, 0), await card('total'));
    assert.match(await page.textContent('#kpi-paid'), /已缴费/);
    assert.match(await page.textContent('#kpi-sum'), /= 4 人（名单 4 人）/);
    // The office's own roster: full names, the phone of those who signed in, 提醒 for them.
    const row = page.locator('#pending tr', { hasText: '2022110104' });
    assert.match(await row.textContent(), /孙六.*已缴费.*13900000004/);
    assert.match(await page.locator('#pending tr', { hasText: '2022110201' }).textContent(), /赵一.*未开始.*未登录/);
    await row.locator('[data-remind]').click();
    await row.locator('.remind .msg.ok', { hasText: '已提醒' }).waitFor();
    await shot(page, 'admin-02b-reminded');
    const inbox = (await payer.get('/api/inbox')).body.items;
    const note = inbox.filter((m) => m.kind === 'reminder');
    assert.equal(note.length, 1, JSON.stringify(inbox));
    assert.match(note[0].body, /学校提醒.*已缴费.*请拍摄并提交照片/);
    // A second press the same day is refused, with when it will be possible; nothing more is sent.
    await page.click('a[data-id=roster]');
    await page.click('a[data-id=progress]');
    const again = page.locator('#pending tr', { hasText: '2022110104' });
    assert.match(await again.textContent(), /已提醒 \d{4}-/);
    await again.locator('[data-remind]').click();
    await again.locator('.remind .msg.error', { hasText: '小时后才能再次提醒' }).waitFor();
    assert.equal((await payer.get('/api/inbox')).body.items.filter((m) => m.kind === 'reminder').length, 1);
    await shot(page, 'admin-02-progress');
    await bothSizes(page, 'admin progress');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#pending-csv')]);
    const text = fs.readFileSync(await dl.path(), 'utf8');
    assert.match(text, /2022110201,赵一/);
    assert.match(text, /2022110202/);
    assert.doesNotMatch(text, /2022110103/, 'the approved student is done');

    // Registry export: build, then download the sealed package.
    await page.click('a[data-id=exports]');
    await page.click('#export-start');
    await page.locator('#export-download').waitFor({ timeout: 60000 });
    assert.match(await page.textContent('#export-state'), /1 张照片/);
    await shot(page, 'admin-03-export');
    const [pkg] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
    assert.ok(fs.statSync(await pkg.path()).size > 1000, 'the package has bytes');

    // Settings: move the deadline; the server says what changed and the batch shows it.
    await page.click('a[data-id=settings]');
    await page.locator('#eb-end').waitFor();
    await bothSizes(page, 'admin settings');
    const newEnd = new Date(Date.now() + 8 * 3600e3 + 25 * 86400e3).toISOString().slice(0, 10);
    await page.fill('#eb-end', newEnd);
    await page.click('#eb-save');
    await page.locator('#eb-result', { hasText: '已保存：截止日期' }).waitFor();
    await shot(page, 'admin-04-settings');
    // What students may do: at most 3 submissions, camera only; a bad number is refused first.
    await page.fill('#eb-max-submissions', '30');
    await page.click('#eb-save');
    await page.locator('#eb-result.error', { hasText: '最多提交次数应为 0 到 20 的整数' }).waitFor();
    await page.fill('#eb-max-submissions', '3');
    await page.check('#eb-camera-only');
    await page.click('#eb-save');
    await page.locator('#eb-result', { hasText: '已保存：最多提交次数、拍摄方式' }).waitFor();
    await page.locator('#batch-max-submissions', { hasText: '3 次' }).waitFor();
    assert.equal(await page.textContent('#batch-camera-only'), '只允许现场拍摄');
    assert.equal(await page.isChecked('#eb-camera-only'), true);
    await shot(page, 'admin-04b-settings-students');
    guard.assertClean();
  } catch (e) {
    await shot(page, 'zz-admin-failure').catch(() => {});
    throw e;
  }
});

test('every operator section renders at phone and desktop size', async () => {
  const { context } = browser;
  const guard = watch(context);
  const page = await context.newPage();
  try {
    await signIn(page, '/ops', 'op', 'op-password-123');
    for (const id of ['progress', 'support', 'payments', 'prints', 'shipping', 'exports', 'roster', 'settings', 'deletions', 'schools']) {
      await page.click(`a[data-id=${id}]`);
      await page.locator(`a[data-id=${id}][aria-current=page]`).waitFor();
      await page.waitForLoadState('networkidle');
      await bothSizes(page, `ops ${id}`);
      await shot(page, `ops-${id}`);
      if (id === 'settings') {
        // Profiles by their Chinese titles, never raw ids (the batch and the new-batch form).
        await page.locator('dd', { hasText: '学信网 学位照（蓝底）' }).first().waitFor();
        assert.equal(await page.locator('main', { hasText: 'chsi-blue' }).count(), 0, 'a raw profile id is shown');
        assert.match(await page.locator('#nb-profile option:checked').textContent(), /学信网 学位照（蓝底）/);
      }
    }
    // Support: the student writes; the operator sees who it is (name, number, order, photo) beside
    // the thread, never an account number; the reply clears the unread count.
    const fd = new FormData();
    fd.append('body', '请问照片什么时候寄出？');
    assert.equal((await stu.upload('/api/support/messages', fd)).status, 201);
    await page.click('a[data-id=payments]');
    await page.click('a[data-id=support]');
    const thread = page.locator('main tr', { hasText: '王五 2022110103' });
    assert.match(await thread.textContent(), /^王五 2022110103已导出1\d{4}-/, 'name, number, status, one unread');
    await thread.locator('a').click();
    await page.locator('#support-student img.support-photo').evaluate((img) => img.decode());
    assert.equal(await page.textContent('#support-name'), '王五');
    assert.equal(await page.textContent('#support-no'), '2022110103');
    assert.match(await page.textContent('#support-order'), /¥30\.00 · 已缴费/);
    await bothSizes(page, 'ops support thread');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.fill('#reply-text', '已通过审核，冲印后寄出。');
    await page.click('#reply-send');
    await page.locator('.messages li', { hasText: '冲印后寄出' }).waitFor();
    await page.locator('main tr', { hasText: '王五 2022110103' }).locator('td', { hasText: /^0$/ }).waitFor();
    assert.equal(await page.locator('main', { hasText: '账号 #' }).count(), 0, 'an account number is shown');
    await shot(page, 'ops-support-thread');

    // Paper prints for the approved student: the PDF downloads. The labels' sender (the school
    // office) is set beside the labels button and read back.
    await page.click('a[data-id=prints]');
    await page.fill('#sender-name', '图采测试大学研究生院');
    await page.fill('#sender-phone', '010-62781234');
    await page.fill('#sender-address', '北京市海淀区双清路 30 号');
    await page.click('#sender-save');
    await page.locator('#sender-result', { hasText: '已保存寄件人' }).waitFor();
    await page.click('a[data-id=payments]');
    await page.click('a[data-id=prints]');
    await until(page, () => document.getElementById('sender-phone') && document.getElementById('sender-phone').value === '010-62781234');
    await page.click('#print-start');
    await page.locator('#print-download').waitFor({ timeout: 60000 });
    const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('#print-download')]);
    assert.equal(fs.readFileSync(await pdf.path()).subarray(0, 5).toString(), '%PDF-');
    await shot(page, 'ops-prints-done');
    await page.click('a[data-id=payments]');
    await page.locator('main p', { hasText: /笔，实收/ }).waitFor();
    assert.match(await page.textContent('main'), /2 笔，实收 ¥60\.00/);
    guard.assertClean();
  } catch (e) {
    await shot(page, 'zz-ops-failure').catch(() => {});
    throw e;
  }
});
