// WeChat end to end: the real binary against the fake WeChat (tests/support/fake_wechat.mjs) and
// the fake WeChat Pay. What must hold: the official account's authorisation signs a student in
// only in the browser that started it (state bound by cookie, single use); the first time, the
// phone is confirmed by SMS code and from then on WeChat alone signs in; the mini program's login
// and phone number end in the same account; JSAPI pays with the openid WeChat gave the session and
// never one the client sends; messages go out through the shared access token, a 42001 is
// refreshed once and retried, a 43101 is recorded and not retried.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { execFileSync } from 'node:child_process';

import { BIN, Client, DEV_ENV, pgDatabase, startServer } from './support/server.mjs';
import { rsaVerify } from '../support/fake_wechatpay.mjs';
import { fakeOpenid } from '../support/fake_wechat.mjs';
import { startPayWorld, waitUntil } from '../support/pay_world.mjs';

const T_PAY = 'tmplPayReceived_0000000000000000000000001';
const T_REJ = 'tmplRejected_000000000000000000000000000002';
const T_CLOSE = 'tmplWindowClosing_000000000000000000000003';
const MINI = { appid: 'wx1234567890abcdef', secret: 'minisecret00000000000000000000ab' };

function expectError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.match(r.body.error.message, /[\u4e00-\u9fff]/, 'a Chinese message for the student');
}

function lastCode(w, phone) {
  const lines = fs.readFileSync(w.outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return lines.filter((m) => m.to === phone && m.code).pop().code;
}

// On both stores: the shared token and ticket leases, the subscription answers' upsert.
for (const store of ['sqlite', 'postgres']) describe(`WeChat sign-in, JSAPI payment and messages (${store})`, () => {
  let w;
  before(async () => {
    w = await startPayWorld({ db: store === 'postgres' ? pgDatabase() : undefined, students: 5, wechatTemplates: [T_PAY, T_REJ, T_CLOSE], wechatMini: MINI,
      extraArgs: ['--notify-channels', 'wechat', '--wechat-tmpl-payment-received', T_PAY, '--wechat-tmpl-rejected', T_REJ,
        '--wechat-tmpl-window-closing', T_CLOSE, '--notify-scan-interval', '1'] });
  });
  after(async () => { if (w) await w.close(); });

  test('official account: state bound to the browser, phone confirmed once, then WeChat alone signs in', async () => {
    const openid = fakeOpenid();
    w.wechat.user = openid;
    const c = new Client(w.url);
    const start = await c.get('/api/wechat/oauth/start');
    assert.equal(start.status, 302, start.text);
    const to = new URL(start.headers.get('location'));
    assert.equal(to.origin + to.pathname, `${w.wechat.url}/connect/oauth2/authorize`);
    assert.equal(to.hash, '#wechat_redirect');
    assert.equal(to.searchParams.get('scope'), 'snsapi_base');
    assert.equal(to.searchParams.get('redirect_uri'), `${w.url}/api/wechat/oauth/callback`);
    assert.match(to.searchParams.get('state'), /^[0-9a-f]{64}$/);
    assert.ok(c.cookies.has('tucai_wxstate'));
    const at = await fetch(to, { redirect: 'manual' });
    assert.equal(at.status, 302);
    const back = new URL(at.headers.get('location'));
    assert.equal(back.searchParams.get('state'), to.searchParams.get('state'));

    // Someone else's browser (a link sent to a victim, login CSRF): refused, and the state survives.
    const other = new Client(w.url);
    expectError(await other.get(back.pathname + back.search), 400, 'wechat_state_invalid');
    // A page load is sent back to the sign-in page with the reason.
    const html = await other.get(back.pathname + back.search, { headers: { accept: 'text/html' } });
    assert.equal(html.status, 303);
    assert.equal(html.headers.get('location'), '/?wx_error=wechat_state_invalid#/login');

    const cb = await c.get(back.pathname + back.search);
    assert.equal(cb.status, 303, cb.text);
    assert.equal(cb.headers.get('location'), '/#/');
    assert.ok(!c.cookies.has('tucai_sid'), 'an unknown WeChat user is not signed in yet');
    assert.ok(c.cookies.has('tucai_wxbind'));
    // The same callback again: the state is used up, and so is WeChat's code.
    expectError(await c.get(back.pathname + back.search), 400, 'wechat_state_invalid');
    let cfg = await c.get('/api/wechat/config');
    assert.deepEqual(cfg.body, { mp: true, mini: true, bind_pending: true, signed_in: false });

    // The phone, confirmed by SMS code once, binds the openid.
    const phone = '13700000001';
    assert.equal((await c.post('/api/student/otp', { phone })).status, 200);
    const login = await c.post('/api/student/login', { phone, code: lastCode(w, phone) });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.wechat, 'bound');
    cfg = await c.get('/api/wechat/config');
    assert.deepEqual(cfg.body, { mp: true, mini: true, bind_pending: false, signed_in: true });
    const account = login.body.account_id;

    // Another day, another browser: WeChat alone signs in, to the same account.
    const again = new Client(w.url);
    const r = await w.wechatSignIn(again, openid);
    assert.equal(r.status, 303, r.text);
    assert.ok(again.cookies.has('tucai_sid'));
    const me = await again.get('/api/student/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.account_id, account);

    // WeChat says the code is bad (40029): a clear 400, nobody signed in.
    const bad = new Client(w.url);
    const s2 = await bad.get('/api/wechat/oauth/start');
    const state = new URL(s2.headers.get('location')).searchParams.get('state');
    expectError(await bad.get(`/api/wechat/oauth/callback?code=not-a-code&state=${state}`), 400, 'wechat_code_invalid');
    assert.ok(w.wechat.calls.some((x) => x.path === '/sns/oauth2/access_token' && x.errcode === 40029));
    assert.ok(!bad.cookies.has('tucai_sid'));
    // Hostile input: no state, odd characters.
    expectError(await bad.get('/api/wechat/oauth/callback?code=abc&state=%27%3B--'), 400, 'wechat_state_invalid');
    expectError(await bad.get('/api/wechat/oauth/callback?state=abc'), 400, 'wechat_code_invalid');
    // After a master key rotation the sealed openid is found by its new keyed hash.
    await w.stop();
    const out = execFileSync(BIN, ['keys', 'rotate', '--data', w.dir, ...(w.db ? ['--db', w.db] : [])], { env: { ...process.env, ...DEV_ENV }, encoding: 'utf8' });
    assert.match(out, /wechat_identities\.openid_sealed/);
    await w.start();
    const rotated = new Client(w.url);
    assert.equal((await w.wechatSignIn(rotated, openid)).status, 303);
    assert.equal((await rotated.get('/api/student/me')).body.account_id, account);
    w.mpStudent = { openid, phone, account };
  });

  test('mini program: jscode2session and the phone number end in the same account', async () => {
    const { phone, account } = w.mpStudent;
    const openid = w.wechat.addUser(MINI.appid, { phone });
    const c = new Client(w.url);
    const code = w.wechat.loginCode(MINI.appid, openid);
    let r = await c.post('/api/wechat/mini/login', { code });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'need_phone');
    expectError(await c.post('/api/wechat/mini/login', { code }), 400, 'wechat_code_invalid'); // 40163 code been used
    assert.ok(w.wechat.calls.some((x) => x.path === '/sns/jscode2session' && x.errcode === 40163));
    expectError(await new Client(w.url).post('/api/wechat/mini/phone', { code: w.wechat.phoneCode(MINI.appid, openid) }), 400, 'wechat_ticket_invalid');
    expectError(await c.post('/api/wechat/mini/phone', { code: 'bogus' }), 400, 'wechat_code_invalid');
    r = await c.post('/api/wechat/mini/phone', { code: w.wechat.phoneCode(MINI.appid, openid) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.account_id, account, 'the phone WeChat verified is the account the web sign-in made');
    assert.equal((await c.get('/api/student/me')).body.account_id, account);
    // From now on wx.login() alone.
    const d = new Client(w.url);
    r = await d.post('/api/wechat/mini/login', { code: w.wechat.loginCode(MINI.appid, openid) });
    assert.equal(r.body.status, 'signed_in', r.text);
    assert.equal(r.body.account_id, account);

    // The access token is fetched once and shared; when WeChat says it expired (42001) it is
    // fetched again once and the call retried.
    const fetches = w.wechat.tokenFetches;
    const newcomer = w.wechat.addUser(MINI.appid, { phone: '13700000002' });
    const e = new Client(w.url);
    assert.equal((await e.post('/api/wechat/mini/login', { code: w.wechat.loginCode(MINI.appid, newcomer) })).body.status, 'need_phone');
    w.wechat.expireTokens();
    r = await e.post('/api/wechat/mini/phone', { code: w.wechat.phoneCode(MINI.appid, newcomer) });
    assert.equal(r.status, 200, r.text);
    assert.notEqual(r.body.account_id, account);
    assert.equal(w.wechat.tokenFetches, fetches + 1);
    const phoneCalls = w.wechat.calls.filter((x) => x.path === '/wxa/business/getuserphonenumber').slice(-2).map((x) => x.errcode);
    assert.deepEqual(phoneCalls, [42001, 0]);
  });

  test('two nodes share one access token: when it expires, one refreshes under the lease and both go on', async () => {
    const args = [...w.args];
    args[args.indexOf('--listen') + 1] = '127.0.0.1:0';
    const second = await startServer({ data: w.dir, db: w.db, args: [...args, '--workers', '0'] });
    try {
      const nodes = [new Client(w.url), new Client(second.url)];
      const users = ['13700000011', '13700000012'].map((p) => w.wechat.addUser(MINI.appid, { phone: p }));
      for (let i = 0; i < 2; i++) {
        const r = await nodes[i].post('/api/wechat/mini/login', { code: w.wechat.loginCode(MINI.appid, users[i]) });
        assert.equal(r.body.status, 'need_phone', r.text);
      }
      // Counted for the mini program alone: the first node's workers may send official-account
      // messages meanwhile, and that token expired too.
      const fetches = () => w.wechat.tokenFetchesByApp.get(MINI.appid) || 0;
      const before = fetches();
      w.wechat.expireTokens();
      const answers = await Promise.all(nodes.map((c, i) => c.post('/api/wechat/mini/phone', { code: w.wechat.phoneCode(MINI.appid, users[i]) })));
      for (const r of answers) assert.equal(r.status, 200, r.text);
      assert.equal(fetches(), before + 1, 'one node fetched the new token; the other used it');
    } finally {
      await second.stop();
    }
  });

  test('JSAPI: the openid is the session\'s from WeChat, never the client\'s; messages follow the payment', async () => {
    const s = await w.student(1);
    const o = (await s.post('/api/orders', {})).body.order;
    expectError(await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi', openid: 'oAttackerChosen000000000000' }), 400, 'openid_not_accepted');
    expectError(await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' }), 409, 'wechat_auth_required');
    // Signed in by phone already: the authorisation binds this WeChat to the account.
    const openid = fakeOpenid();
    assert.equal((await w.wechatSignIn(s, openid)).status, 303);
    w.wechat.subscribe(w.merchant.appid, openid, T_PAY, 1);
    const p = await s.post(`/api/orders/${o.id}/pay`, { channel: 'jsapi' });
    assert.equal(p.status, 200, p.text);
    const pay = p.body.pay;
    assert.equal(pay.appId, w.merchant.appid);
    assert.ok(rsaVerify(w.merchant.publicKeyPem, `${pay.appId}\n${pay.timeStamp}\n${pay.nonceStr}\n${pay.package}\n`, pay.paySign));
    assert.equal(w.fake.orders.get(o.out_trade_no).openid, openid, 'the payer WeChat Pay was told is the one WeChat signed in');
    assert.ok(!p.text.includes(openid), 'the openid never travels to the page');

    // Paid: "payment received" reaches WeChat as a subscription message, through the token.
    assert.equal(await w.fake.pay(o.out_trade_no), 204);
    const sent = await waitUntil(() => w.wechat.messages.find((m) => m.touser === openid && m.errcode === 0));
    assert.equal(sent.template_id, T_PAY);
    assert.equal(sent.kind, 'mp');
    assert.equal(sent.page, `${w.url}/#/status`);
    assert.equal(sent.data.thing1.value, '支付成功');
    assert.match(sent.data.time3.value, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

    // A student who did not accept the subscription: WeChat says 43101 once, and we do not insist.
    const s2 = await w.student(2);
    const o2 = (await s2.post('/api/orders', {})).body.order;
    const openid2 = fakeOpenid();
    assert.equal((await w.wechatSignIn(s2, openid2)).status, 303);
    // And the token expired meanwhile: 42001, refreshed once, retried.
    w.wechat.expireTokens();
    assert.equal((await s2.post(`/api/orders/${o2.id}/pay`, { channel: 'jsapi' })).status, 200);
    assert.equal(await w.fake.pay(o2.out_trade_no), 204);
    await waitUntil(() => w.wechat.messages.find((m) => m.touser === openid2));
    await new Promise((r) => setTimeout(r, 3000));
    const tries = w.wechat.messages.filter((m) => m.touser === openid2);
    assert.deepEqual(tries.map((m) => m.errcode), [43101], 'refused once, not retried');
    w.refusedStudent = s2;
    const sends = w.wechat.calls.filter((x) => x.path === '/cgi-bin/message/subscribe/bizsend').map((x) => x.errcode);
    assert.deepEqual(sends.slice(-2), [42001, 43101]);
    // The operator sees what each message came to.
    const refused = await w.op.get('/api/ops/wechat/messages?outcome=refused');
    assert.equal(refused.status, 200, refused.text);
    const account2 = (await s2.get('/api/student/me')).body.account_id;
    const mine = refused.body.messages.filter((m) => m.account_id === account2);
    assert.deepEqual(mine.map((m) => [m.kind, m.errcode, m.app]), [['payment_received', 43101, 'mp']]);
    const sentList = (await w.op.get('/api/ops/wechat/messages?outcome=sent')).body.messages;
    assert.ok(sentList.some((m) => m.kind === 'payment_received' && m.msgid && m.template_id === T_PAY), JSON.stringify(sentList));
    expectError(await w.op.get('/api/ops/wechat/messages?outcome=%27'), 400, 'invalid_outcome');
    assert.equal((await s2.get('/api/ops/wechat/messages')).status, 403);
    // Nothing personal in the server's log: no openid, no phone.
    let log = w.server.logs.join('\n');
    for (const secret of [openid, openid2, w.mpStudent.openid, w.mpStudent.phone]) assert.ok(!log.includes(secret), 'log leaks ' + secret);

    // The token lives in the store, not in one process: a restarted server reuses it.
    const fetches = w.wechat.tokenFetches;
    await w.stop();
    await w.start();
    const s3 = await w.student(3);
    const o3 = (await s3.post('/api/orders', {})).body.order;
    const openid3 = fakeOpenid();
    assert.equal((await w.wechatSignIn(s3, openid3)).status, 303);
    w.wechat.subscribe(w.merchant.appid, openid3, T_PAY, 1);
    assert.equal((await s3.post(`/api/orders/${o3.id}/pay`, { channel: 'jsapi' })).status, 200);
    assert.equal(await w.fake.pay(o3.out_trade_no), 204);
    await waitUntil(() => w.wechat.messages.find((m) => m.touser === openid3 && m.errcode === 0));
    assert.equal(w.wechat.tokenFetches, fetches, 'no new token after a restart');
    log = w.server.logs.join('\n');
    assert.ok(!log.includes(openid3), 'log leaks the openid');
  });

  test('JS-SDK: one jsapi_ticket for all nodes, a signature WeChat verifies, only our pages; the student\'s answer', async () => {
    // Two nodes ask for their first wx.config at once, and the access token has expired: one
    // node refreshes the token once (42001 -> new token) and fetches the ticket; both sign with it.
    const args = [...w.args];
    args[args.indexOf('--listen') + 1] = '127.0.0.1:0';
    const second = await startServer({ data: w.dir, db: w.db, args: [...args, '--workers', '0'] });
    const s = await w.student(5);
    const openid = fakeOpenid();
    assert.equal((await w.wechatSignIn(s, openid)).status, 303);
    const page = `${w.url}/?from=menu#/status`;
    let answers;
    try {
      const other = new Client(second.url);
      other.cookies = s.cookies; // the same student's session, on the other node
      const tokens = w.wechat.tokenFetches;
      assert.equal(w.wechat.ticketFetches, 0);
      w.wechat.expireTokens();
      const q = `/api/wechat/jssdk?url=${encodeURIComponent(page)}`;
      answers = await Promise.all([s.get(q), other.get(q)]);
      for (const r of answers) assert.equal(r.status, 200, r.text);
      assert.equal(w.wechat.ticketFetches, 1, 'one ticket for every node');
      assert.equal(w.wechat.tokenFetches, tokens + 1, 'the expired token refreshed once');
      assert.deepEqual(w.wechat.calls.filter((x) => x.path === '/cgi-bin/ticket/getticket').map((x) => x.errcode), [42001, 0]);
    } finally {
      await second.stop();
    }
    const [ticket] = [...w.wechat.tickets.keys()];
    for (const r of answers) {
      const c = r.body.config;
      assert.equal(c.appId, w.merchant.appid);
      assert.ok(Number.isInteger(c.timestamp) && Math.abs(c.timestamp - Date.now() / 1000) < 60, 'timestamp in seconds');
      assert.match(c.nonceStr, /^[0-9a-f]{24}$/);
      const want = crypto.createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${c.nonceStr}&timestamp=${c.timestamp}&url=${w.url}/?from=menu`).digest('hex');
      assert.equal(c.signature, want, 'SHA-1 over the ticket, nonce, seconds and the URL without #');
      assert.equal(w.wechat.verifyJsConfig(c, page), 'config:ok');
      assert.equal(w.wechat.verifyJsConfig(c, `${w.url}/other`), 'config:invalid signature');
      assert.deepEqual(c.openTagList, ['wx-open-subscribe']);
      assert.ok(!r.text.includes(ticket), 'the ticket never reaches the page');
    }
    assert.notEqual(answers[0].body.config.nonceStr, answers[1].body.config.nonceStr);
    const offer = answers[0].body;
    assert.equal(offer.wechat_bound, true);
    assert.deepEqual(offer.templates.map((t) => [t.kind, t.template_id, t.answer]),
      [['payment_received', T_PAY, null], ['rejected', T_REJ, null], ['window_closing', T_CLOSE, null]]);
    // The page may load WeChat's JS-SDK, that one file and nothing else from outside.
    const csp = (await s.get('/')).headers.get('content-security-policy');
    assert.match(csp, /script-src 'self' https:\/\/res\.wx\.qq\.com\/open\/js\/jweixin-1\.6\.0\.js;/);
    assert.equal(csp.match(/https?:/g).length, 1, csp);
    // A bare origin is signed as the browser sees it: with "/".
    const bare = await s.get(`/api/wechat/jssdk?url=${encodeURIComponent(w.url)}`);
    assert.equal(w.wechat.verifyJsConfig(bare.body.config, `${w.url}/`), 'config:ok');
    // Anything not our own public URL: 400.
    for (const bad of ['https://evil.example/', `${w.url}.evil.example/`, `${w.url}@evil.example/`, `${w.url}:1/`,
      `${w.url}/a b`, `${w.url}/\u4e2d`, 'javascript:alert(1)', '', `${w.url}/${'a'.repeat(2100)}`]) {
      expectError(await s.get(`/api/wechat/jssdk?url=${encodeURIComponent(bad)}`), 400, 'page_url_invalid');
    }
    expectError(await s.get('/api/wechat/jssdk'), 400, 'page_url_invalid');
    assert.equal((await new Client(w.url).get(`/api/wechat/jssdk?url=${encodeURIComponent(page)}`)).status, 401);

    // The student's answer: hostile bodies refused, then accepted and refused recorded.
    expectError(await s.post('/api/wechat/subscriptions', { accepted: ['tmplNotOurs'] }), 400, 'unknown_template');
    expectError(await s.post('/api/wechat/subscriptions', { accepted: T_PAY }), 400, 'invalid_templates');
    expectError(await s.post('/api/wechat/subscriptions', { accepted: [1] }), 400, 'unknown_template');
    expectError(await s.post('/api/wechat/subscriptions', {}), 400, 'invalid_templates');
    const phoneOnly = new Client(w.url); // signed in by phone: no WeChat identity to tie it to
    assert.equal((await phoneOnly.post('/api/student/otp', { phone: '13700000099' })).status, 200);
    assert.equal((await phoneOnly.post('/api/student/login', { phone: '13700000099', code: lastCode(w, '13700000099') })).status, 200);
    expectError(await phoneOnly.post('/api/wechat/subscriptions', { accepted: [T_PAY] }), 409, 'wechat_auth_required');
    const r = await s.post('/api/wechat/subscriptions', { accepted: [T_PAY, T_REJ], refused: [T_CLOSE] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.answers, { [T_PAY]: 'accepted', [T_REJ]: 'accepted', [T_CLOSE]: 'refused' });
    w.subscriber = { client: s, openid, account: (await s.get('/api/student/me')).body.account_id };

    // A 43101 earlier counts as the student's refusal of that template.
    const s2 = w.refusedStudent;
    const o2 = (await s2.get(`/api/wechat/jssdk?url=${encodeURIComponent(page)}`)).body;
    assert.equal(o2.templates.find((t) => t.template_id === T_PAY).answer, 'refused');
  });

  test('window closing: a deadline within 48 hours reaches WeChat with the deadline', async () => {
    const s = await w.student(4);
    const openid = fakeOpenid();
    assert.equal((await w.wechatSignIn(s, openid)).status, 303);
    w.wechat.subscribe(w.merchant.appid, openid, T_CLOSE, 1);
    const end = Date.now() + 20 * 3600e3;
    const r = await w.op.put(`/api/office/batches/${w.batchId}/settings`, { window_end: end });
    assert.equal(r.status, 200, r.text);
    const m = await waitUntil(() => w.wechat.messages.find((x) => x.touser === openid && x.template_id === T_CLOSE));
    assert.equal(m.errcode, 0);
    assert.equal(m.data.thing1.value, '采集即将截止');
    const shown = new Date(Math.floor(end / 1000) * 1000 + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
    assert.equal(m.data.time3.value, shown, 'the deadline in China\'s time');

    // The office's 提醒 to the same student goes out with the window-closing template too.
    const pending = (await w.op.get(`/api/office/batches/${w.batchId}/pending`)).body.students;
    const me = pending.find((x) => x.phone === s.phone || x.phone === `139${String(10000000 + 4).slice(-8)}`);
    assert.ok(me && me.can_remind, JSON.stringify(pending));
    const before = w.wechat.messages.filter((x) => x.touser === openid).length;
    w.wechat.subscribe(w.merchant.appid, openid, T_CLOSE, 1);
    const rr = await w.op.post(`/api/office/batches/${w.batchId}/pending/${me.record_id}/remind`);
    assert.equal(rr.status, 200, rr.text);
    const rm = await waitUntil(() => w.wechat.messages.filter((x) => x.touser === openid)[before]);
    assert.equal(rm.template_id, T_CLOSE);
    assert.equal(rm.errcode, 0);
    assert.equal(rm.data.thing1.value, '请尽快完成照片采集');
    assert.equal(rm.data.time3.value, shown);
    // The student who refused "window closing" on the page is not written to: recorded, not sent.
    const { openid: subOpenid, account: subAccount } = w.subscriber;
    const skipped = await waitUntil(async () => (await w.op.get('/api/ops/wechat/messages?outcome=refused')).body.messages
      .find((x) => x.account_id === subAccount && x.kind === 'window_closing'));
    assert.equal(skipped.errcode, 0, 'not asked of WeChat at all');
    assert.ok(!w.wechat.messages.some((x) => x.touser === subOpenid && x.template_id === T_CLOSE));
  });
});
