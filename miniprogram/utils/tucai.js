// tucai.js: the mini program's way to the Tucai server (CommonJS, as WeChat's mini program runtime
// loads it: `const tucai = require('../../utils/tucai.js')`).
//
// Design. wx.request keeps no cookies, so this client keeps the session and CSRF cookies the
// server sets (tucai_session, tucai_csrf, tucai_wxbind) and sends them back, with the CSRF token in
// X-CSRF-Token on every POST, as a browser would. Sign-in is wx.login()'s code to
// POST /api/wechat/mini/login and, the first time, the phone-number button's code to
// POST /api/wechat/mini/phone. Subscription messages: WeChat delivers one only after the student
// accepted its template in wx.requestSubscribeMessage, which WeChat allows only inside a tap and
// for at most 3 templates at a time; askForMessages() asks for the mini program's templates the
// server offers, those not accepted yet first (an acceptance is good for one message), then the
// most useful (rejected, approved, window closing, payment received), and
// relays WeChat's answer untouched to POST /api/wechat/mini/subscriptions, which decides what it
// means. Nothing here holds a rule of the server's.
'use strict';

const ORDER = ['rejected', 'approved', 'window_closing', 'payment_received'];
const MAX_PER_PROMPT = 3; // WeChat's limit for tmplIds

function createClient(base, wxApi) {
  const wxr = wxApi || wx; // WeChat's runtime global; tests pass their own
  const cookies = {};

  function keepCookies(header) {
    let set = header && (header['Set-Cookie'] || header['set-cookie']);
    if (!set) return;
    // WeChat joins several Set-Cookie headers with commas; an Expires date has one too.
    if (!Array.isArray(set)) set = String(set).split(/,(?=\s*[A-Za-z0-9_]+=)/);
    for (const c of set) {
      const [pair, ...attrs] = c.trim().split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const gone = attrs.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a));
      if (gone) delete cookies[name];
      else cookies[name] = pair.slice(eq + 1).trim();
    }
  }

  function call(method, path, data) {
    return new Promise((resolve, reject) => {
      const header = { 'Content-Type': 'application/json' };
      const jar = Object.keys(cookies).map((k) => `${k}=${cookies[k]}`).join('; ');
      if (jar) header.Cookie = jar;
      if (method !== 'GET' && cookies.tucai_csrf) header['X-CSRF-Token'] = cookies.tucai_csrf;
      wxr.request({
        url: base + path, method, data, header, dataType: 'json',
        success(res) { keepCookies(res.header); resolve({ status: res.statusCode, body: res.data }); },
        fail(err) { reject(new Error(err && err.errMsg ? err.errMsg : 'request failed')); },
      });
    });
  }

  async function post(path, data) {
    if (!cookies.tucai_csrf) await call('GET', '/api/csrf');
    return call('POST', path, data);
  }

  const wxCall = (fn, args) => new Promise((resolve, reject) => wxr[fn]({ ...args, success: resolve, fail: reject }));

  return {
    cookies,
    get: (path) => call('GET', path),
    post,
    // wx.login(): signed in ({status: 'signed_in'}) or {status: 'need_phone'}.
    async login() {
      const { code } = await wxCall('login', {});
      return (await post('/api/wechat/mini/login', { code })).body;
    },
    // The phone-number button's event detail ({code}) after need_phone.
    async phone(detail) {
      return (await post('/api/wechat/mini/phone', { code: detail.code })).body;
    },
    // From a tap: asks WeChat's prompt for the templates on offer and reports the answer.
    // Resolves to the server's list [{kind, template_id, answer}], or null when WeChat could not
    // ask (the student switched subscription prompts off: errCode 20004, and so on).
    async askForMessages() {
      const offer = await call('GET', '/api/wechat/mini/subscriptions');
      if (offer.status !== 200) throw new Error(offer.body && offer.body.error ? offer.body.error.message : 'offer');
      const ids = offer.body.templates
        .slice()
        .sort((a, b) => (a.answer === 'accepted') - (b.answer === 'accepted') || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind))
        .slice(0, MAX_PER_PROMPT)
        .map((t) => t.template_id);
      if (!ids.length) return offer.body.templates;
      let answer;
      try {
        answer = await wxCall('requestSubscribeMessage', { tmplIds: ids });
      } catch (e) {
        return null;
      }
      const r = await post('/api/wechat/mini/subscriptions', answer);
      if (r.status !== 200) throw new Error(r.body && r.body.error ? r.body.error.message : 'subscriptions');
      return r.body.templates;
    },
  };
}

module.exports = { createClient };
