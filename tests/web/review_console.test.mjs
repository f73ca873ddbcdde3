// The reviewer console in a real chromium, keyboard only: sign in, the queue shows the submitted
// photo with its due time and the count left, E zooms on the eyes, R opens the reasons, digits
// pick two, a note, Ctrl+Enter rejects; the student retakes for free; the resubmission arrives with the earlier
// attempt beside it, and as the retake shows another person, the 同一人核验 warning with both photos; A
// then Enter approves (the keys are what this tests, not the judgement). The student's status follows each decision.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { cleanup } from '../e2e/support/server.mjs';
import { bothSizes, devPhoto, idNumber, launch, makeWorld, shot, staffClient, startTestServer, stopClean, submitPhoto, submittedStudent, watch } from './support/browser.mjs';

const student = { student_no: '2022110102', name: '李四', id_number: idNumber('21021119981102234'), college: '机械工程学院', major: '机械工程', degree: '硕士', grad_year: 2025 };
let dir, srv, browser, world, stu;

before(async () => {
  ({ dir, srv } = await startTestServer('tucai-web-review-'));
  const op = await staffClient(srv, 'op');
  world = await makeWorld(op, dir, [student]);
  stu = await submittedStudent(srv, dir, world, student, '13900000002', devPhoto('deepface_img14.jpg'));
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await stopClean(srv);
  cleanup(dir);
});

test('a reviewer rejects, then approves the retake, with the keyboard', async () => {
  const { context } = browser;
  const guard = watch(context);
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await page.goto(srv.url + '/review');
    await page.locator('#username').waitFor();
    await bothSizes(page, 'review sign-in');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.fill('#username', 'rev');
    await page.fill('#password', 'rev-password-123');
    await page.keyboard.press('Enter');

    // The queue: one photo, its due time, the count left.
    await page.locator('#decision #approve').waitFor();
    assert.equal(await page.textContent('#count-left'), '1');
    assert.match(await page.textContent('#item-due'), /截止 \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    // Who it should be: the roster's full name and student number beside the photo.
    assert.equal(await page.textContent('#student-name'), '李四');
    assert.equal(await page.textContent('#student-no'), '2022110102');
    assert.equal(await page.textContent('#attempt-count'), '1 张（含本次）');
    // People read names and numbers, never our row ids.
    assert.match(await page.textContent('#queue'), /2022110102/);
    assert.doesNotMatch(await page.textContent('main'), /#\d/, 'a raw id is shown');
    await page.locator('.zoombox img').first().evaluate((img) => img.decode());
    await shot(page, 'review-01-item');
    // E zooms the original on the eyes; 0 resets.
    await page.keyboard.press('e');
    await page.locator('[data-zoom=e][aria-pressed=true]').waitFor();
    const zoomed = await page.locator('.zoombox .layer').first().evaluate((el) => el.style.transform);
    assert.match(zoomed, /scale\((?!1\))/, 'zoomed in: ' + zoomed);
    await shot(page, 'review-02-zoom-eyes');
    await page.keyboard.press('0');

    // R, digits 3 and 7, Enter: rejected with two reasons.
    await page.keyboard.press('r');
    await page.locator('#reasons').waitFor();
    await page.keyboard.press('3');
    await page.keyboard.press('7');
    assert.equal(await page.isChecked('#reason-2'), true);
    assert.equal(await page.isChecked('#reason-6'), true);
    await shot(page, 'review-03-reasons');
    await bothSizes(page, 'review with reasons open');
    await page.setViewportSize({ width: 1280, height: 800 });
    // A note to the student; Ctrl+Enter confirms from inside it.
    await page.focus('#note');
    await page.keyboard.type('请把头发拢到耳后');
    await page.keyboard.press('Control+Enter');
    await page.locator('#queue-empty').waitFor();
    let st = (await stu.get('/api/status')).body;
    assert.equal(st.state, 'rejected');
    assert.deepEqual(st.rejection.reasons, ['头发遮挡眉毛或耳朵', '光线不均']);
    assert.equal(st.rejection.note, '请把头发拢到耳后');

    // The free retake comes back to the front of the queue, the earlier attempt beside it. It shows
    // another person (a woman after a man): 同一人核验 puts a loud warning on top with both photos.
    await submitPhoto(stu, devPhoto('deepface_img11.jpg'));
    await page.locator('#decision #approve').waitFor({ timeout: 20000 });
    await page.locator('.badge', { hasText: '驳回后重新提交' }).first().waitFor();
    assert.equal(await page.locator('.earlier img').count(), 1, 'the earlier attempt is shown');
    const warning = page.locator('.same-person[role=alert]');
    await warning.waitFor();
    assert.match(await warning.textContent(), /可能不是同一个人.*李四 2022110102.*相似度 0\.\d\d/s);
    assert.equal(await page.textContent('#attempt-count'), '2 张（含本次）');
    assert.match(await page.textContent('.earlier figcaption'), /曾驳回/);
    assert.equal(await warning.locator('img').count(), 2, 'this photo and the earlier one side by side');
    await shot(page, 'review-04-resubmission');
    // K at the top stays; A then Esc cancels; A then Enter approves.
    await page.keyboard.press('k');
    await page.keyboard.press('a');
    await page.locator('#decision-state', { hasText: '通过这张照片' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#decision #approve').waitFor();
    await page.keyboard.press('a');
    await page.keyboard.press('Enter');
    await page.locator('#queue-empty').waitFor();
    st = (await stu.get('/api/status')).body;
    assert.equal(st.state, 'approved');
    await bothSizes(page, 'review empty queue');
    guard.assertClean();
  } catch (e) {
    await shot(page, 'zz-review-failure').catch(() => {});
    throw e;
  }
});
