// checks_expression: the expression check (表情自然, the emotion network) and mouth_closed, which
// asks it before calling closed lips open. On dev photos judged by eye: broad grins fail the
// expression, a neutral face passes; closed lips the landmarks read as parted (hivision_test1) pass
// mouth_closed, an open speaking mouth (img19) and a grin (img15) do not; the region is the face;
// with no face the check says it could not measure. One process for all the photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const BIN = process.env.TUCAI_BIN;
const SHARED = process.env.TUCAI_SHARED;
const DEV = join(SHARED, 'photos/dev');

function check(files) {
  return new Promise((resolve) => {
    execFile(BIN, ['photo', 'check', ...files, '--json'], { maxBuffer: 1 << 26, timeout: 600_000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

const photos = ['deepface_img15.jpg', 'deepface_img22.jpg', 'deepface_img30.jpg', 'hivision_test1.jpg',
  'deepface_img19.jpg', 'hivision_test2.jpg'];
let reports;
async function all() {
  if (!reports) {
    const r = await check([...photos.map((f) => join(DEV, f)), join(SHARED, 'photos/negative/dlib_dogs.jpg')]);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, photos.length + 1, r.stderr);
    reports = lines.map((l) => Object.fromEntries(JSON.parse(l).checks.map((c) => [c.id, c])));
  }
  return reports;
}
const of = async (name) => (await all())[photos.indexOf(name)];

test('broad grins fail the expression check; the detail holds all seven probabilities', async () => {
  for (const f of ['deepface_img15.jpg', 'deepface_img22.jpg']) {
    const e = (await of(f)).expression;
    assert.equal(e.status, 'fail', `${f}: happy ${e.value}`);
    assert.ok(e.value > e.threshold);
    assert.match(e.message, /表情/);
    const p = e.detail;
    assert.deepEqual(Object.keys(p), ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
    const sum = Object.values(p).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  }
});

test('neutral faces pass the expression check', async () => {
  for (const f of ['deepface_img30.jpg', 'hivision_test1.jpg', 'hivision_test2.jpg']) {
    const e = (await of(f)).expression;
    assert.equal(e.status, 'pass', `${f}: happy ${e.value}`);
  }
});

test('mouth_closed: closed lips pass even where the landmarks part them; open mouths do not', async () => {
  const closed = (await of('hivision_test1.jpg')).mouth_closed;
  // The landmarks alone measure a gap above the warning line on these closed lips...
  assert.ok(closed.detail.lip_gap > 0.08, `lip gap ${closed.detail.lip_gap}`);
  // ...no teeth show and the face reads neutral, so the lips count as closed.
  assert.equal(closed.detail.closed_by_expression, true);
  assert.equal(closed.status, 'pass');
  for (const f of ['deepface_img19.jpg', 'deepface_img15.jpg']) {
    const m = (await of(f)).mouth_closed;
    assert.equal(m.detail.closed_by_expression, false, f);
    assert.notEqual(m.status, 'pass', `${f}: ${JSON.stringify(m)}`);
  }
});

test('the expression region is the face, the same as face_size measures', async () => {
  for (const f of photos) {
    const r = await of(f);
    assert.deepEqual(r.expression.region, r.face_size.region, f);
    const [, , w, h] = r.expression.region;
    assert.ok(w > 0 && h > 0, f);
  }
});

test('no face: the expression is reported unmeasured, as a warning', async () => {
  const dogs = (await all())[photos.length].expression;
  assert.equal(dogs.status, 'warn');
  assert.equal(dogs.detail.measured, false);
});
