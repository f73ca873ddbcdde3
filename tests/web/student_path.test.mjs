// The student's whole path on a phone-sized screen in a real chromium, against the real binary:
// sign in with the SMS code, upload the collection code, confirm the record, choose services and
// an address with the region picker, pay on the mock provider's page, read the rules, shoot with
// the (fake) rear camera fed with a dev photo, preview, retake from the album, submit, get rejected
// by a reviewer, retake for free, get approved, read the inbox, write to support. Every step is
// screenshotted into tests/artifacts/web/ at 390x844 inside WeChat's browser (its user agent; this
// server offers no WeChat sign-in, so the page keeps to the phone and the mock payer), and checked
// at 360x740, 390x844 (phoneFit: nothing sideways, no clipped label) and 1280x800. No console
// errors, no failed requests.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { cleanup } from '../e2e/support/server.mjs';
import { stopClean } from './support/browser.mjs';
import { bothSizes, devPhoto, everyControlLabelled, idNumber, lastOtp, launch, layoutChecks, makeWorld, paidStudent, photoToY4m, shot, staffClient, startTestServer, until, watch } from './support/browser.mjs';

const student = { student_no: '2022110101', name: '张三', id_number: idNumber('21020319990315123'), college: '化工学院', major: '化学工程与技术', degree: '硕士', grad_year: 2025 };
const phone = '13900000001';
const WECHAT_UA = 'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 ' +
  'MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';
let dir, srv, browser, world, op, reviewer;

before(async () => {
  ({ dir, srv } = await startTestServer('tucai-web-student-'));
  op = await staffClient(srv, 'op');
  reviewer = await staffClient(srv, 'rev');
  world = await makeWorld(op, dir, [student]);
  const y4m = await photoToY4m(devPhoto('deepface_img14.jpg'), path.join(dir, 'camera.y4m'));
  browser = await launch({ fakeVideo: y4m, viewport: { width: 390, height: 844 }, userAgent: WECHAT_UA });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await stopClean(srv);
  cleanup(dir);
});

test('a student completes the whole path on a phone', async () => {
  const { context } = browser;
  // Expected refusals: the wrong last 4 of the ID number; and the event stream refused while the
  // streams of pages left for the payment page are still counted by the server (2 per account; the
  // page tries again on its next screen and polls meanwhile).
  const guard = watch(context, { allow: (url, status) => (url.endsWith('/api/identity/code') && status === 422) ||
    (url.endsWith('/api/student/events') && status === 429) });
  const page = await context.newPage();
  try {
    await walk(context, page, guard);
  } catch (e) {
    await shot(page, 'zz-student-failure').catch(() => {});
    throw e;
  }
});

async function walk(context, page, guard) {
  const step = async (name, heading) => {
    await page.locator('h1', { hasText: heading }).waitFor();
    await bothSizes(page, name);
    await everyControlLabelled(page, name);
    await shot(page, name);
  };

  await page.goto(srv.url + '/');
  await step('01-login', '手机号登录');
  await page.fill('#phone', phone);
  await page.click('#send-otp');
  await page.locator('.msg.ok', { hasText: '验证码已发送' }).waitFor();
  const code = lastOtp(dir, phone);
  assert.match(code, /^\d{6}$/);
  await page.fill('#otp', code);
  await page.click('#login-btn');

  // The privacy notice comes before anything personal: accepted, its time stored by the server.
  await step('02a-privacy', '隐私说明');
  for (const part of ['收集哪些信息', '为什么收集', '保存多久', '谁能看到', '如何删除']) assert.match(await page.textContent('main'), new RegExp(part));
  assert.equal(await page.isDisabled('#privacy-accept'), true, 'accepting needs the box ticked');
  await page.check('#privacy-agree');
  await page.click('#privacy-accept');

  await step('02-code', '上传采集码');
  // Help: how to get the code, reachable from this step.
  await page.click('text=如何获取采集码？');
  await step('02b-help-code', '如何获取采集码');
  assert.match(await page.textContent('main'), /长按/);
  await page.click('text=照片要求');
  await step('02c-help-rules', '照片要求');
  assert.ok(await page.locator('.examples figure.bad').count() >= 5, 'bad examples shown');
  await page.click('text=← 返回');
  await page.locator('h1', { hasText: '上传采集码' }).waitFor();
  // The code with someone else's last 4 digits of the ID number is refused, in Chinese.
  const real4 = student.id_number.slice(-4);
  await page.fill('#id-last4', real4 === '0000' ? '1111' : '0000');
  await page.setInputFiles('#code-file', world.issue(student));
  await page.locator('.msg.error', { hasText: '身份证号后 4 位与采集码对应的学籍信息不一致' }).waitFor();
  await layoutChecks(page, '02d-code-last4-mismatch');
  await shot(page, '02d-code-last4-mismatch');
  await page.fill('#id-last4', real4);
  await page.setInputFiles('#code-file', world.issue(student));

  await step('03-confirm', '确认学籍信息');
  assert.match(await page.textContent('main'), /张三/);
  assert.match(await page.textContent('main'), /化工学院/);
  // Resume after reload: the claim is still there.
  await page.reload();
  await page.locator('h1', { hasText: '确认学籍信息' }).waitFor();
  await page.click('#confirm-record');

  await step('04-pay', '选择服务并缴费');
  assert.equal(await page.isDisabled('#fee-collect'), true, 'the collection fee is required');
  // Postage only with prints.
  assert.equal(await page.isDisabled('#fee-post'), true, 'no postage without prints');
  await page.locator('#post-note:not([hidden])').waitFor();
  await page.check('#fee-print');
  await page.check('#fee-post');
  await page.fill('#recipient', '张三');
  await page.fill('#mobile', '13900000001');
  await page.selectOption('#region-0', { label: '辽宁省' });
  await page.locator('#region-1:not([disabled])').waitFor();
  await page.selectOption('#region-1', { label: '大连市' });
  await page.locator('#region-2:not([disabled])').waitFor();
  await page.selectOption('#region-2', { label: '甘井子区' });
  await page.fill('#street', '凌工路 2 号 化工实验楼');
  assert.match(await page.textContent('.total'), /52\.00/);
  // The address form survives a reload (slow network, closed tab).
  await page.reload();
  await page.locator('#region-2:not([disabled])').waitFor();
  assert.equal(await page.inputValue('#street'), '凌工路 2 号 化工实验楼');
  assert.equal(await page.isChecked('#fee-post'), true);
  await shot(page, '04b-pay-filled');
  await page.click('#pay-btn');
  // The payment page opens in the same tab (no second tab) and comes back when paid.
  const pages = context.pages().length;
  await page.click('#pay-link');
  await page.locator('#approve:not([disabled])').waitFor();
  assert.equal(context.pages().length, pages, 'no second tab');
  await shot(page, '05-mock-payer');
  await page.click('#approve');
  await page.locator('#message', { hasText: '支付成功' }).waitFor();

  await step('06-rules', '拍照须知');
  await page.check('#rules-read');
  await page.click('#rules-next');

  await step('07-shoot', '拍摄照片');
  await page.locator('.camera video').waitFor();
  await until(page, () => document.querySelector('.camera video')?.videoWidth > 0);
  await page.locator('#shutter:not([hidden])').waitFor();
  // The live hint has looked at the picture (it says something other than "opening").
  await until(page, () => { const t = document.querySelector('.live-hint')?.textContent || ''; return t && !t.includes('正在打开'); });
  const hint = await page.textContent('.live-hint');
  assert.match(hint, /可以拍摄|太远|太近|歪斜|偏左|偏右|太暗|头顶|没有看到/, hint);
  await shot(page, '07b-camera-live');
  await page.click('#shutter');

  await step('08-preview', '预览标准照');
  await page.locator('#submit-photo').waitFor({ timeout: 60000 });
  assert.equal(await page.locator('ul.checks li').count(), 32, 'every check is listed (the 31 automatic ones and 同一人核验)');
  // A check that needs attention says what to do, and clicking it frames its region on the original.
  const flagged = page.locator('ul.checks li.warn, ul.checks li.fail');
  if (await flagged.count()) {
    assert.match(await flagged.first().textContent(), /[\u4e00-\u9fff]{4,}/);
    await flagged.first().locator('button').click();
    await page.locator('.preview-photos svg rect').first().waitFor();
  }
  await shot(page, '08b-preview-checks');
  // Retake from the album: the original dev photo.
  await page.click('#retake');
  await page.locator('h1', { hasText: '拍摄照片' }).waitFor();
  await page.setInputFiles('#photo-file', devPhoto('deepface_img14.jpg'));
  await page.locator('#submit-photo').waitFor({ timeout: 60000 });
  await bothSizes(page, '09-preview-album');
  await shot(page, '09-preview-album');
  if (await page.locator('#confirm-warnings').count()) await page.check('#confirm-warnings');
  assert.equal(await page.isDisabled('#submit-photo'), false, 'no failing check on the retake: ' + await page.textContent('ul.checks'));
  await page.click('#submit-photo');

  await step('10-status-review', '审核进度');
  assert.match(await page.textContent('#status-label'), /审核中/);
  assert.match(await page.textContent('main'), /预计 \d{4}-\d{2}-\d{2} 前完成审核/);

  // A reviewer rejects (through the API here; the console has its own test). The open status
  // page hears it over server-sent events, without a reload.
  const decide = async (path, body) => {
    const q = await reviewer.get('/api/review/queue');
    assert.equal(q.body.items.length, 1, q.text);
    const id = q.body.items[0].id;
    assert.equal((await reviewer.post(`/api/review/items/${id}/claim`, {})).status, 200);
    const r = await reviewer.post(`/api/review/items/${id}/${path}`, body);
    assert.equal(r.status, 200, r.text);
  };
  await decide('reject', { reasons: ['头发遮挡眉毛或耳朵', '光线不均'], note: '请把头发拢到耳后，面向窗户再拍一张' });
  await page.locator('#status-label', { hasText: '已驳回' }).waitFor({ timeout: 20000 });
  await step('11-rejected', '审核进度');
  assert.match(await page.textContent('main'), /头发遮挡眉毛或耳朵/);
  assert.match(await page.textContent('main'), /拢到耳后/);
  await page.click('#free-retake');
  await step('12-free-retake', '重新拍摄（免费）');
  await page.setInputFiles('#photo-file', devPhoto('deepface_img14.jpg'));
  await page.locator('#submit-photo').waitFor({ timeout: 60000 });
  await shot(page, '13-preview-retake');
  if (await page.locator('#confirm-warnings').count()) await page.check('#confirm-warnings');
  await page.click('#submit-photo');
  await page.locator('#status-label', { hasText: '审核中' }).waitFor();

  await decide('approve', { note: '' });
  await page.locator('#status-label', { hasText: '已通过' }).waitFor({ timeout: 20000 });
  await step('14-approved', '审核进度');
  // Approved ends the path: every step of the stepper is done, the review too.
  const steps = await page.$$eval('#stepper li [aria-label]', (xs) => xs.map((x) => x.getAttribute('aria-label')));
  assert.equal(steps.length, 8, steps.join(' | '));
  for (const l of steps) assert.match(l, /（已完成）$/, steps.join(' | '));
  assert.deepEqual(await page.$$eval('#stepper .dot', (xs) => xs.map((x) => x.textContent)), Array(8).fill('✓'));

  // Inbox: the decisions arrived as messages; the badge counted them.
  await page.locator('#unread:not([hidden])').waitFor({ timeout: 20000 });
  await page.click('#inbox-link');
  await step('15-inbox', '消息');
  await page.locator('#inbox-list li', { hasText: /通过/ }).first().waitFor();
  assert.match(await page.textContent('#inbox-list'), /驳回|未通过/);

  // Support: a message to the operator shows in the thread.
  await page.click('text=客服');
  await step('16-support', '联系客服');
  await page.fill('#support-text', '请问纸质照片什么时候寄出？');
  await page.click('#support-send');
  await page.locator('#support-list li.mine', { hasText: '纸质照片什么时候寄出' }).waitFor();
  await shot(page, '16b-support-sent');

  // Help: the deadline of this batch.
  await page.click('text=帮助');
  await page.click('text=截止时间与联系');
  await step('17-help-contact', '截止时间与联系方式');
  assert.match(await page.textContent('#deadline'), /\d{4}-\d{2}-\d{2}/);

  // A reload lands on the status page: the path resumes from the server's state.
  await page.goto(srv.url + '/');
  await page.locator('#status-label', { hasText: '已通过' }).waitFor();
  guard.assertClean();
}

test('without a camera the student uploads from the album, and a cut upload resumes after a reload', async () => {
  // A browser with no camera at all; the student is paid already (through the API).
  const bare = await launch();
  try {
    const other = { ...student, student_no: '2022110199', name: '孙七', id_number: idNumber('21020319990505567') };
    const rows = new FormData();
    rows.append('file', new Blob(['学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n' + [other.student_no, other.name, other.id_number, other.college, other.major, other.degree, other.grad_year].join(',') + '\n']), 'r.csv');
    assert.equal((await op.upload(`/api/batches/${world.batchId}/roster`, rows)).status, 200);
    const c = await paidStudent(srv, dir, world, other, '13900000009');
    // The first upload is cut off (a dropped connection); that one failed request is expected.
    let cut = 0;
    const guard = watch(bare.context, { allowFailed: (url) => url.endsWith('/api/photos') && cut === 1,
      allowConsole: (text) => cut === 1 && /Failed to load resource: net::ERR_CONNECTION_RESET/.test(text) });
    await bare.context.addCookies([...c.cookies].map(([name, value]) => ({ name, value, url: srv.url })));
    const page = await bare.context.newPage();
    await page.goto(srv.url + '/');
    await page.evaluate(() => { localStorage.setItem('tucai.signedIn', 'true'); localStorage.setItem('tucai.rulesRead', 'true'); });
    await page.goto(srv.url + '/#/shoot');
    await page.reload();
    await page.locator('h1', { hasText: '拍摄照片' }).waitFor();
    await page.locator('.msg', { hasText: '从相册选择照片' }).waitFor();
    assert.equal(await page.isHidden('#shutter'), true, 'no shutter without a camera');
    await shot(page, 'no-camera-shoot');
    await page.route('**/api/photos', (route) => { cut++; return route.abort('connectionreset'); });
    await page.setInputFiles('#photo-file', devPhoto('deepface_img14.jpg'));
    await page.locator('.msg.error', { hasText: '网络中断' }).waitFor();
    await page.unroute('**/api/photos');
    // After a reload the photo is still there and the upload resumes with one tap.
    await page.reload();
    await page.locator('#resume-upload').waitFor();
    await shot(page, 'no-camera-resume-upload');
    await page.click('#resume-upload');
    await page.locator('#submit-photo').waitFor({ timeout: 60000 });
    assert.equal(cut, 1);
    // Changed their mind: the unfinished collection's photos can be deleted on request.
    await page.goto(srv.url + '/#/help/contact');
    await page.click('#deletion-ask');
    await page.click('#deletion-confirm');
    await page.locator('#deletion .msg.info', { hasText: '已收到' }).waitFor();
    await shot(page, 'no-camera-deletion-request');
    guard.assertClean();
  } finally {
    await bare.close();
  }
});
