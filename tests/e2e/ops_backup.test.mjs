// Backup under load, restore, verify (src/backup/backup.h). Students upload while `tucai backup`
// runs against the live server; the backup is restored into a fresh data directory (and, on
// PostgreSQL, a fresh database), a server is started on it with the master key put back by hand,
// and there every photo and record the backup holds is there and readable: the students' sessions
// still work, every attempt finished before the backup shows the same images byte for byte, no
// attempt is half-written (each one that was still processing finishes on the restored server),
// and `tucai verify` decrypts every object. A backup is never the master key; an altered or cut
// backup is refused and leaves nothing behind; a non-empty directory is refused.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, Client, DEV_ENV, pgDatabase, startServer, tempDir, tucai } from './support/server.mjs';
import { photo, startFlowWorld } from './support/flow_world.mjs';

const PHOTOS = ['dev/deepface_img11.jpg', 'dev/deepface_img12.jpg', 'dev/hivision_test0.jpg', 'dev/deepface_img2.jpg'];

// `tucai ARGS` without blocking the event loop (the server's clients keep going meanwhile).
function tucaiAsync(args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { env: { ...process.env, ...DEV_ENV, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

for (const store of ['sqlite', 'postgres']) describe(`backup and restore (${store})`, () => {
  let w, students = [], tmp, restored, dbArgs = [], restoredDbArgs = [];
  const done = []; // { client, id, std, orig } finished before the backup
  before(async () => {
    tmp = tempDir('tucai-backup-');
    const db = store === 'postgres' ? pgDatabase() : undefined;
    if (db) dbArgs = ['--db', db];
    w = await startFlowWorld({ students: 4, db });
    for (let i = 1; i <= 4; i++) {
      const c = await w.signIn(i);
      await w.link(c, i);
      await w.pay(c);
      students.push(c);
    }
  });
  after(async () => {
    if (restored) await restored.stop();
    if (w) await w.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a backup taken while students upload restores whole into a fresh directory', { timeout: 300000 }, async () => {
    // Before: two students' photos standardized.
    for (const [k, c] of students.slice(0, 2).entries()) {
      const r = await w.upload(c, photo(PHOTOS[k]));
      assert.equal(r.status, 202, r.text);
      const a = await w.preview(c, r.body.attempt.id, 120000);
      const orig = await c.get(a.images.original);
      const std = a.images.standardized ? await c.get(a.images.standardized) : null;
      assert.equal(orig.status, 200);
      done.push({ client: c, id: a.id, state: a.state, orig: orig.raw, std: std?.raw });
    }
    // During: the other two upload (and their jobs run) while the backup is taken.
    const file = path.join(tmp, 'tucai.backup');
    const uploads = students.slice(2).map((c, k) => w.upload(c, photo(PHOTOS[2 + k])));
    const backup = tucaiAsync(['backup', '-o', file, '--data', w.dir, ...dbArgs]);
    const more = await Promise.all(uploads);
    for (const r of more) assert.equal(r.status, 202, r.text);
    const b = await backup;
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stderr, /MASTER KEY IS NOT IN THIS BACKUP/);
    assert.match(b.stdout, /backup .*: \d+ files, \d+ photo objects/);
    const key = fs.readFileSync(path.join(w.dir, 'master.key'));
    assert.equal(fs.readFileSync(file).indexOf(key), -1, 'the master key is nowhere in the backup');
    assert.ok(!fs.existsSync(file + '.part'));

    // Restore into a fresh directory (and database), then put the key back by hand.
    const data = path.join(tmp, 'restored');
    if (store === 'postgres') restoredDbArgs = ['--db', pgDatabase()];
    let r = tucai(['restore', file, '--data', data, ...restoredDbArgs]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!fs.existsSync(path.join(data, 'master.key')));
    fs.copyFileSync(path.join(w.dir, 'master.key'), path.join(data, 'master.key'));
    r = tucai(['verify', '--data', data, ...restoredDbArgs]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const objects = Number(r.stdout.match(/verify: (\d+) objects/)[1]);
    assert.ok(objects >= 2 * done.length, r.stdout);
    assert.match(r.stdout, /, 0 failed/);

    restored = await startServer({ data, db: restoredDbArgs[1], args: w.args });
    // Sessions live in the database: the same cookies work on the restored server.
    const on = (c) => Object.assign(new Client(restored.url), { cookies: new Map(c.cookies) });
    for (const d of done) {
      const c = on(d.client);
      const a = (await c.get(`/api/photos/attempts/${d.id}`)).body.attempt;
      assert.equal(a.state, d.state);
      assert.ok((await c.get(a.images.original)).raw.equals(d.orig), 'the original, byte for byte');
      if (d.std) assert.ok((await c.get(a.images.standardized)).raw.equals(d.std), 'the standardized photo, byte for byte');
    }
    // The records: every student is still linked and paid; whatever upload the backup caught
    // is whole (its job runs to the end on the restored server, its images readable).
    for (const c of students.map(on)) {
      const s = await w.status(c);
      assert.ok(s.linked && s.paid, JSON.stringify(s));
      if (s.attempt) {
        const until = Date.now() + 120000;
        let a = s.attempt;
        while (a.state === 'processing' && Date.now() < until) {
          await new Promise((res) => setTimeout(res, 100));
          a = (await c.get(`/api/photos/attempts/${a.id}`)).body.attempt;
        }
        assert.notEqual(a.state, 'processing', 'an upload caught by the backup finishes');
        assert.equal((await c.get(a.images.original)).status, 200);
        if (a.images.standardized) assert.equal((await c.get(a.images.standardized)).status, 200);
      }
    }
  });

  test('a backup written into the data directory leaves itself out, and names it cannot carry', () => {
    const odd = path.join(w.dir, '名单 副本.txt');
    fs.writeFileSync(odd, 'x');
    const inside = path.join(w.dir, 'inside.tar');
    const r = tucai(['backup', '-o', inside, '--data', w.dir, ...dbArgs]);
    fs.rmSync(odd);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /left out .*名单 副本\.txt/);
    const list = execFileSync('tar', ['tf', inside]).toString().trim().split('\n');
    assert.equal(list.at(-1), 'manifest.json', 'any tar lists it; the manifest comes last');
    assert.ok(list.includes('files/code-keys/issuer.pub'));
    assert.ok(!list.some((f) => f.includes('inside.tar')), list.join('\n'));
    assert.ok(!list.some((f) => f.endsWith('.key')), 'no private key');
    fs.rmSync(inside);
  });

  test('an altered, cut or misdirected backup is refused and leaves nothing behind', () => {
    const file = path.join(tmp, 'tucai.backup');
    const bytes = fs.readFileSync(file);
    const altered = Buffer.from(bytes);
    altered[700] ^= 0x01; // inside the first file's body (the database copy)
    fs.writeFileSync(path.join(tmp, 'altered'), altered);
    fs.writeFileSync(path.join(tmp, 'cut'), bytes.subarray(0, bytes.length - 3000));
    for (const name of ['altered', 'cut']) {
      const target = path.join(tmp, `from-${name}`);
      const r = tucai(['restore', path.join(tmp, name), '--data', target]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /backup_corrupt/);
      assert.ok(!fs.existsSync(target));
      assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith(`from-${name}`)), [], 'no temporary left');
    }
    const r = tucai(['restore', file, '--data', w.dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /restore_not_empty/);
  });
});
