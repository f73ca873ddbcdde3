// `tucai photo` as other tools use it: exit codes, files written or not, the report, batch,
// profiles and print sheets. Photos come from ../shared/photos; nothing is copied into the repo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = process.env.TUCAI_BIN;
const SHARED = process.env.TUCAI_SHARED;
const dev = (f) => path.join(SHARED, 'photos/dev', f);
const neg = (f) => path.join(SHARED, 'photos/negative', f);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tucai-photo-'));
// Under ASan, full stacks (slow unwinding) so that tests/lsan.supp can name the cairo function
// whose one-off leak it suppresses; libcairo has no frame pointers for the fast unwinder.
const env = { ...process.env };
if (env.ASAN_OPTIONS) env.ASAN_OPTIONS += ':fast_unwind_on_malloc=0';
const tucai = (...args) => spawnSync(BIN, ['photo', ...args], { encoding: 'utf8', timeout: 120000 });
const tucaiSheet = (...args) => spawnSync(BIN, ['photo', 'sheet', ...args], { encoding: 'utf8', timeout: 120000, env });

// JPEG facts from the bytes: size from SOF, density from JFIF, which APPn markers exist.
function jpegFacts(buf) {
  assert.equal(buf.readUInt16BE(0), 0xffd8, 'SOI');
  const facts = { app: [] };
  let i = 2;
  while (i + 4 <= buf.length && buf[i] === 0xff) {
    const m = buf[i + 1];
    const len = buf.readUInt16BE(i + 2);
    if (m >= 0xe0 && m <= 0xef) facts.app.push(m - 0xe0);
    if (m === 0xe0 && buf.toString('latin1', i + 4, i + 8) === 'JFIF') {
      facts.unit = buf[i + 11];
      facts.xdpi = buf.readUInt16BE(i + 12);
      facts.ydpi = buf.readUInt16BE(i + 14);
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      facts.height = buf.readUInt16BE(i + 5);
      facts.width = buf.readUInt16BE(i + 7);
    }
    if (m === 0xda) break;
    i += 2 + len;
  }
  return facts;
}

test('standardize writes a conformant 480x640 300 dpi JPEG and a report', () => {
  const out = path.join(tmp, 'std.jpg');
  const report = path.join(tmp, 'std.json');
  const r = tucai('standardize', dev('hivision_test1.jpg'), '-o', out, '--report', report);
  assert.equal(r.status, 0, r.stderr);
  const buf = fs.readFileSync(out);
  const f = jpegFacts(buf);
  assert.deepEqual([f.width, f.height, f.unit, f.xdpi, f.ydpi], [480, 640, 1, 300, 300]);
  assert.deepEqual(f.app, [0], 'only the JFIF segment, no EXIF/ICC/XMP');
  assert.ok(buf.length >= 20480 && buf.length <= 40000, `${buf.length} bytes`);
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  assert.equal(rep.status, 'conformant');
  assert.equal(rep.profile, 'chsi-blue');
  assert.equal(rep.output.bytes, buf.length);
  assert.ok(rep.output.quality >= 60);
  const g = rep.geometry;
  assert.ok(g.eye_y >= 200 && g.eye_y <= 300 && g.crown_y >= 50 && g.crown_y <= 110);
  assert.ok(g.face_width >= 180 && g.face_width <= 300 && Math.abs(g.center_x - 240) < 1);
  for (const k of ['roll_deg', 'yaw_deg', 'pitch_deg', 'chin_y']) assert.equal(typeof g[k], 'number', k);
  assert.ok(rep.segmentation.confidence > 0.5 && rep.segmentation.confidence <= 1);
  for (const s of ['decode', 'detect', 'landmarks', 'matting', 'segment', 'frame', 'matte', 'encode', 'total'])
    assert.ok(rep.timing_ms[s] >= 0, s);
  assert.ok(Array.isArray(rep.warnings));
  // The automatic checks are part of the report: every check, each with where it looked.
  assert.equal(rep.checks.length, 31);
  for (const c of rep.checks) {
    assert.match(c.status, /^(pass|warn|fail)$/, c.id);
    assert.equal(c.region.length, 4, c.id);
  }
  assert.ok(rep.checks.some((c) => c.id === 'glasses'));
});

test('other profiles give their own size and background', () => {
  for (const [name, w, h] of [['cet', 240, 320], ['one-inch', 295, 413], ['chsi-white', 480, 640]]) {
    const out = path.join(tmp, `${name}.jpg`);
    const r = tucai('standardize', dev('hivision_test3.jpg'), '-o', out, '--profile', name);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    const f = jpegFacts(fs.readFileSync(out));
    assert.deepEqual([f.width, f.height], [w, h], name);
  }
});

test('a refusal exits 3, writes no photo, and gives the code and a Chinese message', () => {
  const out = path.join(tmp, 'dogs.jpg');
  const report = path.join(tmp, 'dogs.json');
  const r = tucai('standardize', neg('dlib_dogs.jpg'), '-o', out, '--report', report);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^NO_FACE: .*[\u4e00-\u9fff]/m);
  assert.equal(fs.existsSync(out), false);
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  assert.equal(rep.status, 'refused');
  assert.equal(rep.reason, 'NO_FACE');
  assert.match(rep.message, /[\u4e00-\u9fff]/);
  const couple = tucai('standardize', neg('deepface_couple.jpg'), '-o', out);
  assert.equal(couple.status, 3);
  assert.match(couple.stderr, /^MULTIPLE_FACES: /m);
});

test('hostile files are refused, not crashed on', () => {
  const text = path.join(tmp, 'text.jpg');
  fs.writeFileSync(text, 'not a photo\n');
  let r = tucai('standardize', text, '-o', path.join(tmp, 'x.jpg'));
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^UNSUPPORTED_FORMAT: /m);
  const empty = path.join(tmp, 'empty.jpg');
  fs.writeFileSync(empty, '');
  r = tucai('standardize', empty, '-o', path.join(tmp, 'x.jpg'));
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^CORRUPT_IMAGE: /m);
  const big = path.join(tmp, 'big.jpg');
  fs.writeFileSync(big, Buffer.alloc(21 * 1024 * 1024, 0xff));
  r = tucai('standardize', big, '-o', path.join(tmp, 'x.jpg'), '--report', path.join(tmp, 'big.json'));
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^IMAGE_TOO_LARGE: /m);
  assert.equal(JSON.parse(fs.readFileSync(path.join(tmp, 'big.json'), 'utf8')).reason, 'IMAGE_TOO_LARGE');
});

test('usage and I/O errors exit 2', () => {
  assert.equal(tucai('standardize', dev('hivision_test1.jpg')).status, 2, 'no -o');
  assert.equal(tucai('standardize', path.join(tmp, 'missing.jpg'), '-o', path.join(tmp, 'y.jpg')).status, 2);
  const bad = tucai('standardize', dev('hivision_test1.jpg'), '-o', path.join(tmp, 'y.jpg'), '--profile', '../etc/passwd');
  assert.equal(bad.status, 2);
  assert.equal(tucai('standardize', dev('hivision_test1.jpg'), '-o', path.join(tmp, 'no/such/dir/y.jpg')).status, 2);
  assert.equal(tucai('frobnicate').status, 2);
});

test('profiles lists the seven shipped profiles', () => {
  const r = tucai('profiles', '--json');
  assert.equal(r.status, 0, r.stderr);
  const names = JSON.parse(r.stdout).map((p) => p.name);
  for (const n of ['chsi-blue', 'chsi-white', 'chsi-grey', 'cet', 'one-inch', 'two-inch', 'social-security'])
    assert.ok(names.includes(n), n);
  assert.match(tucai('profiles').stdout, /chsi-blue .*\(default\)/);
});

test('batch processes a folder on several threads and writes a CSV report', () => {
  const inDir = path.join(tmp, 'in');
  const outDir = path.join(tmp, 'out');
  fs.mkdirSync(inDir);
  for (const f of ['hivision_test0.jpg', 'hivision_test2.jpg']) fs.symlinkSync(dev(f), path.join(inDir, f));
  fs.symlinkSync(neg('dlib_dogs.jpg'), path.join(inDir, 'dogs.jpg'));
  fs.writeFileSync(path.join(inDir, 'notes.txt'), 'ignored');
  const csv = path.join(tmp, 'report.csv');
  const r = tucai('batch', inDir, '-o', outDir, '--jobs', '2', '--report', csv);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 photos .* 2 conformant, 1 refused, 0 errors/);
  assert.deepEqual(fs.readdirSync(outDir).sort(), ['hivision_test0.jpg', 'hivision_test2.jpg']);
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'file,status,reason,bytes,quality,ms');
  assert.match(lines.find((l) => l.startsWith('"dogs.jpg"')), /,refused,NO_FACE,/);
});

test('sheet makes a 6-inch PDF with captions in a CJK font, and a 300 dpi JPEG', () => {
  const std = path.join(tmp, 'std.jpg');
  if (!fs.existsSync(std)) assert.equal(tucai('standardize', dev('hivision_test1.jpg'), '-o', std).status, 0);
  const pdf = path.join(tmp, 'sheet.pdf');
  let r = tucaiSheet(std, '-o', pdf, '--copies', '4', '--caption', '张三 2024010101');
  assert.equal(r.status, 0, r.stderr);
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout;
  const [, w, h] = info.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/);
  const mm = [w, h].map((v) => Math.round((v / 72) * 25.4)).sort((a, b) => a - b);
  assert.deepEqual(mm, [102, 152]);
  assert.match(spawnSync('pdffonts', [pdf], { encoding: 'utf8' }).stdout, /NotoSansCJK/);
  // pdftotext spaces out the CJK font's digits; the caption is there once per copy.
  const text = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '');
  assert.equal(text.split('张三2024010101').length - 1, 4);
  const jpg = path.join(tmp, 'sheet.jpg');
  r = tucaiSheet(std, '-o', jpg, '--copies', '2', '--caption', '李四');
  assert.equal(r.status, 0, r.stderr);
  const f = jpegFacts(fs.readFileSync(jpg));
  assert.deepEqual([Math.min(f.width, f.height), Math.max(f.width, f.height), f.xdpi], [1205, 1795, 300]);
  assert.equal(tucaiSheet(std, '-o', pdf, '--copies', '50').status, 2, 'more copies than fit');
});
