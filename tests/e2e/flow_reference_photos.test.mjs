// 与录取照片比对 over HTTP against the real binary: the office imports the roster again
// with a ZIP of reference photos (named by student number, or by a photo column); a ZIP with hostile
// entries is refused whole, with a Chinese reason per file, and nothing of it is imported. Each
// reference's face print is computed once by the worker; then an attempt of the same man passes
// the check, another person's photo does not: the student is told what to do, the reviewer sees
// the score and the school's photo (the view audited), and once approved the office's list of weak
// matches names the student. On SQLite and PostgreSQL, photo files in the data directory.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { expectError, photo, rosterStudent, startFlowWorld } from './support/flow_world.mjs';
import { pgDatabase } from './support/server.mjs';
import { zip } from './support/zip.mjs';

const MAN = 'dev/deepface_img20.jpg';
const SAME_MAN = 'dev/deepface_img21.jpg';
const OTHER = 'dev/deepface_img11.jpg';

function rosterCsv(n, photoColumn) {
  const rows = [`学号,姓名,身份证号,学院,专业,学历层次,毕业年份${photoColumn ? ',照片文件' : ''}`];
  for (let i = 1; i <= n; i++) {
    const s = rosterStudent(i);
    rows.push([s.student_no, s.name, s.id_number, s.college, s.major, s.degree, s.grad_year,
      ...(photoColumn ? [photoColumn(i) || ''] : [])].join(','));
  }
  return rows.join('\n') + '\n';
}

for (const store of ['sqlite', 'postgres']) describe(`reference photos (${store})`, () => {
  let w;
  before(async () => { w = await startFlowWorld({ students: 3, db: store === 'postgres' ? pgDatabase() : undefined }); });
  after(async () => {
    if (!w) return;
    const srv = w.server;
    await w.close();
    assert.doesNotMatch(srv.logs.join('\n'), /Sanitizer|runtime error/, 'the server ran clean under the sanitizers');
  });

  function importRoster(csv, zipBytes) {
    const fd = new FormData();
    fd.append('file', new Blob([csv]), 'roster.csv');
    if (zipBytes) fd.append('photos', new Blob([zipBytes], { type: 'application/zip' }), 'photos.zip');
    return w.op.upload(`/api/batches/${w.batchId}/roster`, fd);
  }

  async function referencesReady(n, noFace = 0, timeout = 60000) {
    const until = Date.now() + timeout;
    for (;;) {
      const r = await w.op.get(`/api/office/batches/${w.batchId}/reference-weak`);
      assert.equal(r.status, 200, r.text);
      if (r.body.references_ready >= n && r.body.no_face.length >= noFace) return r.body;
      if (Date.now() > until) throw new Error(`references not ready: ${r.text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  const refCheck = (a) => a.checks.find((c) => c.id === 'reference_match');

  async function attempt(s, name) {
    const r = await w.upload(s, photo(name));
    assert.equal(r.status, 202, r.text);
    const a = await w.preview(s, r.body.attempt.id);
    assert.equal(a.state, 'ready', JSON.stringify(a));
    return a;
  }

  test('a ZIP with hostile entries is refused whole, each problem named, nothing imported', async () => {
    const s1 = rosterStudent(1);
    const bad = zip([
      { name: `${s1.student_no}.jpg`, data: photo(MAN) },
      { name: '../../etc/20241000099.jpg', data: photo(MAN) },
      { name: `${rosterStudent(2).student_no}.jpg`, data: Buffer.from('%PDF-1.4 not a photo') },
      { name: '20249999999.jpg', data: photo(OTHER) },
      { name: 'notes.txt', data: Buffer.from('hello') },
      { name: '__MACOSX/._x.jpg', data: Buffer.from('mac') },
    ], { bomb: `${rosterStudent(3).student_no}.jpg` });
    // A fourth student in this roster must not appear: the roster and the photos are one import.
    const r = await importRoster(rosterCsv(4), bad);
    expectError(r, 422, 'reference_photos_invalid');
    const reasons = Object.fromEntries(r.body.photo_errors.map((e) => [e.file, e.reason]));
    assert.match(reasons['../../etc/20241000099.jpg'], /路径/);
    assert.match(reasons[`${rosterStudent(2).student_no}.jpg`], /不是 JPEG/);
    assert.match(reasons['20249999999.jpg'], /名单中没有学号/);
    assert.match(reasons['notes.txt'], /只接受 JPEG/);
    assert.match(reasons[`${rosterStudent(3).student_no}.jpg`], /过大/);
    assert.equal(r.body.rejected_photos, 5, r.text);
    assert.ok(!reasons['__MACOSX/._x.jpg'], 'macOS metadata is skipped, not an error');
    const list = await w.op.get(`/api/batches/${w.batchId}/roster`);
    assert.equal(list.body.total, 3, 'nothing of the refused import was written');

    expectError(await importRoster(rosterCsv(3), Buffer.from('this is not a zip file at all')), 400, 'reference_zip_format');
  });

  test('references by student number and by photo column; a match passes, another person does not', async () => {
    const [s1, s2] = [rosterStudent(1), rosterStudent(2)];
    // Student 1 by number (in a folder, as Windows zips a folder); student 2 by the photo column.
    // Student 3's "photo" shows dogs: stored, but the office is told it has no face to compare.
    const z = zip([
      { name: `录取照片/${s1.student_no}.jpg`, data: photo(MAN) },
      { name: 'zhang-san.JPEG', data: photo(MAN) },
      { name: `${rosterStudent(3).student_no}.jpg`, data: photo('negative/dlib_dogs.jpg') },
    ]);
    const r = await importRoster(rosterCsv(3, (i) => (i === 2 ? 'zhang-san.JPEG' : '')), z);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.updated, 3, r.text);
    assert.deepEqual(r.body.reference_photos, { stored: 3, replaced: 0, skipped: 0 }, r.text);
    const ready = await referencesReady(2, 1);
    assert.deepEqual(ready.students, [], 'nothing approved yet');
    assert.deepEqual(ready.no_face.map((x) => [x.student_no, x.file]), [[rosterStudent(3).student_no, `${rosterStudent(3).student_no}.jpg`]]);

    // Student 1, the same man as the reference: passes.
    const c1 = await w.signIn(1);
    await w.link(c1, 1);
    await w.pay(c1);
    const a1 = await attempt(c1, SAME_MAN);
    const k1 = refCheck(a1);
    assert.ok(k1, JSON.stringify(a1.checks.map((c) => c.id)));
    assert.equal(k1.status, 'pass', JSON.stringify(k1));
    assert.ok(k1.value >= k1.threshold, `similarity ${k1.value}`);

    // Student 2 sends another person's photo: the check fails with advice; they confirm and submit.
    const c2 = await w.signIn(2);
    await w.link(c2, 2);
    await w.pay(c2);
    const a2 = await attempt(c2, OTHER);
    const k2 = refCheck(a2);
    assert.equal(k2.status, 'warn', JSON.stringify(k2));
    assert.ok(k2.value < k2.threshold, `similarity ${k2.value}`);
    assert.match(k2.message, /录取照片/);
    assert.match(k2.message, /美颜|滤镜/);
    expectError(await c2.post('/api/photos/submit', { attempt_id: a2.id }), 409, 'confirm_warnings');
    let x = await c2.post('/api/photos/submit', { attempt_id: a2.id, confirm_warnings: true });
    assert.equal(x.status, 201, x.text);
    const sid = x.body.submission.submission_id;

    // The reviewer: the score and the school's photo beside the attempt; the view is audited.
    const rev = await w.staff('rev1');
    const item = (await rev.get(`/api/review/items/${sid}`)).body.item;
    assert.equal(item.reference.state, 'ready');
    assert.ok(Math.abs(item.reference.similarity - k2.value) < 1e-5, JSON.stringify(item.reference));
    assert.equal(item.reference.same_person, false);
    const img = await rev.get(item.reference.image);
    assert.equal(img.status, 200, item.reference.image);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
    const views = JSON.parse(w.run(['audit', 'list', '--json', '--data', w.dir, ...(w.db ? ['--db', w.db] : []), '--action', 'reference.view']));
    assert.equal(views.length, 1, JSON.stringify(views));
    // Another school's reviewer sees neither the item nor the photo.
    const rev3 = await w.staff('rev3');
    assert.equal((await rev3.get(item.reference.image)).status, 404);

    // Approved anyway (the reviewer judged it): the office's list names the student, weakest first.
    x = await rev.post(`/api/review/items/${sid}/claim`, {});
    assert.equal(x.status, 200, x.text);
    x = await rev.post(`/api/review/items/${sid}/approve`, { note: '' });
    assert.equal(x.status, 200, x.text);
    const weak = (await w.op.get(`/api/office/batches/${w.batchId}/reference-weak`)).body;
    assert.equal(weak.students.length, 1, JSON.stringify(weak));
    assert.equal(weak.students[0].student_no, s2.student_no);
    assert.equal(weak.students[0].below_threshold, true);
    assert.ok(!JSON.stringify(weak).includes(s2.name), 'names are masked');
  });
});
