// kill -9 of the server during an upload or during a standardization job loses nothing: after a
// restart the student's state is consistent (no half attempt; the queued job completes once).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { photo, startFlowWorld } from './support/flow_world.mjs';

describe('collection survives kill -9', () => {
  let w, s;
  before(async () => {
    // A short job lease so that the killed worker's job is claimed again soon after the restart.
    w = await startFlowWorld({ students: 1, args: ['--job-lease', '5'] });
    s = await w.signIn(1);
    await w.link(s, 1);
    await w.pay(s);
  });
  after(async () => { if (w) await w.close(); });

  test('during an upload: nothing half-stored, the next upload works', async () => {
    const csrf = await s.csrf();
    const boundary = '----tucaiflowcrash';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      photo('dev/deepface_img11.jpg'),
    ]);
    const req = http.request(`${w.server.url}/api/photos`, {
      method: 'POST',
      headers: { cookie: s.cookieHeader(), 'x-csrf-token': csrf, 'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(body.length + 200) },
    });
    req.on('error', () => {});
    req.write(body.subarray(0, Math.floor(body.length / 2)));
    await new Promise((r) => setTimeout(r, 300));
    w.server.proc.kill('SIGKILL');
    await w.server.exited;
    req.destroy();
    await w.start();
    s.base = w.server.url;
    const st = await w.status(s);
    assert.equal(st.label, '待拍摄');
    assert.equal(st.attempt, null);
    const r = await w.upload(s, photo('dev/deepface_img11.jpg'));
    assert.equal(r.status, 202, r.text);
    assert.equal((await w.preview(s, r.body.attempt.id)).state, 'ready');
  });

  test('during standardization: the job runs again after the restart and completes once', async () => {
    const r = await w.upload(s, photo('dev/deepface_img12.jpg'));
    assert.equal(r.status, 202, r.text);
    w.server.proc.kill('SIGKILL'); // the worker has just claimed the job (or is about to)
    await w.server.exited;
    await w.start();
    s.base = w.server.url;
    const a = await w.preview(s, r.body.attempt.id, 60000);
    assert.equal(a.state, 'ready');
    const st = await w.status(s);
    assert.equal(st.label, '待提交');
    assert.equal(st.attempt.id, r.body.attempt.id);
    const img = await s.get(a.images.standardized);
    assert.equal(img.status, 200);
    const sub = await s.post('/api/photos/submit', { confirm_warnings: true });
    assert.equal(sub.status, 201, sub.text);
  });
});
