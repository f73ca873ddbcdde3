// The demo provider (`pay_provider = mock`): the payer page's API declines and approves, only the
// order's owner may decide, a declined payment can be retried, an approval pays once, the WeChat
// notification route is closed, and an operator's refund goes through the same job path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SOURCE } from './support/server.mjs';
import { startPayWorld, waitUntil } from '../support/pay_world.mjs';

function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.code, code, r.text);
}

describe('mock provider', () => {
  let w;
  before(async () => { w = await startPayWorld({ students: 2, extraArgs: ['--pay-provider', 'mock'] }); });
  after(async () => { if (w) await w.close(); });

  test('decline, approve once, owner only; the page is served', async () => {
    const s = await w.student(1);
    const other = await w.student(2);
    const o = (await s.post('/api/orders', { items: ['print'] })).body.order;
    assert.equal(o.amount_fen, 4000);
    expectError(await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' }), 400, 'invalid_channel');
    expectError(await s.post(`/api/orders/${o.id}/pay`, { channel: 'mock', openid: 'x' }), 400, 'openid_not_accepted');
    const p = await s.post(`/api/orders/${o.id}/pay`, { channel: 'mock' });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.pay.url, `/pay/mock.html?order=${o.out_trade_no}`);
    const page = await s.get(p.body.pay.url);
    assert.equal(page.status, 200);
    assert.match(page.text, /模拟支付/);
    assert.ok(fs.existsSync(path.join(SOURCE, 'web/pay/mock.js')));

    const view = await s.get(`/api/pay/mock/${o.out_trade_no}`);
    assert.equal(view.body.amount_fen, 4000);
    expectError(await other.get(`/api/pay/mock/${o.out_trade_no}`), 404, 'order_not_found');
    expectError(await other.post(`/api/pay/mock/${o.out_trade_no}/approve`), 404, 'order_not_found');

    let r = await s.post(`/api/pay/mock/${o.out_trade_no}/decline`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.order.state, 'created');
    r = await s.post(`/api/pay/mock/${o.out_trade_no}/approve`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.order.state, 'paid');
    expectError(await s.post(`/api/pay/mock/${o.out_trade_no}/approve`), 409, 'mock_not_payable');
    const ev = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.events;
    assert.deepEqual(ev.map((e) => e.to), ['created', 'paid']);

    // No WeChat notifications are taken while the mock is the provider.
    const n = await fetch(`${w.url}/api/pay/wechatpay/notify`, { method: 'POST', body: '{}' });
    assert.equal(n.status, 404);

    // Refund through the job, answered at once by the mock.
    r = await w.op.post(`/api/ops/orders/${o.id}/refund`, { reason: '重复缴费' });
    assert.equal(r.status, 202, r.text);
    await waitUntil(async () => (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.state === 'refunded');
    // After a refund the student may order again.
    const again = await s.post('/api/orders', {});
    assert.equal(again.status, 201, again.text);
    // And cancel it.
    const c = await s.post(`/api/orders/${again.body.order.id}/cancel`);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.order.state, 'closed');
  });
});
