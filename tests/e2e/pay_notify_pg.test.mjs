// The notification path on PostgreSQL, where a duplicate's unique violation aborts its transaction
// and concurrent writers do not queue the way SQLite's do: 50 concurrent duplicates of one genuine
// notification still pay once, a wrong amount changes nothing, and the lost-notification query
// of the close job works the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { pgDatabase } from './support/server.mjs';
import { startPayWorld, waitUntil } from '../support/pay_world.mjs';

describe('WeChat Pay notifications on PostgreSQL', () => {
  let w;
  before(async () => { w = await startPayWorld({ students: 2, db: pgDatabase() }); });
  after(async () => { if (w) await w.close(); });

  test('50 concurrent duplicates pay once; a wrong amount is refused', async () => {
    const s = await w.student(1);
    const o = (await s.post('/api/orders', {})).body.order;
    const p = await s.post(`/api/orders/${o.id}/pay`, { channel: 'h5' });
    assert.equal(p.status, 200, p.text);
    const url = `${w.url}/api/pay/wechatpay/notify`;
    const wrong = w.fake.signNotification('TRANSACTION.SUCCESS', {
      mchid: w.merchant.mchid, appid: w.merchant.appid, out_trade_no: o.out_trade_no, transaction_id: '4200000000123',
      trade_type: 'MWEB', trade_state: 'SUCCESS', amount: { total: 2999, payer_total: 2999, currency: 'CNY' },
    });
    const r = await fetch(url, { method: 'POST', headers: wrong.headers, body: wrong.body });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).reason, 'amount_mismatch');
    assert.equal((await s.get(`/api/orders/${o.id}`)).body.order.state, 'created');

    const msg = await w.fake.pay(o.out_trade_no, { send: false });
    const codes = (await Promise.all(Array.from({ length: 50 }, () =>
      fetch(url, { method: 'POST', headers: msg.headers, body: msg.body })))).map((x) => x.status);
    assert.ok(codes.every((c) => c === 204), codes.join(','));
    const ev = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.events;
    assert.deepEqual(ev.map((e) => e.to), ['created', 'paid']);
  });

  test('a lost notification is recovered by the close job', async () => {
    await w.stop();
    w.args.push('--pay-order-ttl', '2');
    await w.start();
    const s = await w.student(2);
    const o = (await s.post('/api/orders', {})).body.order;
    assert.equal((await w.wechatSignIn(s, 'oPgLostNotice0000000000000001')).status, 303);
    assert.equal((await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' })).status, 200);
    await w.fake.pay(o.out_trade_no, { send: false });
    await waitUntil(async () => (await s.get(`/api/orders/${o.id}`)).body.order.state === 'paid', { timeout: 30000 });
  });
});
