// Connections: a server at its connection limit answers 503 with a JSON error and Retry-After
// instead of hanging or resetting, and serves again once connections close; a chunked upload (no
// Content-Length) cannot pass the upload limit: 413 with a JSON error. Loopback only.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { startFlowWorld } from './support/flow_world.mjs';

const chinese = /[\u4e00-\u9fff]/;
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

describe('connections and bodies', () => {
  let w;
  const students = [];
  before(async () => {
    w = await startFlowWorld({ students: 2, args: ['--workers', '0', '--http-max-connections', '40', '--max-upload', String(1 << 20)] });
    for (let i = 1; i <= 2; i++) students.push(await w.signIn(i));
  });
  after(async () => { if (w) await w.close(); });

  test('a server at its connection limit answers 503 with Retry-After, and serves again after', async () => {
    const base = w.server.url;
    const held = [];
    for (let i = 0; i < 45; i++) {
      const sock = net.connect(w.server.port, '127.0.0.1');
      await new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
      held.push(sock);
    }
    await sleep(300);
    const r = await fetch(base + '/healthz', { signal: AbortSignal.timeout(10000) });
    assert.equal(r.status, 503);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    const body = await r.json();
    assert.equal(body.error.code, 'server_busy');
    assert.match(body.error.message, chinese);
    for (const s of held) s.destroy();
    await sleep(500);
    const ok = await fetch(base + '/healthz', { signal: AbortSignal.timeout(10000) });
    assert.equal(ok.status, 200);
  });

  test('a chunked upload past the upload limit gets 413 with a JSON error', async () => {
    const c = students[1];
    const token = await c.csrf();
    const boundary = 'tucaiboundary' + Date.now();
    const part = (name) => Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; ` +
      `filename="${name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`), Buffer.alloc(900 * 1024, 0x41), Buffer.from('\r\n')]);
    // Three files, each under the 1 MiB limit, together well over it; no Content-Length.
    const res = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: w.server.port, path: '/api/photos', method: 'POST', headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`, 'x-csrf-token': token, cookie: c.cookieHeader() } }, (r) => {
        let text = '';
        r.on('data', (d) => { text += d; });
        r.on('end', () => resolve({ status: r.statusCode, text }));
      });
      req.on('error', reject);
      (async () => {
        for (const name of ['photo', 'b', 'c']) {
          const p = part(name);
          for (let off = 0; off < p.length; off += 64 * 1024) {
            if (req.destroyed) return;
            req.write(p.subarray(off, off + 64 * 1024));
            await sleep(1);
          }
        }
        req.end(`--${boundary}--\r\n`);
      })();
    });
    assert.equal(res.status, 413, res.text);
    const body = JSON.parse(res.text);
    assert.equal(body.error.code, 'upload_too_large');
    assert.match(body.error.message, chinese);
  });
});
