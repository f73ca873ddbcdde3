// Load through Debian's nginx with the shipped site config (short CI version of bench/load.sh):
// students upload photos while event streams are held open beyond the process's cap and staff
// sign in with wrong passwords, all at once. What must hold (behaviour, not timings): /healthz
// answers throughout, every upload is stored (its attempt readable) or refused with a JSON error,
// streams over the cap get 503 JSON with Retry-After, every wrong login gets a JSON 401/429, the
// server neither crashes nor grows without bound (the Argon2 limit has its own test:
// hardening_login_memory).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { printFigures, runLoad } from './support/load.mjs';

const STREAM_CAP = 60;

test('uploads, streams over the cap and wrong logins at once through nginx', { timeout: 180000 }, async () => {
  process.env.TUCAI_EVENTS_MAX_STREAMS = String(STREAM_CAP);
  const fig = await runLoad({ students: 16, streams: 120, staff: 20, holdMs: 1000, log: (m) => console.log(m) });
  printFigures(fig);
  assert.ok(fig.alive, 'the server is still running');
  assert.deepEqual(fig.nginxErrors, []);
  assert.ok(fig.healthz.n > 0, 'healthz answered');
  assert.deepEqual(fig.healthz.failed, [], 'healthz never failed');
  assert.deepEqual(fig.uploads.bad, [], 'every upload stored or refused with a JSON error');
  assert.equal(fig.uploads.stored + Object.values(fig.uploads.refused).reduce((a, b) => a + b, 0), 16);
  assert.ok(fig.uploads.stored > 0);
  assert.deepEqual(fig.streams.bad, [], 'every refused stream has a JSON error and Retry-After');
  assert.ok(fig.streams.open <= STREAM_CAP && fig.streams.open > 0, `open ${fig.streams.open}`);
  assert.ok(fig.streams.refused['503 server_busy'] >= 120 - STREAM_CAP - 16, JSON.stringify(fig.streams.refused));
  assert.deepEqual(fig.loginBad, []);
  assert.ok(Object.keys(fig.logins).every((k) => /^(401|429) /.test(k)), JSON.stringify(fig.logins));
  assert.ok(fig.memory.hwm < 1.5 * 1024 ** 3, `server high-water mark ${(fig.memory.hwm / 1048576).toFixed(0)} MiB`);
});
