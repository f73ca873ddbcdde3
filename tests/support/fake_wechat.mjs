// fake_wechat: a local WeChat server (official account + mini program) for tests, on loopback,
// written from WeChat's documentation independently of the C client, speaking its JSON and errcodes.
//
// What it does like the real one:
//  - web authorisation: GET /connect/oauth2/authorize (appid, redirect_uri within the registered
//    domain, response_type=code, scope snsapi_base|snsapi_userinfo, state) answers 302 to
//    redirect_uri?code=CODE&state=STATE for the user signed in to the "WeChat client" (`fake.user`);
//  - /sns/oauth2/access_token and /sns/jscode2session turn a code into the openid once: an unknown
//    or expired code is 40029 "invalid code", a used one 40163 "code been used", a wrong secret
//    40125, a wrong appid 40013, a wrong grant_type 40002;
//  - /cgi-bin/token hands out access tokens (7200 s); a new one ends the previous one after a grace
//    of 5 minutes, an older one at once (40001); fake.expireTokens() makes calls answer 42001;
//  - /cgi-bin/ticket/getticket?access_token&type=jsapi (official account only, 48001 otherwise;
//    40097 for another type) hands out JS-SDK tickets (7200 s); fake.verifyJsConfig() is what the
//    WeChat client does at wx.config: the signature must be SHA-1 of
//    "jsapi_ticket=..&noncestr=..&timestamp=..&url=.." with a ticket WeChat issued to that app, the
//    url without its '#' part, timestamp in seconds;
//  - /wxa/business/getuserphonenumber (POST {code}, access_token) gives phone_info with watermark;
//  - /cgi-bin/message/subscribe/bizsend (official account) and /cgi-bin/message/subscribe/send
//    (mini program) check the token's app, the openid (40003), the template (40037), the data
//    (47003: thing at most 20 characters, time "YYYY-MM-DD HH:MM") and the user's subscription
//    (43101 when the user has not accepted that template, or used up what they accepted).
// Every API call is kept in `fake.calls` ({path, errcode}) and every send in `fake.messages`.
// fake.wxClient(appid, openid, {choose}) is the `wx` object the WeChat app gives a mini program:
// wx.login (a login code), wx.request (a real HTTP request; JSON in and out; the Set-Cookie
// headers joined by commas as WeChat does), wx.requestSubscribeMessage (the prompt: at most 3
// templates of this app, else fail 20003 / 20001; `choose(id)` is the student's tap, 'accept' |
// 'reject' | 'ban', and an accepted one-time template gives the app one message to send;
// `switchedOff` answers fail 20004 as when the student turned the prompts off).
import crypto from 'node:crypto';
import http from 'node:http';

const rand = (n = 16) => crypto.randomBytes(n).toString('base64url');

export function fakeOpenid() {
  return 'o' + crypto.randomBytes(20).toString('base64url').slice(0, 27);
}

export async function startFakeWechat({ mp, mini, redirectDomain, templates = [] }) {
  // mp / mini: { appid, secret }
  const apps = new Map();
  if (mp) apps.set(mp.appid, { ...mp, kind: 'mp' });
  if (mini) apps.set(mini.appid, { ...mini, kind: 'mini' });
  const users = new Map(); // key `${appid}:${openid}` -> { openid, appid, phone, subs: Map(template -> count) }
  const codes = new Map(); // code -> { appid, openid, kind: 'oauth'|'login'|'phone', expires, used }
  const tokens = new Map(); // token -> { appid, expires, endedAt }
  const tickets = new Map(); // jsapi_ticket -> { appid, expires }
  const calls = [];
  const messages = [];
  const fake = {
    apps, users, codes, tokens, calls, messages, templates: new Set(templates), url: '', user: null,
    tokenFetches: 0, ticketFetches: 0, tickets, tokenFetchesByApp: new Map(),
    // The WeChat client's check of wx.config on the page at `pageUrl` (location.href): the
    // errMsg it would report ("config:ok" or "config:invalid signature").
    verifyJsConfig(cfg, pageUrl) {
      if (!cfg || !apps.has(cfg.appId) || apps.get(cfg.appId).kind !== 'mp') return 'config:invalid appid';
      if (!Number.isInteger(cfg.timestamp) || Math.abs(cfg.timestamp - Date.now() / 1000) > 600) return 'config:invalid timestamp';
      const url = String(pageUrl).split('#')[0];
      for (const [t, rec] of tickets) {
        if (rec.appid !== cfg.appId || rec.expires < Date.now()) continue;
        const sig = crypto.createHash('sha1').update(`jsapi_ticket=${t}&noncestr=${cfg.nonceStr}&timestamp=${cfg.timestamp}&url=${url}`).digest('hex');
        if (sig === cfg.signature) return 'config:ok';
      }
      return 'config:invalid signature';
    },
    // A WeChat user of an app: returns the openid.
    addUser(appid, { phone = null, openid = fakeOpenid() } = {}) {
      users.set(`${appid}:${openid}`, { openid, appid, phone, subs: new Map() });
      return openid;
    },
    // The user taps "accept" on a subscription prompt `times` times for a template.
    subscribe(appid, openid, template, times = 1) {
      const u = users.get(`${appid}:${openid}`);
      if (!u) throw new Error('fake wechat: no such user');
      u.subs.set(template, (u.subs.get(template) || 0) + times);
    },
    // The codes a mini program gets from wx.login() and from the phone-number button.
    loginCode(appid, openid) { return issue(appid, openid, 'login'); },
    phoneCode(appid, openid) { return issue(appid, openid, 'phone'); },
    wxClient(appid, openid, { choose = () => 'accept', switchedOff = false } = {}) {
      const prompts = [];
      return {
        prompts,
        login({ success }) { success({ errMsg: 'login:ok', code: issue(appid, openid, 'login') }); },
        request({ url, method = 'GET', data, header = {}, success, fail }) {
          const body = method === 'GET' || data === undefined ? undefined : JSON.stringify(data);
          fetch(url, { method, headers: header, body, redirect: 'manual' }).then(async (res) => {
            const text = await res.text();
            let parsed = text;
            try { parsed = JSON.parse(text); } catch { /* left as text, as wx.request does */ }
            const h = {};
            res.headers.forEach((v, k) => { if (k !== 'set-cookie') h[k] = v; });
            const sc = res.headers.getSetCookie();
            if (sc.length) h['Set-Cookie'] = sc.join(',');
            success({ statusCode: res.status, data: parsed, header: h, errMsg: 'request:ok' });
          }, () => fail({ errMsg: 'request:fail' }));
        },
        requestSubscribeMessage({ tmplIds, success, fail }) {
          if (switchedOff) return fail({ errMsg: 'requestSubscribeMessage:fail', errCode: 20004 });
          if (!Array.isArray(tmplIds) || !tmplIds.length) return fail({ errMsg: 'requestSubscribeMessage:fail', errCode: 10001 });
          if (tmplIds.length > 3) return fail({ errMsg: 'requestSubscribeMessage:fail', errCode: 20003 });
          if (tmplIds.some((t) => !fake.templates.has(t))) return fail({ errMsg: 'requestSubscribeMessage:fail', errCode: 20001 });
          const res = { errMsg: 'requestSubscribeMessage:ok' };
          for (const t of tmplIds) {
            res[t] = choose(t);
            if (res[t] === 'accept') fake.subscribe(appid, openid, t, 1);
          }
          prompts.push(tmplIds.slice());
          success(res);
        },
      };
    },
    expireTokens() { for (const t of tokens.values()) t.expires = Math.min(t.expires, Date.now() - 1); },
    stop: null,
  };

  function issue(appid, openid, kind) {
    const code = rand(24);
    codes.set(code, { appid, openid, kind, expires: Date.now() + 5 * 60e3, used: false });
    return code;
  }

  const reply = (res, status, obj, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json; encoding=utf-8', ...headers });
    res.end(JSON.stringify(obj));
  };
  const err = (path, res, errcode, errmsg) => {
    calls.push({ path, errcode });
    reply(res, 200, { errcode, errmsg: `${errmsg} rid: ${crypto.randomBytes(4).toString('hex')}` });
  };
  const ok = (path, res, obj) => { calls.push({ path, errcode: 0 }); reply(res, 200, obj); };

  function appFor(q, path, res) {
    const app = apps.get(q.get('appid') || '');
    if (!app) { err(path, res, 40013, 'invalid appid'); return null; }
    if (q.get('secret') !== app.secret) { err(path, res, 40125, 'invalid appsecret'); return null; }
    return app;
  }

  function takeCode(path, res, code, app, kind) {
    const c = codes.get(code || '');
    if (!c || c.appid !== app.appid || c.kind !== kind || c.expires < Date.now()) { err(path, res, 40029, 'invalid code'); return null; }
    if (c.used) { err(path, res, 40163, 'code been used'); return null; }
    c.used = true;
    return c;
  }

  // The token's app, or an errcode answered.
  function tokenApp(path, res, q) {
    const t = q.get('access_token');
    if (!t) { err(path, res, 41001, 'access_token missing'); return null; }
    const rec = tokens.get(t);
    if (!rec || (rec.endedAt && rec.endedAt < Date.now())) { err(path, res, 40001, 'invalid credential, access_token is invalid or not latest'); return null; }
    if (rec.expires < Date.now()) { err(path, res, 42001, 'access_token expired'); return null; }
    return apps.get(rec.appid);
  }

  function checkData(data) {
    if (!data || typeof data !== 'object') return 'data';
    for (const [k, v] of Object.entries(data)) {
      const value = v && typeof v.value === 'string' ? v.value : null;
      if (value === null) return k;
      if (k.startsWith('thing') && ([...value].length > 20 || !value.length)) return k;
      if (k.startsWith('time') && !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(value)) return k;
    }
    return null;
  }

  function send(path, res, app, body, kind) {
    if (app.kind !== kind) return err(path, res, 48001, 'api unauthorized');
    const u = users.get(`${app.appid}:${body.touser}`);
    if (!u) return err(path, res, 40003, 'invalid openid');
    if (!fake.templates.has(body.template_id)) return err(path, res, 40037, 'invalid template_id');
    const bad = checkData(body.data);
    if (bad) return err(path, res, 47003, `argument invalid! data.${bad}.value invalid`);
    // The mini program's send: which version the message opens, and in which language.
    if (kind === 'mini' && body.miniprogram_state !== undefined && !['developer', 'trial', 'formal'].includes(body.miniprogram_state))
      return err(path, res, 47003, 'argument invalid! miniprogram_state invalid');
    if (kind === 'mini' && body.lang !== undefined && !['zh_CN', 'en_US', 'zh_HK', 'zh_TW'].includes(body.lang))
      return err(path, res, 47003, 'argument invalid! lang invalid');
    const left = u.subs.get(body.template_id) || 0;
    if (left <= 0) {
      messages.push({ kind, appid: app.appid, touser: body.touser, template_id: body.template_id, data: body.data, page: body.page, state: body.miniprogram_state, lang: body.lang, errcode: 43101 });
      return err(path, res, 43101, 'user refuse to accept the msg');
    }
    u.subs.set(body.template_id, left - 1);
    const msgid = Number(String(Date.now()).slice(-9)) * 10 + messages.length;
    messages.push({ kind, appid: app.appid, touser: body.touser, template_id: body.template_id, data: body.data, page: body.page, state: body.miniprogram_state, lang: body.lang, errcode: 0, msgid });
    return ok(path, res, { errcode: 0, errmsg: 'ok', msgid });
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url, 'http://x');
      const q = u.searchParams;
      const path = u.pathname;
      let body = {};
      if (req.method === 'POST') {
        try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'); } catch { return err(path, res, 47001, 'data format error'); }
      }
      if (req.method === 'GET' && path === '/connect/oauth2/authorize') {
        // The WeChat client's own page: errors are shown to the user, not sent to the site.
        const app = apps.get(q.get('appid') || '');
        const page = (text) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(`<p>${text}</p>`); };
        if (!app || app.kind !== 'mp') return page('appid 错误');
        let to;
        try { to = new URL(q.get('redirect_uri') || ''); } catch { return page('redirect_uri 参数错误'); }
        if (to.host !== redirectDomain) return page('redirect_uri 域名与后台配置不一致，错误码：10003');
        if (q.get('response_type') !== 'code' || !['snsapi_base', 'snsapi_userinfo'].includes(q.get('scope'))) return page('scope 参数错误');
        if (!fake.user) return page('请在微信客户端打开链接');
        if (!users.has(`${app.appid}:${fake.user}`)) users.set(`${app.appid}:${fake.user}`, { openid: fake.user, appid: app.appid, phone: null, subs: new Map() });
        const code = issue(app.appid, fake.user, 'oauth');
        to.searchParams.set('code', code);
        to.searchParams.set('state', q.get('state') || '');
        res.writeHead(302, { Location: to.toString() });
        return res.end();
      }
      if (req.method === 'GET' && path === '/sns/oauth2/access_token') {
        const app = appFor(q, path, res);
        if (!app) return;
        if (q.get('grant_type') !== 'authorization_code') return err(path, res, 40002, 'invalid grant_type');
        const c = takeCode(path, res, q.get('code'), app, 'oauth');
        if (!c) return;
        return ok(path, res, { access_token: rand(48), expires_in: 7200, refresh_token: rand(48), openid: c.openid, scope: 'snsapi_base' });
      }
      if (req.method === 'GET' && path === '/sns/jscode2session') {
        const app = appFor(q, path, res);
        if (!app) return;
        if (q.get('grant_type') !== 'authorization_code') return err(path, res, 40002, 'invalid grant_type');
        const c = takeCode(path, res, q.get('js_code'), app, 'login');
        if (!c) return;
        return ok(path, res, { openid: c.openid, session_key: crypto.randomBytes(16).toString('base64') });
      }
      if (req.method === 'GET' && path === '/cgi-bin/token') {
        if (q.get('grant_type') !== 'client_credential') return err(path, res, 40002, 'invalid grant_type');
        const app = appFor(q, path, res);
        if (!app) return;
        const now = Date.now();
        // The token being replaced lives 5 more minutes; the ones replaced before it end now.
        for (const t of tokens.values()) {
          if (t.appid !== app.appid) continue;
          t.endedAt = t.endedAt ? Math.min(t.endedAt, now) : now + 5 * 60e3;
        }
        const token = rand(96);
        tokens.set(token, { appid: app.appid, expires: now + 7200e3, endedAt: 0 });
        fake.tokenFetches++;
        fake.tokenFetchesByApp.set(app.appid, (fake.tokenFetchesByApp.get(app.appid) || 0) + 1);
        return ok(path, res, { access_token: token, expires_in: 7200 });
      }
      if (req.method === 'GET' && path === '/cgi-bin/ticket/getticket') {
        const app = tokenApp(path, res, q);
        if (!app) return;
        if (app.kind !== 'mp') return err(path, res, 48001, 'api unauthorized');
        if (q.get('type') !== 'jsapi') return err(path, res, 40097, 'invalid args');
        const ticket = rand(64);
        tickets.set(ticket, { appid: app.appid, expires: Date.now() + 7200e3 });
        fake.ticketFetches++;
        return ok(path, res, { errcode: 0, errmsg: 'ok', ticket, expires_in: 7200 });
      }
      if (req.method === 'POST' && path === '/wxa/business/getuserphonenumber') {
        const app = tokenApp(path, res, q);
        if (!app) return;
        const c = takeCode(path, res, body.code, app, 'phone');
        if (!c) return;
        const user = users.get(`${app.appid}:${c.openid}`);
        if (!user || !user.phone) return err(path, res, 40029, 'invalid code');
        const cc = user.countryCode || '86';
        return ok(path, res, { errcode: 0, errmsg: 'ok', phone_info: { phoneNumber: cc === '86' ? user.phone : `+${cc}${user.phone}`,
          purePhoneNumber: user.phone, countryCode: cc, watermark: { timestamp: Math.floor(Date.now() / 1000), appid: app.appid } } });
      }
      if (req.method === 'POST' && path === '/cgi-bin/message/subscribe/bizsend') {
        const app = tokenApp(path, res, q);
        return app ? send(path, res, app, body, 'mp') : undefined;
      }
      if (req.method === 'POST' && path === '/cgi-bin/message/subscribe/send') {
        const app = tokenApp(path, res, q);
        return app ? send(path, res, app, body, 'mini') : undefined;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.stop = () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); });
  return fake;
}
