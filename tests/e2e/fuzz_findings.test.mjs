// What the fuzz harnesses found, through the real binary: each test failed before its fix.
// - fuzz/multipart: a text part without a name (Content-Disposition: form-data; with no name=)
//   crashed the whole server (NULL key to strcmp/strdup in src/http/multipart.c); a file part
//   without one was kept as a field named "(null)". Both are now a malformed body.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanup, startServer, tempDir, tucai } from './support/server.mjs';

describe('fuzz findings over HTTP', () => {
  let dir, srv, op, batch;

  before(async () => {
    dir = tempDir('tucai-fuzz-findings-');
    const r = tucai(['user', 'add', '--username', 'op', '--role', 'operator', '--data', dir],
      { env: { TUCAI_NEW_PASSWORD: 'op-password-123' } });
    assert.equal(r.status, 0, r.stderr);
    srv = await startServer({ data: dir, args: ['--workers', '0'] });
    op = srv.client();
    assert.equal((await op.post('/api/auth/login', { username: 'op', password: 'op-password-123' })).status, 200);
    const s = await op.post('/api/schools', { code: '10199', name: '模糊测试大学' });
    assert.equal(s.status, 201, s.text);
    const b = await op.post('/api/batches', { school_id: s.body.id, name: '补采', profile: 'chsi-blue',
      window_start: Date.now() - 1000, window_end: Date.now() + 86400000 });
    assert.equal(b.status, 201, b.text);
    batch = b.body.id;
  });

  after(async () => {
    if (srv) await srv.stop();
    cleanup(dir);
  });

  for (const [what, part] of [
    ['a text part', 'Content-Disposition: form-data;\r\n\r\n12\r\n'],
    ['a file part', 'Content-Disposition: form-data; filename="roster.csv"\r\nContent-Type: text/csv\r\n\r\na,b\r\n'],
  ]) {
    test(`${what} without a name is refused (400) and the server lives on`, async () => {
      const body = `--XyZ\r\n${part}--XyZ--\r\n`;
      const r = await op.request('POST', `/api/batches/${batch}/roster`,
        { body, headers: { 'content-type': 'multipart/form-data; boundary=XyZ' } });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body?.error?.code, 'invalid_multipart', r.text);
      assert.equal((await op.get('/healthz')).status, 200);
    });
  }
});
