// Orders and WeChat Pay v3 end to end: the real binary against a local fake WeChat Pay server
// (tests/support/fake_wechatpay.mjs) that checks our signatures and signs and encrypts its own
// notifications with keys it made at start. What must hold: money is never taken twice, lost, or
// credited on a forged message.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { generateRsaKeys, randomNonce, responseMessage, rsaSign, rsaVerify } from '../support/fake_wechatpay.mjs';
import { startPayWorld, waitUntil } from '../support/pay_world.mjs';

function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.code, code, r.text);
}

function shanghaiDate(ms = Date.now()) {
  return new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
}

const ADDRESS = { recipient: '张三', mobile: '13812345678', region_code: '110101', street: '东长安街 1 号 101 室' };

describe('orders and WeChat Pay', () => {
  let w;
  const notifyUrl = () => `${w.url}/api/pay/wechatpay/notify`;
  const post = (msg) => fetch(notifyUrl(), { method: 'POST', headers: msg.headers, body: msg.body });

  async function order(student, body = {}) {
    const r = await student.post('/api/orders', body);
    assert.equal(r.status, 201, r.text);
    return r.body.order;
  }

  async function placed(student, channel = 'jsapi', body = {}) {
    const o = await order(student, body);
    if (channel === 'jsapi') await inWechat(student);
    const p = await student.post(`/api/orders/${o.id}/pay`, { channel });
    assert.equal(p.status, 200, p.text);
    return { o, pay: p.body.pay };
  }

  // JSAPI pays with the openid of the session's WeChat authorisation (once per student).
  const authorised = new Set();
  async function inWechat(student) {
    if (authorised.has(student)) return;
    const r = await w.wechatSignIn(student, 'oUpF8uMuAJO_M2pxb1Q9zNjWeS' + String(authorised.size).padStart(2, '0'));
    assert.equal(r.status, 303, r.text);
    authorised.add(student);
  }

  const stateOf = async (student, id) => (await student.get(`/api/orders/${id}`)).body.order.state;

  before(async () => { w = await startPayWorld({ students: 8 }); });
  after(async () => { if (w) await w.close(); });

  test('fees, regions from the data package, validated address shown back, one open order', async () => {
    const s = await w.student(1);
    const fees = await s.get('/api/pay/fees');
    assert.equal(fees.status, 200, fees.text);
    assert.deepEqual(fees.body.fees.map((f) => [f.code, f.amount_fen]), [['collect', 3000], ['print', 1000], ['post', 1200]]);
    const prov = await s.get('/api/regions');
    assert.equal(prov.status, 200, prov.text);
    assert.ok(prov.body.regions.find((x) => x.code === '11' && x.name === '北京市'), prov.text);
    assert.ok(prov.body.regions.length >= 31);
    const dist = await s.get('/api/regions?parent=1101');
    assert.ok(dist.body.regions.find((x) => x.code === '110101' && x.name === '东城区' && x.leaf));
    expectError(await s.get('/api/regions?parent=999999'), 404, 'region_not_found');

    expectError(await s.post('/api/orders', { items: ['print', 'post'] }), 400, 'address_required');
    expectError(await s.post('/api/orders', { items: ['post'], address: { ...ADDRESS, mobile: '1381234567' } }), 400, 'invalid_mobile');
    expectError(await s.post('/api/orders', { items: ['post'], address: { ...ADDRESS, region_code: '11' } }), 400, 'invalid_region');
    expectError(await s.post('/api/orders', { items: ['post'], address: { ...ADDRESS, street: '' } }), 400, 'invalid_street');
    expectError(await s.post('/api/orders', { items: ['post'], address: ADDRESS }), 400, 'post_without_print');
    expectError(await s.post('/api/orders', { items: ['gold'] }), 400, 'unknown_item');
    expectError(await s.post('/api/orders', { items: 'print' }), 400, 'invalid_field');
    const bad = await s.post('/api/orders', '{"items": [', {});
    assert.equal(bad.status, 400);

    const o = await order(s, { items: ['print', 'post'], address: ADDRESS });
    assert.equal(o.amount_fen, 5200);
    assert.equal(o.state, 'created');
    assert.deepEqual(o.address, { ...ADDRESS, region_names: '北京市 市辖区 东城区' });
    expectError(await s.post('/api/orders', {}), 409, 'order_exists');
    const cur = await s.get('/api/orders/current');
    assert.equal(cur.body.order.id, o.id);
    // Another student sees nothing of it.
    const other = await w.student(2);
    expectError(await other.get(`/api/orders/${o.id}`), 404, 'order_not_found');
    // Personal data is sealed at rest: the database file never holds the mobile number in clear.
    const fs = await import('node:fs');
    const dbBytes = fs.readFileSync(`${w.dir}/tucai.db`);
    assert.ok(!dbBytes.includes(Buffer.from(ADDRESS.mobile)), 'mobile sealed');
    w.first = { s, o };
  });

  test('JSAPI payment: the fake accepts our signed request, its notification pays the order once', async () => {
    const { s, o } = w.first;
    await inWechat(s);
    const p = await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' });
    assert.equal(p.status, 200, p.text);
    const pay = p.body.pay;
    assert.equal(pay.kind, 'jsapi');
    assert.match(pay.package, /^prepay_id=wx/);
    // paySign is RSA-SHA256 over appId, timeStamp, nonceStr, package, each line-terminated.
    const msg = `${pay.appId}\n${pay.timeStamp}\n${pay.nonceStr}\n${pay.package}\n`;
    assert.ok(rsaVerify(w.merchant.publicKeyPem, msg, pay.paySign));
    assert.ok(!p.text.includes(w.merchant.apiv3Key) && !p.text.includes('PRIVATE'), 'no secret reaches the browser');
    const placedAtFake = w.fake.orders.get(o.out_trade_no);
    assert.equal(placedAtFake.total, 5200);
    assert.equal(placedAtFake.notify_url, notifyUrl());
    assert.ok(w.fake.requests.every((r) => r.ok), JSON.stringify(w.fake.requests.filter((r) => !r.ok)));

    assert.equal(await w.fake.pay(o.out_trade_no), 204);
    assert.equal(await stateOf(s, o.id), 'paid');
    // The same notification again (the provider's retry, or someone replaying it): no effect.
    const again = await post(w.fake.lastNotification);
    assert.equal(again.status, 204);
    const ops = await w.op.get(`/api/ops/orders/${o.id}`);
    assert.equal(ops.status, 200, ops.text);
    assert.deepEqual(ops.body.order.events.map((e) => e.to), ['created', 'paid']);
    assert.equal(ops.body.order.events[1].actor_role, 0);
    // Paying again is refused.
    expectError(await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' }), 409, 'order_not_payable');
    // The query endpoint of the fake agrees.
    assert.equal(w.fake.orders.get(o.out_trade_no).trade_state, 'SUCCESS');
  });

  test('50 concurrent duplicates of one genuine notification: exactly one payment', async () => {
    const s = await w.student(3);
    const { o, pay } = await placed(s, 'h5');
    assert.equal(pay.kind, 'h5');
    assert.match(pay.h5_url, /^https:\/\/wx\.tenpay\.com\//);
    const msg = await w.fake.pay(o.out_trade_no, { send: false });
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(msg)));
    const codes = answers.map((a) => a.status);
    assert.ok(codes.every((c) => c === 204), codes.join(','));
    assert.equal(await stateOf(s, o.id), 'paid');
    const ev = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.events;
    assert.equal(ev.filter((e) => e.to === 'paid').length, 1);
    const notices = (await w.op.get('/api/ops/pay/notices?outcome=duplicate')).body.notices;
    assert.ok(notices.filter((n) => n.out_trade_no === o.out_trade_no).length >= 49);
  });

  test('forged, stale, malformed, unknown-order and wrong-amount notifications are refused and logged', async () => {
    const s = await w.student(4);
    const { o } = await placed(s);
    const txn = (extra = {}) => ({
      mchid: w.merchant.mchid, appid: w.merchant.appid, out_trade_no: o.out_trade_no, transaction_id: '4200009999' + Date.now(),
      trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS',
      success_time: new Date().toISOString(), payer: { openid: 'o1' },
      amount: { total: 3000, payer_total: 3000, currency: 'CNY', payer_currency: 'CNY' }, ...extra,
    });
    const cases = [];
    // Forged: the body changed after signing.
    let m = w.fake.signNotification('TRANSACTION.SUCCESS', txn());
    cases.push(['bad_signature', 401, { headers: m.headers, body: m.body.replace('支付成功', '支付成功!') }]);
    // Signed with a key that is not the platform's.
    const rogue = generateRsaKeys();
    m = w.fake.signNotification('TRANSACTION.SUCCESS', txn());
    cases.push(['bad_signature', 401, { headers: { ...m.headers, 'Wechatpay-Signature': rsaSign(rogue.privateKeyPem, responseMessage(m.headers['Wechatpay-Timestamp'], m.headers['Wechatpay-Nonce'], m.body)) }, body: m.body }]);
    // Stale: ten minutes old (genuinely signed).
    cases.push(['stale_timestamp', 401, w.fake.signNotification('TRANSACTION.SUCCESS', txn(), { timestamp: Math.floor(Date.now() / 1000) - 600 })]);
    // From the future.
    cases.push(['stale_timestamp', 401, w.fake.signNotification('TRANSACTION.SUCCESS', txn(), { timestamp: Math.floor(Date.now() / 1000) + 600 })]);
    // No signature headers at all.
    cases.push(['missing_signature_headers', 401, { headers: { 'Content-Type': 'application/json' }, body: m.body }]);
    // Resource encrypted with a wrong APIv3 key.
    cases.push(['decrypt_failed', 401, w.fake.signNotification('TRANSACTION.SUCCESS', txn(), { apiv3Key: randomNonce(32) })]);
    // Malformed body, correctly signed.
    const junk = 'this is not json';
    const ts = String(Math.floor(Date.now() / 1000)), nonce = randomNonce();
    cases.push(['malformed_notice', 400, signedRaw(junk)]);
    // Unknown order, wrong amount, wrong currency, another merchant.
    cases.push(['unknown_order', 400, w.fake.signNotification('TRANSACTION.SUCCESS', txn({ out_trade_no: 'TC20990101NOSUCHORDER0' }))]);
    cases.push(['amount_mismatch', 400, w.fake.signNotification('TRANSACTION.SUCCESS', txn({ amount: { total: 1, payer_total: 1, currency: 'CNY' } }))]);
    cases.push(['currency_mismatch', 400, w.fake.signNotification('TRANSACTION.SUCCESS', txn({ amount: { total: 3000, payer_total: 3000, currency: 'USD' } }))]);
    cases.push(['wrong_merchant', 400, w.fake.signNotification('TRANSACTION.SUCCESS', txn({ mchid: '1234567890' }))]);

    function signedRaw(body) {
      // Only the fake holds the platform key; it signs whatever body it is given.
      const msg = w.fake.signNotification('TRANSACTION.SUCCESS', {}, { timestamp: ts, nonce });
      return { headers: { ...msg.headers, 'Wechatpay-Signature': w.fake.signBody(ts, nonce, body) }, body };
    }

    for (const [reason, status, msg] of cases) {
      const r = await post(msg);
      const text = await r.text();
      assert.equal(r.status, status, `${reason}: ${r.status} ${text}`);
      const j = JSON.parse(text);
      assert.equal(j.code, 'FAIL');
      assert.equal(j.reason, reason, text);
    }
    assert.equal(await stateOf(s, o.id), 'created', 'the order was left as it was');
    const refused = (await w.op.get('/api/ops/pay/notices?outcome=refused')).body.notices.map((n) => n.reason);
    for (const [reason] of cases) assert.ok(refused.includes(reason), `${reason} logged for the operator`);
    // A replayed nonce with another body is refused even when signed (a captured nonce reused).
    const genuine = await w.fake.pay(o.out_trade_no, { send: false });
    assert.equal((await post(genuine)).status, 204);
    const reuse = w.fake.signNotification('TRANSACTION.SUCCESS', txn(), { nonce: genuine.headers['Wechatpay-Nonce'] });
    const rr = await post(reuse);
    assert.equal(rr.status, 401);
    assert.equal((await rr.json()).reason, 'replayed_nonce');
    assert.equal(await stateOf(s, o.id), 'paid');
  });

  test('a crash between receiving a notification and acknowledging it loses nothing', async () => {
    for (const where of ['before_commit', 'after_commit']) {
      const s = await w.student(where === 'before_commit' ? 5 : 6);
      const { o } = await placed(s);
      await w.stop();
      await w.start({ TUCAI_FAULT_PAY_NOTIFY: where });
      const delivered = w.fake.pay(o.out_trade_no);
      const ended = await w.server.exited;
      assert.equal(ended.code, 86, `the server crashed ${where}`);
      await w.start();
      assert.equal(await delivered, 204, 'the provider retry was acknowledged');
      const student = await w.student(where === 'before_commit' ? 5 : 6);
      assert.equal(await stateOf(student, o.id), 'paid');
      const ev = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.events;
      assert.equal(ev.filter((e) => e.to === 'paid').length, 1, where);
      const tries = w.fake.deliveries.filter((d) => d.key === o.out_trade_no);
      assert.ok(tries.length >= 2, 'the first delivery was not acknowledged');
    }
  });

  test('operator: refund with a reason, daily payments CSV and XLSX, reconciliation against the bill', async () => {
    const { o } = w.first;
    expectError(await w.op.post(`/api/ops/orders/${o.id}/refund`, { reason: '' }), 400, 'reason_required');
    const r = await w.op.post(`/api/ops/orders/${o.id}/refund`, { reason: '学生已在校内现场采集' });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.order.state, 'refund_pending');
    await waitUntil(async () => (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.state === 'refunded');
    const ev = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.events;
    const asked = ev.find((e) => e.to === 'refund_pending');
    assert.equal(asked.reason, '学生已在校内现场采集');
    assert.equal(asked.actor_role, 8);
    assert.equal(w.fake.orders.get(o.out_trade_no).trade_state, 'REFUND');

    const day = shanghaiDate();
    const list = await w.op.get(`/api/ops/payments?date=${day}`);
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.payments.find((p) => p.out_trade_no === o.out_trade_no && p.state === 'refunded'));
    const csv = await w.op.get(`/api/ops/payments?date=${day}&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /text\/csv/);
    assert.ok(csv.text.includes(o.out_trade_no));
    assert.ok(csv.text.includes('52.00'));
    const xlsx = await w.op.get(`/api/ops/payments?date=${day}&format=xlsx`);
    assert.equal(xlsx.status, 200);
    assert.equal(xlsx.raw.subarray(0, 2).toString(), 'PK');
    expectError(await w.op.get('/api/ops/payments?date=2024-13-45'), 400, 'invalid_date');
    expectError(await w.first.s.get(`/api/ops/payments?date=${day}`), 403, 'forbidden');

    // The provider's bill: tamper one amount and add a payment we never saw.
    let rec = await w.op.get(`/api/ops/reconcile?date=${day}`);
    assert.equal(rec.status, 200, rec.text);
    assert.deepEqual(rec.body.mismatches, [], JSON.stringify(rec.body));
    const paidOne = [...w.fake.orders.values()].find((x) => x.trade_state === 'SUCCESS');
    paidOne.total += 1;
    w.fake.billExtraRows.push({ date: day, out_trade_no: 'TC20991231STRANGER0001', transaction_id: '4200000000777', appid: w.merchant.appid, total: 3000, paid_at: Date.now(), trade_type: 'JSAPI' });
    rec = await w.op.get(`/api/ops/reconcile?date=${day}`);
    const kinds = rec.body.mismatches.map((m) => `${m.kind}:${m.out_trade_no}`).sort();
    assert.deepEqual(kinds, [`amount_mismatch:${paidOne.out_trade_no}`, 'missing_here:TC20991231STRANGER0001'].sort());
    paidOne.total -= 1;
  });

  test('an unpaid order closes; money that comes afterwards is refunded', async () => {
    await w.stop();
    w.args.push('--pay-order-ttl', '2');
    await w.start();
    const s = await w.student(7);
    const { o } = await placed(s);
    await waitUntil(async () => (await stateOf(s, o.id)) === 'closed', { timeout: 30000 });
    assert.equal(w.fake.orders.get(o.out_trade_no).trade_state, 'CLOSED', 'closed at the provider too');
    expectError(await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' }), 409, 'order_closed');
    // A payment that raced the close arrives anyway.
    assert.equal(await w.fake.pay(o.out_trade_no, { force: true }), 204);
    await waitUntil(async () => (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.state === 'refunded', { timeout: 30000 });
    const got = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order;
    assert.equal(got.flag, 'paid_after_close');
    assert.deepEqual(got.events.map((e) => e.to), ['created', 'closed', 'refund_pending', 'refunded']);
    // The slot is free again: a new order can be placed.
    const again = await order(s);
    assert.notEqual(again.id, o.id);
  });

  test('a payment whose notification never arrives is found by the close job asking the provider', async () => {
    const s = await w.student(8);
    const { o } = await placed(s);
    await w.fake.pay(o.out_trade_no, { send: false }); // money taken, notification lost
    await waitUntil(async () => (await stateOf(s, o.id)) === 'paid', { timeout: 30000 });
    const ev = (await w.op.get(`/api/ops/orders/${o.id}`)).body.order.events;
    assert.deepEqual(ev.map((e) => e.to), ['created', 'paid']);
    assert.match(ev[1].reason, /query/);
    assert.ok(w.fake.requests.some((r) => r.url.startsWith(`/v3/pay/transactions/out-trade-no/${o.out_trade_no}?mchid=`)));
  });

  test('secrets never reach the logs', () => {
    const logs = w.server.logs.join('\n');
    assert.ok(!logs.includes(w.merchant.apiv3Key));
    assert.ok(!logs.includes('PRIVATE KEY'));
    assert.ok(!logs.includes(ADDRESS.mobile));
  });
});

