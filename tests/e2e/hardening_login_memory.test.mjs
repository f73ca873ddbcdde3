// Fifty wrong staff passwords at once (a class of staff on Monday morning, or a guesser spread
// over many addresses): each Argon2id check takes 64 MiB for its run, and every connection has
// its own thread, so they used to run all at once and hold 3 GiB together. At most one per core
// runs now; the others wait their turn. The server's high-water mark must stay far below.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { Client, cleanup, startServer, tempDir } from './support/server.mjs';

const N = 50;
let server, dir;
before(async () => {
  dir = tempDir('tucai-login-mem-');
  // All come from 127.0.0.1 here; the per-address lock would answer most of them 429 unhashed.
  server = await startServer({ data: dir, env: { TUCAI_LOGIN_IP_MAX_FAILURES: String(4 * N) } });
});
after(async () => { await server?.stop(); cleanup(dir); });

const hwm = () => Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))[1]) * 1024;

test(`${N} wrong passwords at once hold at most one Argon2 run per core`, async () => {
  // The sign-in pages are open first (CSRF cookies), so that the passwords arrive together.
  const clients = await Promise.all(Array.from({ length: N }, async () => {
    const c = new Client(server.url);
    await c.csrf();
    return c;
  }));
  const before = hwm();
  // Unknown names cost the same Argon2 run as known ones (a dummy hash), by design.
  const answers = await Promise.all(clients.map((c, i) => c.post('/api/auth/login', { username: `staff${i}`, password: 'not the password 1' })));
  for (const r of answers) {
    assert.equal(r.status, 401, r.text);
    assert.equal(r.body.error.code, 'bad_credentials');
  }
  const grew = hwm() - before;
  console.log(`high-water mark grew by ${(grew / 1048576).toFixed(0)} MiB for ${N} wrong passwords at once`);
  assert.ok(grew < 1024 ** 3, `grew by ${(grew / 1048576).toFixed(0)} MiB: the Argon2 runs were not limited`);
});
