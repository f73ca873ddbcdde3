// checks_cli: `tucai photo check` on every dev photo: each of the 31 ids reports, the JSON
// validates against tests/data/checks.schema.json, regions lie inside the photo, failing
// advice is Chinese; the exit status says whether a check failed; bad input is refused.
// The dev photos go through two processes (several files per run, JSON Lines out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.TUCAI_BIN;
const SOURCE = process.env.TUCAI_SOURCE;
const SHARED = process.env.TUCAI_SHARED;
const DEV = join(SHARED, 'photos/dev');
const schema = JSON.parse(readFileSync(join(SOURCE, 'tests/data/checks.schema.json'), 'utf8'));
const IDS = ['single_face', 'face_size', 'head_pose', 'eyes_open', 'gaze_forward', 'mouth_closed',
  'mouth_occluded', 'glasses', 'tinted_lenses', 'head_covering', 'hair_over_eyebrows',
  'ears_visible', 'forehead_visible', 'earrings', 'necklace', 'neck_visible', 'bare_shoulders',
  'clothing_color', 'clothing_pattern', 'sharpness', 'exposure', 'illumination_uniformity',
  'face_shadow', 'red_eye', 'hot_spots', 'background_uniformity', 'recapture', 'retouching',
  'makeup', 'compression', 'expression'];

// The subset of JSON Schema the schema file uses; unknown keywords are refused so that the
// schema cannot silently say more than is checked.
const KNOWN = new Set(['$schema', '$id', 'title', 'type', 'required', 'additionalProperties',
  'properties', 'items', 'minItems', 'maxItems', 'enum', 'pattern', 'minLength', 'minimum']);
function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
function validate(s, v, path, errors) {
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} not supported`);
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      errors.push(`${path}: ${t} is not ${types.join('|')}`);
      return;
    }
  }
  if (s.enum && !s.enum.includes(v)) errors.push(`${path}: ${JSON.stringify(v)} not in enum`);
  if (s.pattern && !(new RegExp(s.pattern, 'u')).test(v)) errors.push(`${path}: does not match ${s.pattern}`);
  if (s.minLength !== undefined && [...v].length < s.minLength) errors.push(`${path}: too short`);
  if (s.minimum !== undefined && v < s.minimum) errors.push(`${path}: below ${s.minimum}`);
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items) v.forEach((x, i) => validate(s.items, x, `${path}[${i}]`, errors));
  } else if (typeOf(v) === 'object') {
    for (const r of s.required || []) if (!(r in v)) errors.push(`${path}: missing ${r}`);
    for (const [k, x] of Object.entries(v)) {
      if (s.properties && s.properties[k]) validate(s.properties[k], x, `${path}.${k}`, errors);
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected ${k}`);
    }
  }
  return errors;
}

function check(args) {
  return new Promise((resolve) => {
    execFile(BIN, ['photo', 'check', ...args], { maxBuffer: 8 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' } },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

function jpegSize(buf) {
  for (let i = 2; i + 9 < buf.length;) {
    if (buf[i] !== 0xff) break;
    const m = buf[i + 1], len = buf.readUInt16BE(i + 2);
    if (m >= 0xc0 && m <= 0xc3) return { h: buf.readUInt16BE(i + 5), w: buf.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}

test('the schema validator itself rejects bad reports', () => {
  assert.equal(validate(schema, { checks: [] }, '$', []).length, 1);
  const bad = { checks: IDS.map((id) => ({ id, status: 'ok', value: 1, threshold: null, message: '通过', region: [0, 0, 1] })) };
  assert.ok(validate(schema, bad, '$', []).length >= 60);
});

test('the labels cover every dev photo with known check ids only', () => {
  const labels = JSON.parse(readFileSync(join(SOURCE, 'tests/data/check_labels.json'), 'utf8')).photos;
  const photos = readdirSync(DEV).filter((f) => f.endsWith('.jpg')).sort();
  assert.deepEqual(Object.keys(labels).sort(), photos);
  for (const [f, ids] of Object.entries(labels)) {
    for (const id of ids) assert.ok(IDS.includes(id), `${f}: unknown check ${id}`);
    assert.equal(new Set(ids).size, ids.length, `${f}: duplicate label`);
  }
});

test('every dev photo: all 31 ids, valid JSON per the schema, regions inside the photo', async () => {
  const photos = readdirSync(DEV).filter((f) => f.endsWith('.jpg')).sort();
  assert.equal(photos.length, 36);
  // One process for all of them (the engine loads once): one JSON report per line, in order.
  const half = Math.ceil(photos.length / 2);
  const runs = await Promise.all([photos.slice(0, half), photos.slice(half)].map(
    (part) => check([...part.map((f) => join(DEV, f)), '--json'])));
  const lines = runs.flatMap((r) => r.stdout.trim().split('\n'));
  assert.equal(lines.length, photos.length, runs.map((r) => r.stderr).join('\n'));
  let anyFail = [false, false];
  photos.forEach((f, i) => {
    const report = JSON.parse(lines[i]);
    const errors = validate(schema, report, '$', []);
    assert.deepEqual(errors, [], `${f}: ${errors.join('; ')}`);
    assert.deepEqual(report.checks.map((c) => c.id), IDS, f);
    const size = jpegSize(readFileSync(join(DEV, f)));
    for (const c of report.checks) {
      const [x, y, w, h] = c.region;
      if (size) {
        // EXIF orientation may swap the sides.
        const W = Math.max(size.w, size.h) + 2;
        assert.ok(x + w <= W && y + h <= W, `${f} ${c.id}: region ${c.region} outside ${size.w}x${size.h}`);
      }
      if (c.status !== 'pass') assert.match(c.message, /[\u4e00-\u9fff]/, `${f} ${c.id}: advice in Chinese`);
    }
    // Each region covers what its check judges: the ears are beside the face, not over the eyes.
    const reg = Object.fromEntries(report.checks.map((c) => [c.id, c.region]));
    const [ex, ey, ew, eh] = reg.ears_visible, [yx, yy, yw, yh] = reg.eyes_open, face = reg.face_size;
    if (ew > 0 && yw > 0) {
      const overlap = Math.max(0, Math.min(ex + ew, yx + yw) - Math.max(ex, yx)) * Math.max(0, Math.min(ey + eh, yy + yh) - Math.max(ey, yy));
      assert.ok(overlap <= 0.1 * yw * yh, `${f}: the ears' region ${reg.ears_visible} lies over the eyes ${reg.eyes_open}`);
      assert.ok(ex + ew <= face[0] + 0.25 * face[2] || ex >= face[0] + 0.75 * face[2], `${f}: ears' region ${reg.ears_visible} not beside the face ${face}`);
    }
    if (report.checks.some((c) => c.status === 'fail')) anyFail[i < half ? 0 : 1] = true;
  });
  runs.forEach((r, k) => assert.equal(r.code, anyFail[k] ? 1 : 0, 'exit status is the worst of the photos'));
});

test('glasses fail under chsi-blue and only warn under one-inch', async () => {
  const photo = join(DEV, 'deepface_img24.jpg');
  const school = JSON.parse((await check([photo, '--json'])).stdout);
  const national = JSON.parse((await check([photo, '--json', '--profile', 'one-inch'])).stdout);
  assert.equal(school.checks.find((c) => c.id === 'glasses').status, 'fail');
  assert.equal(national.checks.find((c) => c.id === 'glasses').status, 'warn');
});

test('a plain photo passes; the text output names each check', async () => {
  const r = await check([join(DEV, 'deepface_img30.jpg')]);
  assert.equal(r.code, 0, r.stderr);
  for (const id of IDS) assert.match(r.stdout, new RegExp(`\\b${id}\\b`));
  const json = await check([join(DEV, 'deepface_img30.jpg'), '--json']);
  assert.equal(json.code, 0);
  assert.ok(JSON.parse(json.stdout).checks.every((c) => c.status !== 'fail'));
});

test('no face, bad files and bad profiles are refused or reported, never a crash', async () => {
  const dogs = await check([join(SHARED, 'photos/negative/dlib_dogs.jpg'), '--json']);
  assert.equal(dogs.code, 1);
  const rep = JSON.parse(dogs.stdout);
  assert.equal(rep.checks.find((c) => c.id === 'single_face').status, 'fail');
  const couple = JSON.parse((await check([join(SHARED, 'photos/negative/deepface_couple.jpg'), '--json'])).stdout);
  assert.equal(couple.checks.find((c) => c.id === 'single_face').status, 'fail');

  const dir = mkdtempSync(join(tmpdir(), 'tucai-checks-'));
  const text = join(dir, 'text.jpg');
  writeFileSync(text, 'not a photo at all');
  const truncated = join(dir, 'truncated.jpg');
  writeFileSync(truncated, readFileSync(join(DEV, 'deepface_img30.jpg')).subarray(0, 300));
  for (const f of [text, truncated, join(dir, 'missing.jpg')]) {
    const r = await check([f]);
    assert.equal(r.code, 2, `${f}: ${r.stdout}`);
    assert.ok(r.stderr.length > 0);
  }
  assert.equal((await check([join(DEV, 'deepface_img30.jpg'), '--profile', '../etc/passwd'])).code, 2);
  assert.equal((await check([join(DEV, 'deepface_img30.jpg'), '--profile', 'nope'])).code, 2);
  assert.equal((await check([])).code, 2);
});
