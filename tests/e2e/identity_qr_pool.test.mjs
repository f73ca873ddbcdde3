// Collection-code uploads are decoded in a bounded pool (src/identity/qr_pool.h), over HTTP
// against the real binary: a picture over the pixel cap is refused with 413 and a Chinese message
// before decoding; with a pool of one slot and a short wait, a burst of parallel uploads is
// answered at once with 503 + Retry-After for those that find no slot, instead of piling up
// behind the decoder; once the burst is over, uploads are decoded again.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';

import { cleanup, readJsonLines, startServer, tempDir, tucai } from './support/server.mjs';

// --- an 8-bit grey PNG from raw pixels (what a screenshot or scan of a code is) ----------------
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const byte of buf) { c = (crc ^ byte) & 255; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; crc = (crc >>> 8) ^ c; }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(kind, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(kind, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function greyPng(w, h, pixel) {
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = pixel(y);
    row.copy(raw, y * (w + 1) + 1);
  }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.match(r.body.error.message, /[\u4e00-\u9fff]/, 'student-facing message is Chinese');
}

test('collection codes are decoded in a bounded pool with a pixel cap', async () => {
  const dir = tempDir('tucai-qr-pool-');
  let srv;
  try {
    const ok = (r) => { assert.equal(r.status, 0, r.stderr); return r; };
    ok(tucai(['code', 'keygen', '--out', path.join(dir, 'code-keys')]));
    // One decode at a time, 50 ms of waiting for it; the pixel cap is the default (24 MP).
    srv = await startServer({ data: dir, args: ['--workers', '0', '--sms-sender', 'outbox', '--otp-resend', '0',
      '--qr-decodes', '1', '--qr-wait-ms', '50'] });
    const st = srv.client();
    assert.equal((await st.post('/api/student/otp', { phone: '13700000002' })).status, 200);
    const sent = readJsonLines(fs.readFileSync(path.join(dir, 'sms-outbox.jsonl'), 'utf8'));
    const code = sent.filter((m) => m.to === '13700000002').pop().code;
    assert.equal((await st.post('/api/student/login', { phone: '13700000002', code })).status, 200);
    const upload = (png, name) => {
      const fd = new FormData();
      fd.append('school_id', '1');
      fd.append('id_last4', '1234');
      fd.append('code', new Blob([png], { type: 'image/png' }), name);
      return st.upload('/api/identity/code', fd);
    };

    // 1. Over the cap: 5000 x 5000 = 25 MP (a few KB of PNG), refused from its header.
    const blank = Buffer.alloc(5000, 255);
    const huge = greyPng(5000, 5000, () => blank);
    assert.ok(huge.length < 200000, 'the big picture is a small upload');
    const r = await upload(huge, 'huge.png');
    expectError(r, 413, 'image_too_large');
    assert.match(r.body.error.message, /2400 万像素/);

    // 2. A burst: eight pictures of noise (no code in them, so each is searched in full: downscaled
    // and binarised copies) sent together. One slot: whoever finds it taken for 50 ms gets 503.
    const side = 1600;
    const noise = greyPng(side, side, () => crypto.randomBytes(side));
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => upload(noise, `noise-${i}.png`)));
    const busy = answers.filter((a) => a.status === 503), decoded = answers.filter((a) => a.status !== 503);
    for (const a of decoded) expectError(a, 422, 'no_code_found');
    for (const a of busy) {
      expectError(a, 503, 'qr_busy');
      assert.equal(a.headers.get('retry-after'), '1', 'Retry-After tells the student when to try again');
    }
    assert.ok(decoded.length >= 1, 'the slot was used');
    assert.ok(busy.length >= 1, `uploads beyond the pool were answered 503 (statuses: ${answers.map((a) => a.status)})`);

    // 3. After the burst the slot is free again.
    expectError(await upload(noise, 'again.png'), 422, 'no_code_found');
    const log = srv.logs.join('\n');
    assert.doesNotMatch(log, /"request failed".*qr_busy/, 'busy is an answer, not a logged failure');
  } finally {
    if (srv) await srv.stop();
    cleanup(dir);
  }
});
