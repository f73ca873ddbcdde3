// The student's path inside WeChat, in a real chromium at 390x844 with WeChat's user agent, against
// the real binary, the fake WeChat (tests/support/fake_wechat.mjs) and the fake WeChat Pay: sign in
// with WeChat (the official account's authorisation through the fake's authorize page), confirm
// the phone by SMS code once, link the record with the collection code, pay with JSAPI, and get
// the rejection, with its reason, as a WeChat message. The WeChat client itself is the edge: a
// WeixinJSBridge injected into every page (addInitScript) takes getBrandWCPayRequest, checks its
// fields and the paySign against the merchant's public key and that the prepaid order is this
// WeChat user's, then pays at the fake WeChat Pay. Every step is screenshotted into
// tests/artifacts/web/wechat-*.png and measured (layoutChecks): no horizontal scroll, no clipped
// or overflowing text, no English or raw ids.
// Subscription: on the screen after payment the page offers WeChat's messages through the open tag
// <wx-open-subscribe>. The WeChat client's side of that is injected too: a `wx` object whose
// config() has the fake WeChat check the signature against the page's URL (verifyJsConfig) before
// ready() fires, and which then draws the open tag from its template and, on a tap, shows the
// "sheet" where the student accepts: the fake WeChat records the acceptance and the tag fires
// `success` with subscribeDetails as WeChat does. Before that, "payment received" is answered 43101.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { BIN, Client, DEV_ENV } from '../e2e/support/server.mjs';
import { rsaVerify } from '../support/fake_wechatpay.mjs';
import { fakeOpenid } from '../support/fake_wechat.mjs';
import { rosterStudent, startPayWorld, waitUntil } from '../support/pay_world.mjs';
import { devPhoto, launch, layoutChecks, shot, submitPhoto, watch } from './support/browser.mjs';
import { execFileSync } from 'node:child_process';

const WECHAT_UA = 'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 ' +
  'MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';
const T_PAY = 'tmplPayReceived_0000000000000000000000001';
const T_REJ = 'tmplRejected_000000000000000000000000000002';
const T_OK = 'tmplApproved_000000000000000000000000000004';
const phone = '13600000001';
let w, browser;

before(async () => {
  w = await startPayWorld({ students: 1, wechatTemplates: [T_PAY, T_REJ, T_OK],
    extraArgs: ['--notify-channels', 'wechat', '--wechat-tmpl-payment-received', T_PAY, '--wechat-tmpl-rejected', T_REJ,
      '--wechat-tmpl-approved', T_OK] });
  execFileSync(BIN, ['user', 'add', '--username', 'rev', '--role', 'reviewer', '--name', '审核员', '--data', w.dir],
    { env: { ...process.env, ...DEV_ENV, TUCAI_NEW_PASSWORD: 'rev-password-123' } });
  browser = await launch({ viewport: { width: 390, height: 844 }, userAgent: WECHAT_UA });
});

after(async () => {
  if (browser) await browser.close();
  if (w) await w.close();
});

test('inside WeChat: sign in with WeChat, pay with JSAPI, hear the rejection as a WeChat message', async () => {
  const { context } = browser;
  const openid = fakeOpenid();
  w.wechat.user = openid;
  const bridgeCalls = [];
  await context.exposeBinding('__wechatClientPay', async (_src, params) => {
    const problems = [];
    const keys = Object.keys(params || {}).sort().join();
    if (keys !== 'appId,nonceStr,package,paySign,signType,timeStamp') problems.push('fields ' + keys);
    if (params.appId !== w.merchant.appid) problems.push('appId is not the merchant\'s app');
    if (!/^\d{10}$/.test(params.timeStamp) || Math.abs(Date.now() / 1000 - Number(params.timeStamp)) > 300) problems.push('timeStamp');
    if (!/^[0-9A-Za-z]{1,32}$/.test(params.nonceStr || '')) problems.push('nonceStr');
    if (params.signType !== 'RSA') problems.push('signType');
    const m = /^prepay_id=(wx[0-9a-f]+)$/.exec(params.package || '');
    const order = m && [...w.fake.orders.values()].find((o) => o.prepay_id === m[1]);
    if (!order) problems.push('package names no order');
    else if (order.openid !== openid) problems.push('the order was placed for another WeChat user');
    if (!rsaVerify(w.merchant.publicKeyPem, `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`, params.paySign || ''))
      problems.push('paySign does not verify');
    bridgeCalls.push({ params, problems, out_trade_no: order?.out_trade_no });
    if (problems.length) return 'get_brand_wcpay_request:fail';
    await w.fake.pay(order.out_trade_no); // the payer confirms in WeChat's sheet; WeChat Pay notifies us
    return 'get_brand_wcpay_request:ok';
  });
  const configs = [];
  await context.exposeBinding('__wechatCheckConfig', async (_src, cfg, href) => {
    const verdict = w.wechat.verifyJsConfig(cfg, href);
    configs.push({ cfg, href, verdict });
    return verdict;
  });
  const sheets = [];
  await context.exposeBinding('__wechatSubscribeSheet', async (_src, ids) => {
    // The student taps "允许" for every template of the sheet.
    sheets.push(ids);
    const details = {};
    for (const id of ids) {
      w.wechat.subscribe(w.merchant.appid, openid, id, 1);
      details[id] = JSON.stringify({ status: 'accept' });
    }
    return JSON.stringify(details);
  });
  await context.addInitScript(() => {
    // The JS-SDK as the WeChat client runs it: config is checked by WeChat, then ready or error;
    // open tags are drawn by the client only after a successful config.
    const ready = [], failed = [];
    let state = 'new';
    window.wx = {
      config(c) {
        window.__wechatCheckConfig(c, location.href).then((verdict) => {
          state = verdict === 'config:ok' ? 'ok' : 'failed';
          if (state === 'ok') {
            const sheet = new CSSStyleSheet();
            customElements.define('wx-open-subscribe', class extends HTMLElement {
              connectedCallback() {
                if (this.shadowRoot) return;
                const root = this.attachShadow({ mode: 'open' });
                const tpl = [...this.querySelectorAll('script[type="text/wxtag-template"]')];
                const css = tpl.filter((t) => t.getAttribute('slot') === 'style').map((t) => t.textContent.replace(/<\/?style>/g, '')).join('');
                const own = new CSSStyleSheet();
                own.replaceSync(css);
                root.adoptedStyleSheets = [sheet, own];
                const body = document.createElement('div');
                body.innerHTML = tpl.filter((t) => t.getAttribute('slot') !== 'style').map((t) => t.textContent).join('');
                root.appendChild(body);
                this.addEventListener('click', () => {
                  const ids = (this.getAttribute('template') || '').split(',').filter(Boolean);
                  window.__wechatSubscribeSheet(ids).then((details) => {
                    this.dispatchEvent(new CustomEvent('success', { detail: { errMsg: 'subscribe:ok', subscribeDetails: details } }));
                  });
                });
              }
            });
            ready.forEach((f) => f());
          } else {
            failed.forEach((f) => f({ errMsg: verdict }));
          }
        });
      },
      ready(f) { if (state === 'ok') f(); else ready.push(f); },
      error(f) { if (state === 'failed') f({ errMsg: 'config:fail' }); else failed.push(f); },
    };
  });
  await context.addInitScript(() => {
    // WeChat injects its bridge a moment after the page starts, then fires WeixinJSBridgeReady.
    setTimeout(() => {
      window.WeixinJSBridge = {
        invoke(name, params, cb) {
          if (name !== 'getBrandWCPayRequest') { cb({ err_msg: name + ':fail' }); return; }
          window.__wechatClientPay(params).then((m) => cb({ err_msg: m }), () => cb({ err_msg: 'get_brand_wcpay_request:fail' }));
        },
      };
      document.dispatchEvent(new Event('WeixinJSBridgeReady'));
    }, 30);
  });
  const guard = watch(context);
  const page = await context.newPage();
  const rawIds = [openid];
  const step = async (name, heading) => {
    // Generous: on a loaded CI machine a step behind a payment or a photo can take a while.
    await page.locator('h1', { hasText: heading }).first().waitFor({ timeout: 60000 });
    await layoutChecks(page, name, { rawIds });
    await shot(page, name);
  };
  try {
    // A stale authorisation link (someone else's, or an old tab) lands on the sign-in page, which says why.
    await page.goto(w.url + '/api/wechat/oauth/callback?code=stale&state=' + 'a'.repeat(64));
    await page.locator('.msg.error', { hasText: '微信登录已过期' }).waitFor();
    await step('wechat-00-stale-link', '微信登录');
    await page.goto(w.url + '/');
    await step('wechat-01-login', '微信登录');
    await page.click('#wechat-login');
    // Through WeChat's authorisation and back: a new WeChat user confirms the phone once.
    await page.locator('#wechat-bind-note').waitFor({ timeout: 60000 });
    await step('wechat-02-confirm-phone', '验证手机号');
    await page.fill('#phone', phone);
    await page.click('#send-otp');
    await page.locator('.msg.ok', { hasText: '验证码已发送' }).waitFor();
    const code = fs.readFileSync(w.outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.to === phone).pop().code;
    await page.fill('#otp', code);
    await page.click('#login-btn');

    await step('wechat-03a-privacy', '隐私说明');
    await page.check('#privacy-agree');
    await page.click('#privacy-accept');
    await step('wechat-03-code', '上传采集码');
    const student = rosterStudent(1);
    const f = path.join(w.dir, 'wechat-student.json');
    fs.writeFileSync(f, JSON.stringify({ ...student, school_code: '10141', school_name: '图采测试大学' }));
    const png = path.join(w.dir, 'wechat-student.png');
    execFileSync(BIN, ['code', 'issue', '--key', path.join(w.dir, 'code-keys'), '--student', f, '-o', png], { env: { ...process.env, ...DEV_ENV } });
    await page.fill('#id-last4', student.id_number.slice(-4));
    await page.setInputFiles('#code-file', png);
    await step('wechat-04-confirm-record', '确认学籍信息');
    await page.click('#confirm-record');

    await step('wechat-05-pay', '选择服务并缴费');
    await page.click('#pay-btn');
    await step('wechat-06-rules-after-pay', '拍照须知');
    assert.equal(bridgeCalls.length, 1, 'one payment sheet');
    assert.deepEqual(bridgeCalls[0].problems, []);
    rawIds.push(bridgeCalls[0].out_trade_no, bridgeCalls[0].params.package.slice(10));
    // Paid before the student was asked: WeChat refuses "payment received" (43101).
    const paid = await waitUntil(() => w.wechat.messages.find((m) => m.template_id === T_PAY));
    assert.equal(paid.touser, openid);
    assert.equal(paid.errcode, 43101);

    // The screen after payment offers WeChat's messages; the config WeChat checked was ours.
    await page.locator('#wx-subscribe').waitFor({ timeout: 30000 });
    assert.deepEqual(configs.map((c) => c.verdict), ['config:ok']);
    assert.equal(configs[0].href.split('#')[0], w.url + '/');
    await layoutChecks(page, 'wechat-06b-subscribe-offer', { rawIds });
    await page.locator('#wx-subscribe-card').scrollIntoViewIfNeeded();
    await shot(page, 'wechat-06b-subscribe-offer');
    await page.click('#wx-subscribe');
    await page.locator('#wx-subscribe-note', { hasText: '已开启微信提醒' }).waitFor();
    assert.deepEqual(sheets, [[T_PAY, T_OK, T_REJ]], 'every template on offer, refused "payment received" included');
    await layoutChecks(page, 'wechat-06c-subscribed', { rawIds });
    await shot(page, 'wechat-06c-subscribed');

    // The photo goes in through the API (the camera path has its own test); a reviewer rejects.
    const c = new Client(w.url);
    for (const k of await context.cookies(w.url)) c.cookies.set(k.name, k.value);
    await submitPhoto(c, devPhoto('deepface_img14.jpg'));
    await page.goto(w.url + '/');
    await page.locator('#status-label', { hasText: '审核中' }).waitFor({ timeout: 30000 });
    await step('wechat-07-in-review', '审核进度');
    const rev = new Client(w.url);
    assert.equal((await rev.post('/api/auth/login', { username: 'rev', password: 'rev-password-123' })).status, 200);
    const q = await rev.get('/api/review/queue');
    const item = q.body.items[0].id;
    assert.equal((await rev.post(`/api/review/items/${item}/claim`, {})).status, 200);
    const rj = await rev.post(`/api/review/items/${item}/reject`, { reasons: ['头发遮挡眉毛或耳朵', '光线不均'], note: '请把头发拢到耳后，面向窗户再拍一张' });
    assert.equal(rj.status, 200, rj.text);
    await page.locator('#status-label', { hasText: '已驳回' }).waitFor({ timeout: 60000 });
    await step('wechat-08-rejected', '审核进度');
    assert.match(await page.textContent('main'), /头发遮挡眉毛或耳朵/);

    const msg = await waitUntil(() => w.wechat.messages.find((m) => m.template_id === T_REJ));
    assert.equal(msg.touser, openid);
    assert.equal(msg.errcode, 0);
    assert.equal(msg.kind, 'mp');
    assert.equal(msg.data.thing1.value, '照片未通过审核');
    assert.equal(msg.data.thing2.value, '头发遮挡眉毛或耳朵', 'the reason travels in the message');
    assert.equal(msg.page, `${w.url}/#/status`);

    // The free retake is approved: that too arrives in WeChat.
    await submitPhoto(c, devPhoto('deepface_img14.jpg'));
    const q2 = await rev.get('/api/review/queue');
    const item2 = q2.body.items[0].id;
    assert.equal((await rev.post(`/api/review/items/${item2}/claim`, {})).status, 200);
    assert.equal((await rev.post(`/api/review/items/${item2}/approve`, { note: '' })).status, 200);
    // The live update was shown on the rejection above; here the page is opened anew, as a student
    // coming back from the WeChat message does (under heavy load the open stream's second change
    // could take longer than the wait).
    await page.goto(w.url + '/');
    await page.locator('#status-label', { hasText: '已通过' }).waitFor({ timeout: 60000 });
    await step('wechat-09-approved', '审核进度');
    const ok = await waitUntil(() => w.wechat.messages.find((m) => m.template_id === T_OK));
    assert.equal(ok.touser, openid);
    assert.equal(ok.errcode, 0);
    assert.equal(ok.data.thing1.value, '照片审核通过');
    guard.assertClean();
  } catch (e) {
    await shot(page, 'wechat-zz-failure').catch(() => {});
    throw e;
  }
});
