// What WeChat users expect from the student pages, in Debian's chromium at
// 390x844 with WeChat's user agent, against the real binary: a batch set to camera only (no album
// button) and at most 2 submissions by the office; the student withdraws a submission no reviewer
// has decided (asked once more), sees the photo back in preview and resubmits; 我的 shows the privacy
// consent, the receipt and the deletion request; the receipt page (amount, order number, time,
// school); the approved photo shown and saved; a dark camera asks before shooting. Every screen is
// screenshotted into tests/artifacts/web/choices-*.png and measured by layoutChecks (no horizontal
// scroll, no clipped or overflowing text, no English or raw ids).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { cleanup } from '../e2e/support/server.mjs';
import { devPhoto, idNumber, launch, layoutChecks, makeWorld, paidStudent, photoToY4m, shot, staffClient, startTestServer, stopClean, submitPhoto, tucai, watch } from './support/browser.mjs';

const WECHAT_UA = 'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';
const VIEW = { width: 390, height: 844 };
const student = { student_no: '2022110301', name: '李雷', id_number: idNumber('21020319990315777'), college: '化工学院', major: '化学工程与技术', degree: '硕士', grad_year: 2025 };
const darkStudent = { student_no: '2022110302', name: '韩梅', id_number: idNumber('21020319990315888'), college: '化工学院', major: '化学工程与技术', degree: '硕士', grad_year: 2025 };
let dir, srv, world, op, reviewer;

before(async () => {
  ({ dir, srv } = await startTestServer('tucai-web-choices-'));
  op = await staffClient(srv, 'op');
  reviewer = await staffClient(srv, 'rev');
  world = await makeWorld(op, dir, [student, darkStudent]);
  // The school's choices, as the office console saves them.
  const r = await op.put(`/api/office/batches/${world.batchId}/settings`, { camera_only: true, max_submissions: 2 });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  if (srv) await stopClean(srv);
  cleanup(dir);
});

// A signed-in browser for an API-made student (its cookies), on `hash`.
async function openAs(context, c, hash) {
  await context.addCookies([...c.cookies].map(([name, value]) => ({ name, value, url: srv.url })));
  const page = await context.newPage();
  await page.goto(srv.url + '/');
  await page.evaluate(() => { localStorage.setItem('tucai.signedIn', 'true'); localStorage.setItem('tucai.rulesRead', 'true'); });
  await page.goto(srv.url + '/#/' + hash);
  await page.reload();
  return page;
}

test('withdraw and resubmit, camera only, 我的, the receipt and the approved photo, inside WeChat', async () => {
  const y4m = await photoToY4m(devPhoto('deepface_img14.jpg'), path.join(dir, 'camera.y4m'));
  const b = await launch({ fakeVideo: y4m, viewport: VIEW, userAgent: WECHAT_UA });
  const guard = watch(b.context, { allowFailed: (url) => url.endsWith('/standardized') });
  try {
    const c = await paidStudent(srv, dir, world, student, '13900000031');
    await submitPhoto(c, devPhoto('deepface_img14.jpg'));
    const order = (await c.get('/api/orders/current')).body.order;
    const rawIds = [order.out_trade_no, order.id > 99 ? String(order.id) : null];
    const page = await openAs(b.context, c, 'status');
    const step = async (name, locator, opts = {}) => {
      await page.locator(locator).first().waitFor({ timeout: 60000 });
      await layoutChecks(page, name, { rawIds, ...opts });
      await shot(page, name);
    };

    // In review, undecided: the student may withdraw, after being asked once more.
    await step('choices-01-in-review', '#withdraw-card');
    assert.match(await page.textContent('#submissions-left'), /还可提交 1 次/);
    assert.match(await page.textContent('.timeline'), /审核（进行中）/);
    assert.doesNotMatch(await page.textContent('.timeline'), /✓ 审核/, 'the review is not ticked while under way');
    await page.click('#withdraw');
    await step('choices-02-withdraw-ask', '#withdraw-question');
    // The question reads across the card, the two answers below it at a button's height (in one
    // row with the text they squeezed it into a column beside a button as tall as the text).
    const q = await page.locator('#withdraw-question').boundingBox(), sure = await page.locator('#withdraw-confirm').boundingBox();
    assert.ok(q.y + q.height <= sure.y + 1, `the question above the answers: ${JSON.stringify({ q, sure })}`);
    assert.ok(sure.height < 60, `确认撤回 ${sure.height}px tall`);
    await page.click('#withdraw-confirm');
    // Back to preview with the same photo; the submission is counted no more.
    await step('choices-03-preview-after-withdraw', '#submit-photo');
    assert.match(await page.textContent('#submissions-left'), /还可提交 2 次/);
    const withdrawn = JSON.parse(tucai(['audit', 'list', '--json', '--data', dir, '--action', 'submission.withdraw']));
    assert.equal(withdrawn.length, 1, 'the withdrawal is audited');

    // Retake: the batch is camera only, so there is no album button.
    await page.click('#retake');
    await step('choices-04-shoot-camera-only', '#camera-only-note');
    assert.equal(await page.isVisible('#pick-photo'), false, 'no album in a camera-only batch');
    await page.locator('#shutter:not([hidden])').waitFor();
    // Changed their mind: the photo in preview is submitted again.
    await page.goto(srv.url + '/#/preview');
    await page.locator('#submit-photo').waitFor({ timeout: 60000 });
    if (await page.locator('#confirm-warnings').count()) await page.check('#confirm-warnings');
    await page.click('#submit-photo');
    await step('choices-05-resubmitted', '#withdraw-card');

    // 我的: the consent with its time, the receipt, the deletion request.
    await page.click('#me-link');
    await step('choices-06-me', '#me-privacy');
    assert.match(await page.textContent('#me-privacy'), /已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 同意/);
    await page.locator('#deletion #deletion-ask').waitFor();
    // The notice can be read again from 我的, with when it was accepted.
    await page.click('text=查看隐私说明');
    await step('choices-06b-privacy-again', '#privacy-accepted');
    await page.click('#me-link');
    await page.locator('#receipt-link').waitFor();
    await page.click('#receipt-link');
    await step('choices-07-receipt', '#receipt-no', { rawIds: [], shownOnPurpose: [order.out_trade_no] });
    assert.equal(await page.textContent('#receipt-no'), order.out_trade_no);
    assert.equal(await page.textContent('#receipt-total'), '¥30.00');
    assert.equal(await page.textContent('#receipt-school'), '图采测试大学');
    assert.match(await page.textContent('#receipt-time'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    // Printed, the receipt stands alone.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('.topbar'), false);
    assert.equal(await page.isVisible('#receipt-print'), false);
    await shot(page, 'choices-08-receipt-print');
    await page.emulateMedia({ media: 'screen' });

    // A reviewer approves: the approved photo is shown and can be saved.
    const sub = (await c.get('/api/status')).body.submission.id;
    assert.equal((await reviewer.post(`/api/review/items/${sub}/claim`, {})).status, 200);
    assert.equal((await reviewer.post(`/api/review/items/${sub}/approve`, {})).status, 200);
    await page.goto(srv.url + '/#/status');
    await page.reload();
    await step('choices-09-approved', '#approved-photo');
    const shown = await page.$eval('#approved-photo img', (img) => img.complete && img.naturalWidth);
    assert.ok(shown > 0, 'the approved photo is displayed');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#approved-download')]);
    const saved = path.join(dir, 'saved.jpg');
    await dl.saveAs(saved);
    assert.deepEqual([...fs.readFileSync(saved).subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.equal(await page.locator('#withdraw-card').count(), 0, 'no withdrawing once decided');
    guard.assertClean();
  } finally {
    await b.close();
  }
});

test('a dark camera asks before shooting', async () => {
  // A dark frame (the room's light off): the live hint says 光线太暗, and the shutter asks first.
  const W = 720, H = 960;
  const frame = Buffer.concat([Buffer.alloc(W * H, 24), Buffer.alloc(W * H / 2, 128)]);
  const y4m = path.join(dir, 'dark.y4m');
  fs.writeFileSync(y4m, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F15:1 Ip A1:1 C420jpeg\n`), Buffer.from('FRAME\n'), frame, Buffer.from('FRAME\n'), frame]));
  const b = await launch({ fakeVideo: y4m, viewport: VIEW, userAgent: WECHAT_UA });
  const guard = watch(b.context);
  try {
    const c = await paidStudent(srv, dir, world, darkStudent, '13900000032');
    const page = await openAs(b.context, c, 'shoot');
    await page.locator('.live-hint', { hasText: '光线太暗' }).waitFor({ timeout: 30000 });
    let uploads = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/photos')) uploads++; });
    await page.click('#shutter');
    await page.locator('#dark-ask').waitFor();
    await layoutChecks(page, 'choices-10-dark-ask');
    await shot(page, 'choices-10-dark-ask');
    await page.click('#dark-wait');
    assert.equal(await page.locator('#dark-ask').count(), 0);
    assert.equal(uploads, 0, 'nothing shot while the student waits for light');
    await page.click('#shutter');
    await page.click('#dark-shoot');
    await page.locator('h1', { hasText: '预览标准照' }).waitFor({ timeout: 60000 });
    assert.equal(uploads, 1, 'shot once the student confirmed');
    guard.assertClean();
  } finally {
    await b.close();
  }
});
