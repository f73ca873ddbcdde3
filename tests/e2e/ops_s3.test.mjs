// Photos on S3-compatible storage (blob_store = s3, src/blob/s3.h), against a real S3 server: the
// suite's Ceph radosgw (CTest fixture `s3`, tests/support/s3_server.sh; TUCAI_S3_DIR names its
// endpoint, bucket and key files). `tucai serve` takes a student's upload, standardizes it and
// serves both photos while the bucket holds only ciphertext (no JPEG anywhere, nothing under
// <data>/blobs); `tucai doctor` probes the bucket; a wrong secret is a clear error, not a crash;
// backup copies the objects into the archive and restore puts them into another bucket, from
// which a restored server serves the same photos and `tucai verify` decrypts every object. Two
// nodes on one PostgreSQL and the bucket, with no shared disk, serve each other's photos.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, pgDatabase, startServer, tempDir, tucai, waitFor } from './support/server.mjs';
import { photo, startFlowWorld } from './support/flow_world.mjs';

const S3 = process.env.TUCAI_S3_DIR;
const s3file = (n) => fs.readFileSync(path.join(S3, n), 'utf8').trim();

// The test's own view of the bucket, through curl's SigV4 (not through tucai).
function s3curl(method, urlPath, { out } = {}) {
  const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const args = ['-sS', '--fail-with-body', '--max-time', '20', '--aws-sigv4', 'aws:amz:us-east-1:s3',
    '--user', `${s3file('access_key')}:${s3file('secret_key')}`, '-H', `x-amz-content-sha256: ${empty}`,
    '-X', method, `${s3file('endpoint')}${urlPath}`];
  return execFileSync('curl', args, { maxBuffer: 64 << 20, encoding: out === 'buffer' ? 'buffer' : 'utf8' });
}
const listKeys = (bucket) => [...s3curl('GET', `/${bucket}?max-keys=1000`).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);

describe('photos on S3 (Ceph radosgw)', () => {
  let w, tmp, s3Args, student, attempt, images, restored;
  // A bucket of this test's own: other tests share the fixture's bucket.
  const bucket = `tucai-e2e-${process.pid}`;
  before(async () => {
    assert.ok(S3 && fs.existsSync(path.join(S3, 'endpoint')), 'the s3 fixture runs (ctest starts s3/start)');
    tmp = tempDir('tucai-s3-');
    s3curl('PUT', `/${bucket}`);
    s3Args = ['--s3-endpoint', s3file('endpoint'), '--s3-bucket', bucket,
      '--s3-access-key-file', path.join(S3, 'access_key'), '--s3-secret-key-file', path.join(S3, 'secret_key')];
    w = await startFlowWorld({ students: 1, args: ['--blob-store', 's3', ...s3Args] });
    student = await w.signIn(1);
    await w.link(student, 1);
    await w.pay(student);
  });
  after(async () => {
    if (restored) await restored.stop();
    if (w) await w.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('an upload is standardized and served; the bucket holds only ciphertext', { timeout: 180000 }, async () => {
    const before = new Set(listKeys(bucket));
    const r = await w.upload(student, photo('dev/deepface_img11.jpg'));
    assert.equal(r.status, 202, r.text);
    attempt = await w.preview(student, r.body.attempt.id, 120000);
    assert.ok(attempt.images.standardized, JSON.stringify(attempt));
    const orig = await student.get(attempt.images.original);
    const std = await student.get(attempt.images.standardized);
    assert.equal(orig.status, 200);
    assert.equal(std.status, 200);
    assert.ok(orig.raw.equals(photo('dev/deepface_img11.jpg')), 'the original comes back byte for byte');
    assert.equal(std.raw.subarray(0, 3).toString('hex'), 'ffd8ff', 'the standardized photo is a JPEG');
    images = { orig: orig.raw, std: std.raw };

    const added = listKeys(bucket).filter((k) => !before.has(k));
    assert.ok(added.length >= 2, `the original and the standardized photo are objects: ${added}`);
    for (const k of added) {
      assert.match(k, /^[0-9a-f]{2}\/[0-9a-f]{32}$/);
      const o = s3curl('GET', `/${bucket}/${k}`, { out: 'buffer' });
      assert.equal(o.subarray(0, 4).toString(), 'TBL1', 'our ciphertext format');
      assert.notEqual(o.subarray(0, 3).toString('hex'), 'ffd8ff', `${k} is no JPEG`);
      // Nowhere in it a run of either photo (64 bytes: chance matches are out of the question).
      for (let at = 0; at + 64 <= orig.raw.length; at += 4096) assert.equal(o.indexOf(orig.raw.subarray(at, at + 64)), -1);
      for (let at = 0; at + 64 <= std.raw.length; at += 4096) assert.equal(o.indexOf(std.raw.subarray(at, at + 64)), -1);
    }
    const local = path.join(w.dir, 'blobs');
    const files = fs.existsSync(local) ? fs.readdirSync(local, { recursive: true }).filter((f) => fs.statSync(path.join(local, f)).isFile()) : [];
    assert.deepEqual(files, [], 'nothing at rest on the local disk');
  });

  test('doctor probes the bucket: ok with the right keys, FAIL with the reason with a wrong secret', () => {
    let r = tucai(['doctor', '--data', w.dir, '--blob-store', 's3', ...s3Args]);
    assert.match(r.stdout, /^ok\s+s3 storage\s+http:\/\/127\.0\.0\.1:\d+ bucket \S+: put, get and delete of a probe object/m, r.stdout);
    const wrong = path.join(tmp, 'wrong_secret');
    fs.writeFileSync(wrong, 'this-is-not-the-secret\n', { mode: 0o600 });
    const bad = s3Args.map((a) => (a === path.join(S3, 'secret_key') ? wrong : a));
    r = tucai(['doctor', '--data', w.dir, '--blob-store', 's3', ...bad]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL\s+s3 storage\s+S3 bucket check refused: HTTP 403/m, r.stdout);
    assert.ok(!r.stdout.includes('this-is-not-the-secret') && !r.stdout.includes(s3file('secret_key')));
    r = tucai(['doctor', '--data', w.dir, '--blob-store', 's3', ...s3Args.slice(0, 2), '--s3-bucket', 'no-such-bucket', ...s3Args.slice(4)]);
    assert.match(r.stdout, /^FAIL\s+s3 storage\s+S3 bucket check: the bucket does not exist/m, r.stdout);
  });

  test('a wrong secret: uploads fail with a clear error, the server stays up, nothing leaks', { timeout: 120000 }, async () => {
    const wrong = path.join(tmp, 'wrong_secret2');
    fs.writeFileSync(wrong, 'another-wrong-secret\n', { mode: 0o600 });
    await w.server.stop();
    const bad = s3Args.map((a) => (a === path.join(S3, 'secret_key') ? wrong : a));
    await w.start(['--blob-store', 's3', ...bad]);
    const c = Object.assign(new Client(w.server.url), { cookies: new Map(student.cookies) });
    const r = await w.upload(c, photo('dev/deepface_img12.jpg'));
    assert.equal(r.status, 500, r.text);
    assert.equal(r.body.error.code, 'internal');
    assert.match(r.body.error.message, /服务器内部错误/);
    // The operator's log says why, without the secret (the line may reach us after the answer).
    const line = await waitFor(() => w.server.logs.find((l) => l.includes('s3_denied')));
    assert.match(line, /SignatureDoesNotMatch/);
    assert.ok(!w.server.logs.some((l) => l.includes('another-wrong-secret') || l.includes(s3file('secret_key'))));
    // Still serving.
    assert.equal((await c.get('/api/status')).status, 200);
    await w.server.stop();
    await w.start(['--blob-store', 's3', ...s3Args]);
  });

  test('backup copies the objects; restore puts them into a new bucket; verify and a restored server read them', { timeout: 180000 }, async () => {
    const file = path.join(tmp, 'tucai.backup');
    let r = tucai(['backup', '-o', file, '--data', w.dir, '--blob-store', 's3', ...s3Args]);
    assert.equal(r.status, 0, r.stderr);
    const list = execFileSync('tar', ['tf', file]).toString().trim().split('\n');
    const objects = list.filter((f) => f.startsWith('s3/'));
    assert.ok(objects.length >= 2, list.join('\n'));

    // Without S3 settings restore refuses, and leaves nothing behind.
    const data = path.join(tmp, 'restored');
    r = tucai(['restore', file, '--data', data]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /photo objects from S3 storage: give the S3 settings/);
    assert.ok(!fs.existsSync(data));

    const bucket2 = `tucai-restore-${process.pid}`;
    s3curl('PUT', `/${bucket2}`);
    const args2 = s3Args.map((a) => (a === bucket ? bucket2 : a));
    r = tucai(['restore', file, '--data', data, ...args2]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${objects.length} photo objects put into .* bucket ${bucket2}`));
    assert.deepEqual(listKeys(bucket2).sort(), objects.map((o) => o.slice(3)).sort());
    assert.ok(!fs.existsSync(path.join(data, 'tmp', 'restore-s3')), 'the unpacked copies are gone');
    fs.copyFileSync(path.join(w.dir, 'master.key'), path.join(data, 'master.key'));
    r = tucai(['verify', '--data', data, '--blob-store', 's3', ...args2]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`verify: ${objects.length} objects, ${objects.length} readable .*, 0 failed`));

    restored = await startServer({ data, args: [...w.args, '--blob-store', 's3', ...args2] });
    const c = Object.assign(new Client(restored.url), { cookies: new Map(student.cookies) });
    const a = (await c.get(`/api/photos/attempts/${attempt.id}`)).body.attempt;
    assert.ok((await c.get(a.images.original)).raw.equals(images.orig), 'the original, byte for byte, from the new bucket');
    assert.ok((await c.get(a.images.standardized)).raw.equals(images.std), 'the standardized photo, byte for byte');
  });

  test('two nodes on one PostgreSQL and the bucket, no shared disk: a photo taken on one is served by the other', { timeout: 240000 }, async () => {
    const db = pgDatabase();
    const pg = await startFlowWorld({ students: 1, db, args: ['--blob-store', 's3', ...s3Args] });
    let other;
    try {
      const c = await pg.signIn(1);
      await pg.link(c, 1);
      await pg.pay(c);
      const r = await pg.upload(c, photo('dev/deepface_img2.jpg'));
      assert.equal(r.status, 202, r.text);
      const a = await pg.preview(c, r.body.attempt.id, 120000);
      const std = await c.get(a.images.standardized);
      assert.equal(std.status, 200);
      // The second node: its own data directory (only the master key copied), no workers.
      const data2 = path.join(tmp, 'node2');
      fs.mkdirSync(data2, { mode: 0o700 });
      fs.copyFileSync(path.join(pg.dir, 'master.key'), path.join(data2, 'master.key'));
      other = await startServer({ data: data2, db, args: [...pg.args, '--workers', '0'] });
      const c2 = Object.assign(new Client(other.url), { cookies: new Map(c.cookies) });
      const a2 = (await c2.get(`/api/photos/attempts/${a.id}`)).body.attempt;
      assert.ok((await c2.get(a2.images.original)).raw.equals(photo('dev/deepface_img2.jpg')), 'the original, from the bucket');
      assert.ok((await c2.get(a2.images.standardized)).raw.equals(std.raw), 'the standardized photo, from the bucket');
      const files = fs.readdirSync(data2, { recursive: true }).filter((f) => f.startsWith('blobs/') && fs.statSync(path.join(data2, f)).isFile());
      assert.deepEqual(files, [], 'nothing on the second node\'s disk');
    } finally {
      if (other) await other.stop();
      await pg.close();
    }
  });
});
