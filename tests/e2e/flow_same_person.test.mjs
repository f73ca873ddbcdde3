// 同一人核验 over HTTP against the real binary: every attempt's face print is kept and
// compared with the account's earlier attempts. The same man twice passes; then another person's
// photo is a warning the student must confirm, and the reviewer's item carries it with the least
// similar earlier attempt, whose photos the reviewer can open side by side. Another account's
// attempts are never compared. SQLite, photo files in the data directory.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { expectError, photo, startFlowWorld } from './support/flow_world.mjs';

const MAN = 'dev/deepface_img20.jpg';
const SAME_MAN = 'dev/deepface_img21.jpg';
const OTHER = 'dev/deepface_img11.jpg';

let w;
before(async () => { w = await startFlowWorld({ students: 2 }); });
after(async () => {
  if (!w) return;
  const srv = w.server;
  await w.close();
  assert.doesNotMatch(srv.logs.join('\n'), /Sanitizer|runtime error/, 'the server ran clean under the sanitizers');
});

const samePerson = (a) => a.checks.find((c) => c.id === 'same_person');

async function attempt(s, name) {
  const r = await w.upload(s, photo(name));
  assert.equal(r.status, 202, r.text);
  const a = await w.preview(s, r.body.attempt.id);
  assert.equal(a.state, 'ready', JSON.stringify(a));
  return a;
}

test('the same man twice passes; another person is a warning the reviewer sees with both photos', async () => {
  const s1 = await w.signIn(1);
  await w.link(s1, 1);
  await w.pay(s1);
  const a1 = await attempt(s1, MAN);
  const c1 = samePerson(a1);
  assert.equal(c1.status, 'pass');
  assert.equal(c1.detail.compared, 0, 'nothing earlier to compare with');

  const a2 = await attempt(s1, SAME_MAN);
  const c2 = samePerson(a2);
  assert.equal(c2.status, 'pass', JSON.stringify(c2));
  assert.equal(c2.detail.compared, 1);
  assert.equal(c2.detail.attempts[0].attempt_id, a1.id);
  assert.ok(c2.value >= c2.threshold, `similarity ${c2.value}`);

  const a3 = await attempt(s1, OTHER);
  const c3 = samePerson(a3);
  assert.equal(c3.status, 'warn', JSON.stringify(c3));
  assert.equal(c3.detail.compared, 2);
  assert.ok(c3.value < c3.threshold, `similarity ${c3.value}`);
  assert.ok([a1.id, a2.id].includes(c3.detail.least_similar_attempt));
  assert.match(c3.message, /同一个人/);
  assert.equal(c3.region.length, 4);
  assert.ok(c3.region[2] > 0 && c3.region[3] > 0, 'the region is the face');

  // The student must confirm the warning to submit.
  expectError(await s1.post('/api/photos/submit', { attempt_id: a3.id }), 409, 'confirm_warnings');
  let r = await s1.post('/api/photos/submit', { attempt_id: a3.id, confirm_warnings: true });
  assert.equal(r.status, 201, r.text);
  const sid = r.body.submission.submission_id;

  // The reviewer: the warning, the earlier attempt it points at, both photos readable.
  const rev = await w.staff('rev1');
  const item = (await rev.get(`/api/review/items/${sid}`)).body.item;
  const seen = samePerson(item.attempt);
  assert.equal(seen.status, 'warn');
  const other = item.earlier_attempts.find((x) => x.id === seen.detail.least_similar_attempt);
  assert.ok(other, 'the least similar earlier attempt is in the item');
  for (const url of [item.attempt.images.standardized, other.images.standardized]) {
    const img = await rev.get(url);
    assert.equal(img.status, 200, url);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
  }
});

test("another account's attempts are never compared", async () => {
  const s2 = await w.signIn(2);
  await w.link(s2, 2);
  await w.pay(s2);
  const a = await attempt(s2, OTHER);
  assert.equal(samePerson(a).status, 'pass');
  assert.equal(samePerson(a).detail.compared, 0);
});
