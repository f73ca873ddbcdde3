// `tucai keys rotate` (src/backup/rotate.h): killed with SIGKILL halfway, the old key is still the
// key and the new one waits beside it; run again, it goes on and finishes. Then the new key opens
// every photo (tucai verify) and the old one none, the old key is kept as master.key.old, and a
// server on the new key serves the same student: found again by phone (the lookup hash was remade),
// linked and paid, the same photos byte for byte.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, DEV_ENV, pgDatabase, tucai } from './support/server.mjs';
import { photo, startFlowWorld } from './support/flow_world.mjs';

for (const store of ['sqlite', 'postgres']) describe(`keys rotate (${store})`, () => {
  let w, db = [];
  before(async () => {
    const url = store === 'postgres' ? pgDatabase() : undefined;
    if (url) db = ['--db', url];
    // On PostgreSQL the photos live in the database (blob_store = db): both backends rotate.
    w = await startFlowWorld({ students: 150, db: url, args: url ? ['--blob-store', 'db'] : [] });
  });
  after(async () => { if (w) await w.close(); });

  test('a rotation killed halfway resumes, and the new key opens everything', { timeout: 300000 }, async () => {
    const s1 = await w.signIn(1);
    await w.link(s1, 1);
    await w.pay(s1);
    const up = await w.upload(s1, photo('dev/deepface_img11.jpg'));
    assert.equal(up.status, 202, up.text);
    const a = await w.preview(s1, up.body.attempt.id, 120000);
    const orig = (await s1.get(a.images.original)).raw;
    const std = a.images.standardized ? (await s1.get(a.images.standardized)).raw : null;
    await w.server.stop();

    const keyFile = path.join(w.dir, 'master.key');
    const oldKey = fs.readFileSync(keyFile);
    // One row per transaction: the first progress line comes long before the end.
    const proc = spawn(BIN, ['keys', 'rotate', '--data', w.dir, ...db, '--batch', '1'], { env: { ...process.env, ...DEV_ENV } });
    let out = '';
    await new Promise((resolve) => {
      proc.stdout.on('data', (c) => {
        out += c;
        if (/keys rotate: \S+ \d+\/\d+/.test(out)) proc.kill('SIGKILL');
      });
      proc.on('close', resolve);
    });
    assert.equal(proc.signalCode, 'SIGKILL', out);
    assert.ok(fs.readFileSync(keyFile).equals(oldKey), 'the old key is still the key');
    assert.ok(fs.existsSync(keyFile + '.new'), 'the new key waits beside it');
    assert.ok(!fs.existsSync(keyFile + '.old'));

    const again = tucai(['keys', 'rotate', '--data', w.dir, ...db]);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /resuming/);
    assert.match(again.stdout, /keys rotate: done/);
    assert.ok(fs.readFileSync(keyFile + '.old').equals(oldKey), 'the old key is kept as master.key.old');
    assert.ok(!fs.readFileSync(keyFile).equals(oldKey), 'a new key');
    assert.ok(!fs.existsSync(keyFile + '.new'));

    let v = tucai(['verify', '--data', w.dir, ...db]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /verify: ([1-9]\d*) objects, \1 readable/);
    v = tucai(['verify', '--data', w.dir, ...db, '--master-key-file', keyFile + '.old']);
    assert.notEqual(v.status, 0, 'the old key opens no photo any more');
    const refused = tucai(['keys', 'rotate', '--data', w.dir, ...db]);
    assert.equal(refused.status, 2, 'a second rotation waits until the old key is put away');
    assert.match(refused.stderr, /rotate_old_key/);

    await w.start();
    const back = await w.signIn(1); // found by the remade phone hash: the same account
    const s = await w.status(back);
    assert.ok(s.linked && s.paid, JSON.stringify(s));
    assert.equal(s.attempt.id, a.id);
    assert.ok((await back.get(s.attempt.images.original)).raw.equals(orig));
    if (std) assert.ok((await back.get(s.attempt.images.standardized)).raw.equals(std));
    // Sealed roster fields open with the new key (the linked record's name is shown to its student).
    const me = await back.get('/api/student/me');
    assert.equal(me.status, 200, me.text);
    assert.match(JSON.stringify(me.body), /"name":"学生1"/);
  });
});
