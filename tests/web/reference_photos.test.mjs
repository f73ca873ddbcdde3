// 与录取照片比对 in a real chromium: the school office imports its roster again with a ZIP
// of reference photos through the console (first a ZIP with a bad entry, whose problems are listed
// per file, then a good one); a student uploads another person's photo: the preview's 与录取照片比对
// needs attention and says what to do; they confirm and submit; the reviewer sees the
// school's photo beside the attempt with the score, flagged; once approved, the office's 录取照片比对
// section names the student. Both pages at 360x640 and 1280x800; no console errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { cleanup } from '../e2e/support/server.mjs';
import { zip } from '../e2e/support/zip.mjs';
import { addUser, bothSizes, devPhoto, idNumber, launch, makeWorld, paidStudent, shot, signInPage, staffClient, startTestServer, stopClean, until, watch } from './support/browser.mjs';

const student = { student_no: '2022110301', name: '孙七', id_number: idNumber('21020319970505345'), college: '化工学院', major: '化学工程', degree: '硕士', grad_year: 2025 };
let dir, srv, browser, world, op;

before(async () => {
  ({ dir, srv } = await startTestServer('tucai-web-reference-'));
  op = await staffClient(srv, 'op');
  world = await makeWorld(op, dir, [student]);
  addUser(dir, 'office', 'school_admin', 'office-password-123', ['--school', String(world.schoolId)]);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await stopClean(srv);
  cleanup(dir);
});

const signIn = (page, where, user, password) => signInPage(page, srv.url + where, user, password);

test('the office imports reference photos; the reviewer compares; the office sees the weak match', async () => {
  const { context } = browser;
  const guard = watch(context, { allow: (url, status) => status === 422 && /\/roster$/.test(url) });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await signIn(page, '/admin', 'office', 'office-password-123');
    await page.click('a[data-id=roster]');
    await page.locator('#roster-photos').waitFor();
    const csv = path.join(dir, 'roster-ref.csv');
    fs.writeFileSync(csv, ['学号,姓名,身份证号,学院,专业,学历层次,毕业年份',
      [student.student_no, student.name, student.id_number, student.college, student.major, student.degree, student.grad_year].join(',')].join('\n') + '\n');
    const man = fs.readFileSync(devPhoto('deepface_img20.jpg'));
    // A ZIP with a stranger's number in it: refused whole, the file and its reason listed.
    const bad = path.join(dir, 'bad.zip');
    fs.writeFileSync(bad, zip([{ name: `${student.student_no}.jpg`, data: man }, { name: '2099000001.jpg', data: man }]));
    await page.setInputFiles('#roster-file', csv);
    await page.setInputFiles('#roster-photos', bad);
    await page.click('#roster-upload');
    await page.locator('#photo-errors tbody tr').first().waitFor();
    const rows = await page.locator('#photo-errors tbody tr').allTextContents();
    assert.equal(rows.length, 1, rows.join('\n'));
    assert.match(rows[0], /2099000001\.jpg.*名单中没有学号/);
    await shot(page, 'reference-01-import-refused');
    const good = path.join(dir, 'good.zip');
    fs.writeFileSync(good, zip([{ name: `${student.student_no}.jpg`, data: man }]));
    await page.setInputFiles('#roster-photos', good);
    await page.click('#roster-upload');
    await until(page, () => /录取照片 1 张/.test(document.querySelector('#roster-summary')?.textContent || ''));
    // The worker computes the reference's print; the office list says when it is ready.
    for (let i = 0; ; i++) {
      const r = await op.get(`/api/office/batches/${world.batchId}/reference-weak`);
      if (r.body.references_ready === 1) break;
      assert.ok(i < 300, 'the reference print did not come');
      await new Promise((res) => setTimeout(res, 100));
    }

    // The student (in a browser of their own) uploads another person's photo from the album.
    const c = await paidStudent(srv, dir, world, student, '13900000011');
    const sb = await launch();
    try {
      const sguard = watch(sb.context);
      await sb.context.addCookies([...c.cookies].map(([name, value]) => ({ name, value, url: srv.url })));
      const sp = await sb.context.newPage();
      await sp.goto(srv.url + '/');
      await sp.evaluate(() => { localStorage.setItem('tucai.signedIn', 'true'); localStorage.setItem('tucai.rulesRead', 'true'); });
      await sp.goto(srv.url + '/#/shoot');
      await sp.reload();
      await sp.locator('h1', { hasText: '拍摄照片' }).waitFor();
      await sp.setInputFiles('#photo-file', devPhoto('deepface_img11.jpg'));
      await sp.locator('#submit-photo').waitFor({ timeout: 60000 });
      const ref = sp.locator('ul.checks li', { hasText: '与录取照片比对' });
      assert.equal(await ref.count(), 1, await sp.textContent('ul.checks'));
      assert.match(await ref.getAttribute('class'), /warn/);
      assert.match(await ref.textContent(), /录取照片不像同一个人.*不要大幅修图.*滤镜/);
      await shot(sp, 'reference-00-student-preview');
      await bothSizes(sp, 'student preview with reference');
      await sp.check('#confirm-warnings');
      await sp.click('#submit-photo');
      await sp.locator('#status-label', { hasText: '审核中' }).waitFor();
      sguard.assertClean();
    } finally {
      await sb.close();
    }

    const rp = await context.newPage();
    await rp.setViewportSize({ width: 1280, height: 800 });
    await signIn(rp, '/review', 'rev', 'rev-password-123');
    await rp.locator('#reference img[alt="学校提供的录取照片"]').waitFor();
    assert.match(await rp.textContent('#reference-score'), /相似度 0\.\d\d（同一人至少 0\.661）：可能不是同一个人/);
    const sizes = await rp.locator('#reference img').evaluateAll((imgs) => Promise.all(imgs.map((i) => i.decode().then(() => i.naturalWidth))));
    assert.equal(sizes.length, 2);
    assert.ok(sizes.every((w) => w > 0), 'both photos shown: ' + sizes);
    assert.equal(await rp.getAttribute('#reference', 'role'), 'alert');
    await shot(rp, 'reference-02-review');
    await bothSizes(rp, 'review with reference');
    await rp.setViewportSize({ width: 1280, height: 800 });
    await rp.keyboard.press('a');
    await rp.locator('#confirm').waitFor();
    await rp.keyboard.press('Enter');
    for (let i = 0; ; i++) {
      const r = await op.get(`/api/office/batches/${world.batchId}/reference-weak`);
      if (r.body.students.length === 1) break;
      assert.ok(i < 100, 'the approval did not reach the list: ' + r.text);
      await new Promise((res) => setTimeout(res, 100));
    }
    // The pages share one browser's cookies: the reviewer signs out, the office signs in again.
    await rp.click('#signout');
    await rp.locator('#username').waitFor();
    await rp.close();
    await signIn(page, '/admin', 'office', 'office-password-123');
    await page.click('a[data-id=reference]');
    await page.locator('#reference-weak tbody tr').first().waitFor();
    const weak = await page.locator('#reference-weak tbody tr').allTextContents();
    assert.equal(weak.length, 1);
    assert.match(weak[0], new RegExp(`${student.student_no}.*0\\.\\d\\d 不一致`));
    assert.ok(!weak[0].includes(student.name), 'the name is masked');
    await shot(page, 'reference-03-office-weak');
    await bothSizes(page, 'office reference list');
    guard.assertClean();
  } finally {
    await page.close();
  }
});
