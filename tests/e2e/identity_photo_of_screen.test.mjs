// A student who photographs the code on another screen: the test makes that picture itself (pure
// node: PNG decode, perspective warp, blur, uneven light, sensor noise, half size) and the server
// reads and verifies it over HTTP, up to the record confirmation screen.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';

import { cleanup, readJsonLines, startServer, tempDir, tucai } from './support/server.mjs';

// --- minimal PNG codec (8-bit grey / RGB / RGBA, not interlaced) -------------------------------
function decodePng(buf) {
  let pos = 8, w = 0, h = 0, type = 0, depth = 0, interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), kind = buf.toString('ascii', pos + 4, pos + 8), data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') { w = data.readUInt32BE(0); h = data.readUInt32BE(4); depth = data[8]; type = data[9]; interlace = data[12]; }
    if (kind === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  assert.equal(depth, 8); assert.equal(interlace, 0);
  const bpp = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = w * bpp, out = Buffer.alloc(stride * h), grey = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp] : 0, b = y ? out[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y ? out[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      out[y * stride + x] = v & 255;
    }
    for (let x = 0; x < w; x++) {
      const o = y * stride + x * bpp;
      grey[y * w + x] = bpp >= 3 ? 0.299 * out[o] + 0.587 * out[o + 1] + 0.114 * out[o + 2] : out[o];
    }
  }
  return { w, h, grey };
}

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
function encodeGreyPng(w, h, px) {
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = Math.max(0, Math.min(255, Math.round(px[y * w + x])));
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Homography from 4 point pairs (dst -> src), by Gaussian elimination.
function homography(dst, src) {
  const A = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = dst[i], [u, v] = src[i];
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u], [0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let p = c; for (let r = c + 1; r < 8; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < 8; r++) if (r !== c) { const f = A[r][c] / A[c][c]; for (let k = c; k < 9; k++) A[r][k] -= f * A[c][k]; }
  }
  return [...A.map((row, i) => row[8] / row[i]), 1];
}

/* The photo of a screen: slanted, soft, darker at one corner, noisy, at half the resolution. */
function photographLike(png) {
  const { w, h, grey } = decodePng(png);
  const W = Math.round(w * 0.6), H = Math.round(h * 0.6);
  const dst = [[0.16 * W, 0.08 * H], [0.88 * W, 0.12 * H], [0.93 * W, 0.93 * H], [0.1 * W, 0.88 * H]];
  const hm = homography(dst, [[0, 0], [w, 0], [w, h], [0, h]]);
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  const warped = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const d = hm[6] * x + hm[7] * y + hm[8], u = (hm[0] * x + hm[1] * y + hm[2]) / d, v = (hm[3] * x + hm[4] * y + hm[5]) / d;
    let val = 70; // the desk
    if (u >= 0 && v >= 0 && u < w - 1 && v < h - 1) {
      const x0 = Math.floor(u), y0 = Math.floor(v), fx = u - x0, fy = v - y0, g = (xx, yy) => grey[yy * w + xx];
      val = g(x0, y0) * (1 - fx) * (1 - fy) + g(x0 + 1, y0) * fx * (1 - fy) + g(x0, y0 + 1) * (1 - fx) * fy + g(x0 + 1, y0 + 1) * fx * fy;
      val = 25 + val * 0.8; // a screen's black is not black
    }
    warped[y * W + x] = val;
  }
  const out = new Float32Array(W * H);
  for (let y = 1; y < H - 1; y++) for (let x = 1; x < W - 1; x++) {
    let s = 0; for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += warped[(y + dy) * W + x + dx];
    const light = 1 - 0.3 * (x + y) / (W + H);
    out[y * W + x] = (s / 9) * light + (rnd() - 0.5) * 16;
  }
  return encodeGreyPng(W, H, out);
}

test('a photographed-like copy of the code is read, verified and matched over HTTP', async () => {
  const dir = tempDir('tucai-photo-code-');
  let srv;
  try {
    const ok = (r) => { assert.equal(r.status, 0, r.stderr); return r; };
    ok(tucai(['code', 'keygen', '--out', path.join(dir, 'code-keys')]));
    ok(tucai(['user', 'add', '--username', 'op', '--role', 'operator', '--data', dir], { env: { TUCAI_NEW_PASSWORD: 'op-password-123' } }));
    srv = await startServer({ data: dir, args: ['--workers', '0', '--sms-sender', 'outbox', '--otp-resend', '0'] });
    const op = srv.client(), st = srv.client();
    assert.equal((await op.post('/api/auth/login', { username: 'op', password: 'op-password-123' })).status, 200);
    const school = await op.post('/api/schools', { code: '10141', name: '图采测试大学' });
    const batch = await op.post('/api/batches', { school_id: school.body.id, name: '补采', profile: 'chsi-blue', window_start: Date.now() - 1000, window_end: Date.now() + 86400000 });
    assert.equal(batch.status, 201);
    const roster = new FormData();
    roster.append('file', new Blob(['学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n2022110101,张三,11010519491231002X,化工学院,化学工程,硕士,2025\n']), 'r.csv');
    assert.equal((await op.upload(`/api/batches/${batch.body.id}/roster`, roster)).body.inserted, 1);

    const student = path.join(dir, 's.json');
    fs.writeFileSync(student, JSON.stringify({ student_no: '2022110101', name: '张三', id_number: '11010519491231002X', school_code: '10141', school_name: '图采测试大学', degree: '硕士', grad_year: 2025 }));
    ok(tucai(['code', 'issue', '--key', path.join(dir, 'code-keys'), '--student', student, '-o', path.join(dir, 'code.png')]));
    const photo = photographLike(fs.readFileSync(path.join(dir, 'code.png')));

    assert.equal((await st.post('/api/student/otp', { phone: '13700000001' })).status, 200);
    const sent = readJsonLines(fs.readFileSync(path.join(dir, 'sms-outbox.jsonl'), 'utf8'));
    const code = sent.filter((m) => m.to === '13700000001').pop().code;
    assert.equal((await st.post('/api/student/login', { phone: '13700000001', code })).status, 200);
    const fd = new FormData();
    fd.append('school_id', String(school.body.id));
    fd.append('id_last4', '002X');
    const p = await st.get('/api/student/privacy');
    assert.equal((await st.post('/api/student/privacy', { version: p.body.version })).status, 200);
    fd.append('code', new Blob([photo], { type: 'image/png' }), 'IMG_0001.png');
    const r = await st.upload('/api/identity/code', fd);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.record.student_no, '2022110101');
    assert.equal(r.body.record.name, '张三');
  } finally {
    if (srv) await srv.stop();
    cleanup(dir);
  }
});
