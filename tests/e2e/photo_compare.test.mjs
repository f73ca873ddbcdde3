// photo_compare: `tucai photo compare` decides every pair of ../shared/photos/pairs.csv right at the
// shipped threshold (the margins are printed), says "no face" with exit 3, and refuses bad input
// with exit 2 and a reason, never a crash (this runs on the ASan build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.TUCAI_BIN;
const SHARED = process.env.TUCAI_SHARED;
const PHOTOS = join(SHARED, 'photos');
const tmp = mkdtempSync(join(tmpdir(), 'tucai-compare-'));

function run(args, opts = {}) {
  return new Promise((resolve) => {
    execFile(BIN, ['photo', 'compare', ...args], { maxBuffer: 1 << 26, timeout: 600_000, ...opts },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

// pairs.csv: '#' comments, a header "photo_a,photo_b,same", then paths relative to its folder.
const pairs = readFileSync(join(PHOTOS, 'pairs.csv'), 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('photo_a,'))
  .map((l) => { const [a, b, same] = l.trim().split(','); return { a, b, same: same === '1' }; });

test('pairs.csv is what we think it is', () => {
  assert.equal(pairs.length, 300);
  assert.equal(pairs.filter((p) => p.same).length, 38);
});

test('one pair: the answer, the score and the thresholds used', async () => {
  const same = pairs.find((p) => p.same), diff = pairs.find((p) => !p.same);
  const r = await run([join(PHOTOS, same.a), join(PHOTOS, same.b), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.same, true);
  assert.ok(j.similarity >= j.threshold && j.similarity <= 1);
  assert.ok(j.calibration.impostor_max < j.threshold && j.threshold < j.calibration.genuine_min);
  assert.equal(j.a.found, true);
  assert.equal(j.a.face.length, 4);
  const t = await run([join(PHOTOS, diff.a), join(PHOTOS, diff.b)]);
  assert.equal(t.code, 1, t.stderr);
  assert.match(t.stdout, /^different people: similarity 0\.\d{4}, threshold 0\.\d+/);
});

test('every pair of pairs.csv is decided right at the shipped threshold', async () => {
  const list = join(tmp, 'pairs.txt');
  writeFileSync(list, pairs.map((p) => `${p.a},${p.b}`).join('\n') + '\n');
  // The threshold the binary ships, from one comparison.
  const one = JSON.parse((await run([join(PHOTOS, pairs[0].a), join(PHOTOS, pairs[0].b), '--json'])).stdout);
  const thr = one.threshold;
  const r = await run(['--pairs', list, '--json'], { cwd: PHOTOS });
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(got.length, pairs.length);
  const wrong = [];
  let sameMin = 2, diffMax = -2;
  got.forEach((g, i) => {
    const p = pairs[i];
    assert.equal(g.a, p.a);
    assert.equal(g.b, p.b);
    assert.equal(typeof g.similarity, 'number', `${p.a} ${p.b}: no face`);
    if (p.same) sameMin = Math.min(sameMin, g.similarity);
    else diffMax = Math.max(diffMax, g.similarity);
    assert.equal(g.same, g.similarity >= thr);
    if (g.same !== p.same) wrong.push(`${p.a} ${p.b} same=${p.same} similarity ${g.similarity}`);
  });
  console.log(`threshold ${thr}: same person at least ${sameMin.toFixed(4)} (margin ${(sameMin - thr).toFixed(4)}), ` +
    `different people at most ${diffMax.toFixed(4)} (margin ${(thr - diffMax).toFixed(4)})`);
  assert.deepEqual(wrong, []);
});

test('a photo without a face: exit 3, whichever side it is on', async () => {
  const dog = join(PHOTOS, 'negative/dlib_dogs.jpg'), face = join(PHOTOS, 'dev/deepface_img1.jpg');
  for (const args of [[dog, face], [face, dog]]) {
    const r = await run(args);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /NO_FACE: no face found in .*dlib_dogs\.jpg/);
  }
  const j = await run([face, dog, '--json']);
  assert.equal(j.code, 3);
  const o = JSON.parse(j.stdout);
  assert.equal(o.same, null);
  assert.equal(o.reason, 'NO_FACE');
  assert.equal(o.b.found, false);
});

test('bad input is refused with a reason, never a crash', async () => {
  const face = join(PHOTOS, 'dev/deepface_img1.jpg');
  const jpeg = readFileSync(face);
  const files = {
    text: Buffer.from('not a photo at all\n'),
    empty: Buffer.alloc(0),
    truncated: jpeg.subarray(0, Math.floor(jpeg.length / 3)),
    // A PNG header claiming 100000 x 100000 pixels and nothing behind it.
    huge: Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
      Buffer.from([0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0]), Buffer.alloc(4)]),
  };
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(tmp, `${name}.jpg`);
    writeFileSync(path, bytes);
    const r = await run([face, path]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /tucai photo compare: [A-Z_]+: .*\.jpg: /, name);
  }
  const dir = join(tmp, 'a-directory.jpg');
  mkdirSync(dir);
  for (const args of [[face], [face, face, face], [face, dir], [face, join(tmp, 'missing.jpg')], [face, face, '--bogus'],
    ['--pairs', join(tmp, 'missing.txt')]]) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const badList = join(tmp, 'bad-list.txt');
  writeFileSync(badList, 'only-one-field\n');
  const r = await run(['--pairs', badList]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad-list\.txt:1: want "A,B"/);
});
