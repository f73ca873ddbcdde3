// The mini program's subscription messages end to end: the mini program's own client
// (miniprogram/utils/tucai.js) runs on the `wx` of the fake WeChat (tests/support/fake_wechat.mjs:
// wx.login, wx.request, the wx.requestSubscribeMessage prompt) against the real binary. What must
// hold: the mini program offers its own templates (never the official account's), at most 3 per
// prompt, those not accepted yet first; the server records WeChat's answer as the mini program got
// it (accept / reject / ban / filter) and refuses anything else; messages go to
// /cgi-bin/message/subscribe/send with the mini program's template, page and miniprogram_state; a
// template the student never accepted is answered 43101 once and recorded, one the student
// rejected is not asked of WeChat at all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, Client, pgDatabase } from './support/server.mjs';
import { fakeOpenid } from '../support/fake_wechat.mjs';
import { startPayWorld, waitUntil } from '../support/pay_world.mjs';

const { createClient } = createRequire(import.meta.url)('../../miniprogram/utils/tucai.js');

const MINI = { appid: 'wx00mini0000000000', secret: 'minisecret00000000000000000000cd' };
const T_MP_PAY = 'tmplMpPayReceived_00000000000000000000001';
const M = {
  payment_received: 'tmplMiniPay_000000000000000000000000000011',
  approved: 'tmplMiniApproved_0000000000000000000000012',
  rejected: 'tmplMiniRejected_0000000000000000000000013',
  window_closing: 'tmplMiniClosing_00000000000000000000000014',
};
const PAGE = 'pages/status/index?from=message';

function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body?.error?.code, code, JSON.stringify(r.body));
  assert.match(r.body.error.message, /[\u4e00-\u9fff]/, 'a Chinese message for the student');
}

const phoneOf = (i) => `139${String(10000000 + i).slice(-8)}`;

// On both stores: the answers' upsert and the identity's app kind read through the session.
for (const store of ['sqlite', 'postgres']) describe(`mini program subscription messages (${store})`, () => {
  let w;
  before(async () => {
    w = await startPayWorld({ db: store === 'postgres' ? pgDatabase() : undefined, students: 4, wechatTemplates: [T_MP_PAY, ...Object.values(M)], wechatMini: MINI,
      extraArgs: ['--notify-channels', 'wechat', '--wechat-tmpl-payment-received', T_MP_PAY,
        '--wechat-mini-tmpl-payment-received', M.payment_received, '--wechat-mini-tmpl-approved', M.approved,
        '--wechat-mini-tmpl-rejected', M.rejected, '--wechat-mini-tmpl-window-closing', M.window_closing,
        '--wechat-mini-state', 'trial', '--wechat-mini-page', PAGE, '--notify-scan-interval', '1'] });
  });
  after(async () => { if (w) await w.close(); });

  // Student i, linked on the web, opens the mini program as a new WeChat user: wx.login, then the
  // phone-number button; returns the mini program's client and its fake wx.
  async function miniStudent(i, opts) {
    const web = await w.student(i);
    const account = (await web.get('/api/student/me')).body.account_id;
    const openid = w.wechat.addUser(MINI.appid, { phone: phoneOf(i), openid: fakeOpenid() });
    const wx = w.wechat.wxClient(MINI.appid, openid, opts);
    const mp = createClient(w.url, wx);
    assert.equal((await mp.login()).status, 'need_phone');
    const signed = await mp.phone({ code: w.wechat.phoneCode(MINI.appid, openid) });
    assert.equal(signed.account_id, account, 'the phone WeChat verified is the web account');
    return { web, mp, wx, openid, account };
  }

  async function pay(client) {
    const o = (await client.post('/api/orders', {})).body.order;
    const p = await client.post(`/api/orders/${o.id}/pay`, { channel: 'h5' });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(await w.fake.pay(o.out_trade_no), 204);
  }

  test('the prompt, the answers recorded, and the messages WeChat is asked to send', async () => {
    // A: accepts everything but the deadline reminder.
    const a = await miniStudent(1, { choose: (t) => (t === M.window_closing ? 'reject' : 'accept') });
    let list = await a.mp.askForMessages();
    assert.deepEqual(a.wx.prompts, [[M.rejected, M.approved, M.window_closing]], 'at most 3, the most useful first, only the mini program\'s');
    const answer = (l) => Object.fromEntries(l.map((t) => [t.kind, t.answer ?? null]));
    assert.deepEqual(answer(list), { payment_received: null, approved: 'accepted', rejected: 'accepted', window_closing: 'refused' });

    // B: accepts all, asked twice: the second prompt starts with what was not accepted yet.
    const b = await miniStudent(2, { choose: () => 'accept' });
    await b.mp.askForMessages();
    list = await b.mp.askForMessages();
    assert.deepEqual(b.wx.prompts[1], [M.payment_received, M.rejected, M.approved]);
    assert.equal(answer(list).payment_received, 'accepted');

    // WeChat's own answers other than accept: 'ban' is a refusal, 'filter' no answer at all.
    let r = await b.mp.post('/api/wechat/mini/subscriptions', { errMsg: 'requestSubscribeMessage:ok', [M.approved]: 'ban', [M.rejected]: 'filter' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(answer(r.body.templates), { payment_received: 'accepted', approved: 'refused', rejected: 'accepted', window_closing: 'accepted' });
    r = await b.mp.post('/api/wechat/mini/subscriptions', { errMsg: 'requestSubscribeMessage:ok', [M.approved]: 'accept' });
    assert.equal(answer(r.body.templates).approved, 'accepted');

    // Hostile answers are refused whole.
    expectError(await b.mp.post('/api/wechat/mini/subscriptions', { errMsg: 'requestSubscribeMessage:fail', [M.approved]: 'accept' }), 400, 'subscribe_failed');
    expectError(await b.mp.post('/api/wechat/mini/subscriptions', { errMsg: 'requestSubscribeMessage:ok', [T_MP_PAY]: 'accept' }), 400, 'unknown_template');
    expectError(await b.mp.post('/api/wechat/mini/subscriptions', { errMsg: 'requestSubscribeMessage:ok', [M.approved]: 'maybe' }), 400, 'invalid_answer');
    expectError(await b.mp.post('/api/wechat/mini/subscriptions', { [M.approved]: 'accept' }), 400, 'invalid_answer');
    expectError(await b.mp.post('/api/wechat/mini/subscriptions', { errMsg: 'requestSubscribeMessage:ok' }), 400, 'invalid_templates');
    expectError(await b.mp.post('/api/wechat/mini/subscriptions', [1, 2]), 400, 'invalid_answer');
    // The page's route takes the mini program's templates from a mini program session, not the
    // official account's.
    expectError(await b.mp.post('/api/wechat/subscriptions', { accepted: [T_MP_PAY] }), 400, 'unknown_template');
    // A session that did not come through the mini program has no mini program openid.
    const web3 = await w.student(3);
    const r3 = await web3.get('/api/wechat/mini/subscriptions');
    assert.equal(r3.status, 409, r3.text);
    assert.equal(r3.body.error.code, 'wechat_mini_required');
    assert.equal((await new Client(w.url).get('/api/wechat/mini/subscriptions')).status, 401);

    // The student switched the prompts off: WeChat fails the call (20004), nothing is reported.
    const c = await miniStudent(4, { switchedOff: true });
    assert.equal(await c.mp.askForMessages(), null);
    assert.deepEqual(answer((await c.mp.get('/api/wechat/mini/subscriptions')).body.templates),
      { payment_received: null, approved: null, rejected: null, window_closing: null });

    // Payment received: B accepted it, so WeChat sends it with the mini program's page and version.
    await pay(b.web);
    const sent = await waitUntil(() => w.wechat.messages.find((m) => m.touser === b.openid));
    assert.equal(sent.errcode, 0);
    assert.equal(sent.kind, 'mini');
    assert.equal(sent.template_id, M.payment_received);
    assert.equal(sent.page, PAGE);
    assert.equal(sent.data.thing1.value, '支付成功');
    assert.equal(sent.state, 'trial', 'miniprogram_state: the version wechat_mini_state names');
    assert.equal(sent.lang, 'zh_CN');

    // A never saw "payment received" in a prompt: WeChat answers 43101 once, recorded, not retried.
    await pay(a.web);
    await waitUntil(() => w.wechat.messages.find((m) => m.touser === a.openid));
    await new Promise((res) => setTimeout(res, 2500));
    assert.deepEqual(w.wechat.messages.filter((m) => m.touser === a.openid).map((m) => [m.template_id, m.errcode]),
      [[M.payment_received, 43101]]);
    const refused = (await w.op.get('/api/ops/wechat/messages?outcome=refused')).body.messages;
    assert.deepEqual(refused.filter((m) => m.account_id === a.account).map((m) => [m.kind, m.errcode, m.app]),
      [['payment_received', 43101, 'mini']]);
    assert.equal(answer((await a.mp.get('/api/wechat/mini/subscriptions')).body.templates).payment_received, 'refused');

    // Window closing: B accepted, so it is sent; A rejected it in the prompt, so WeChat is not asked.
    const end = Date.now() + 20 * 3600e3;
    assert.equal((await w.op.put(`/api/office/batches/${w.batchId}/settings`, { window_end: end })).status, 200);
    const closing = await waitUntil(() => w.wechat.messages.find((m) => m.touser === b.openid && m.template_id === M.window_closing));
    assert.equal(closing.errcode, 0);
    assert.equal(closing.data.thing1.value, '采集即将截止');
    const skipped = await waitUntil(async () => (await w.op.get('/api/ops/wechat/messages?outcome=refused')).body.messages
      .find((m) => m.account_id === a.account && m.kind === 'window_closing'));
    assert.equal(skipped.errcode, 0, 'not asked of WeChat at all');
    assert.ok(!w.wechat.messages.some((m) => m.touser === a.openid && m.template_id === M.window_closing));
    // The official account's template never went to the mini program.
    assert.ok(!w.wechat.messages.some((m) => m.kind === 'mini' && m.template_id === T_MP_PAY));
    // Nothing personal in the server's log.
    const log = w.server.logs.join('\n');
    for (const secret of [a.openid, b.openid, phoneOf(1), phoneOf(2)]) assert.ok(!log.includes(secret), 'log leaks ' + secret);
  });

  test('a version or page WeChat would refuse stops the server at start, in every mode', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tucai-mini-'));
    for (const [flag, value, says] of [['--wechat-mini-state', 'beta', /wechat_mini_state is 'beta'/],
      ['--wechat-mini-page', '/pages/index/index', /wechat_mini_page/], ['--wechat-mini-page', 'pages/a b', /wechat_mini_page/]]) {
      const r = spawnSync(BIN, ['serve', '--dev', '--data', dir, '--listen', '127.0.0.1:0', flag, value],
        { encoding: 'utf8', timeout: 20000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
      assert.notEqual(r.status, 0, `${flag} ${value} started`);
      assert.match(r.stderr, says);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
