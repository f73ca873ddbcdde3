// Privacy: every staff view of a student's photo is in the audit log (and a student's own views
// are not staff views); `tucai audit list` reads the log, with ids only and no personal data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFlowWorld, photo, rosterStudent } from './support/flow_world.mjs';

test('a reviewer opening an item and its photos leaves audit entries; the student does not', async () => {
  const w = await startFlowWorld({ students: 1 });
  try {
    const s = await w.signIn(1);
    await w.link(s, 1);
    await w.pay(s);
    const up = await w.upload(s, photo('dev/hivision_test3.jpg'));
    assert.equal(up.status, 202, up.text);
    const a = await w.preview(s, up.body.attempt.id);
    assert.equal(a.state, 'ready', JSON.stringify(a));
    assert.equal((await s.get(`/api/photos/attempts/${a.id}/original`)).status, 200);
    const sub = await s.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true });
    assert.equal(sub.status, 201, sub.text);
    const audit = (...args) => JSON.parse(w.run(['audit', 'list', '--json', '--data', w.dir, ...args]));
    assert.equal(audit('--action', 'photo.view').length, 0, 'the student viewing her own photo is not a staff view');

    const rev = await w.staff('rev1');
    const me = (await rev.get('/api/auth/me')).body;
    const [item] = (await rev.get('/api/review/queue')).body.items;
    assert.equal((await rev.post(`/api/review/items/${item.id}/claim`, {})).status, 200);
    assert.equal((await rev.get(`/api/review/items/${item.id}`)).status, 200);
    for (const which of ['original', 'standardized']) {
      const r = await rev.get(`/api/photos/attempts/${a.id}/${which}`);
      assert.equal(r.status, 200, `${which}: ${r.text}`);
    }

    const views = audit('--action', 'photo.view', '--object-id', String(a.id));
    assert.deepEqual(views.map((v) => v.detail.which).sort(), ['original', 'standardized']);
    for (const v of views) {
      assert.equal(v.actor_role, 'reviewer');
      assert.equal(v.actor_id, me.id);
      assert.equal(v.object_type, 'collect_attempt');
    }
    const opened = audit('--action', 'review.view', '--actor-id', String(me.id));
    assert.equal(opened.length, 1);
    assert.equal(opened[0].object_id, item.id);
    // Ids and reasons only: no name, number or phone of the student in the log.
    const all = JSON.stringify(audit('--limit', '1000'));
    for (const secret of [s.phone, rosterStudent(1).name, rosterStudent(1).student_no, rosterStudent(1).id_number]) assert.ok(!all.includes(secret), secret);
  } finally {
    await w.close();
  }
});
