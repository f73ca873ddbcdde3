// wx_subscribe: inside WeChat, offer the student the official account's subscription messages
// (payment received, approved, rejected with the reason, window closing) and tell the server the
// answer. Without an accepted template WeChat answers every send 43101, so this is what makes the
// messages of wechat/wx_message.c arrive at all.
//
// How. WeChat only lets the user accept through its own UI: the open tag <wx-open-subscribe
// template="id1,id2"> that the WeChat client draws (from the <script type="text/wxtag-template">
// inside it) once wx.config has succeeded with openTagList ['wx-open-subscribe']. So:
//   1. load WeChat's JS-SDK (jweixin-1.6.0.js from res.wx.qq.com: the server's CSP allows that one
//      file and nothing else of that host; npm's weixin-js-sdk is not vendored because it is a
//      third party's CommonJS re-upload of Tencent's code under a licence Tencent never gave);
//   2. GET /api/wechat/jssdk?url=<this page without '#'>: the signed config, the templates on
//      offer and the student's answers so far;
//   3. wx.config(...); on wx.ready draw the tag; its `success` event carries
//      detail.subscribeDetails = JSON {templateId: JSON {status}} per template;
//   4. POST /api/wechat/subscriptions {accepted, refused}: 'accept...' is accepted, 'reject' is
//      refused; 'cancel' (the sheet dismissed) and 'filter'/'ban' (WeChat's doing) are no answer.
// Only in WeChat's browser with a signed-in student, on the screen after payment (rules) and the
// status screen, and not inside a mini program's web-view (there the mini program asks with
// wx.requestSubscribeMessage, see src/wechat/wx_subscribe.h). Any failure hides the offer: the
// rest of the page must never depend on WeChat's SDK.
(function () {
  'use strict';
  var T = window.T, h = T.h;
  var SDK = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';
  var SCREENS = { rules: true, status: true };
  var FINAL = { approved: true, exported: true, shipped: true };
  var sdk = null; // Promise of window.wx
  var configured = {}; // page URL -> Promise of the /api/wechat/jssdk answer, after wx.ready

  function inWechat() {
    return /MicroMessenger/i.test(navigator.userAgent) && window.__wxjs_environment !== 'miniprogram';
  }

  function loadSdk() {
    if (window.wx && window.wx.config) return Promise.resolve(window.wx);
    if (sdk) return sdk;
    sdk = new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = SDK;
      s.onload = function () { if (window.wx && window.wx.config) resolve(window.wx); else reject(new Error('no wx')); };
      s.onerror = function () { sdk = null; reject(new Error('sdk')); };
      document.head.appendChild(s);
    });
    return sdk;
  }

  // wx.config for this page (once per URL without '#': the signature covers exactly that).
  function configure(url) {
    if (configured[url]) return configured[url];
    // The offer first: a student who did not come through WeChat, or has answered every template,
    // never loads WeChat's SDK at all.
    configured[url] = T.api('GET', '/api/wechat/jssdk?url=' + encodeURIComponent(url)).then(function (offer) {
      var open = offer.templates.filter(function (t) { return t.answer !== 'accepted'; });
      if (!offer.wechat_bound || !open.length) return offer;
      return loadSdk().then(function (wx) {
        return new Promise(function (resolve, reject) {
          var c = offer.config;
          wx.ready(function () { resolve(offer); });
          wx.error(function () { reject(new Error('config')); });
          wx.config({ debug: false, appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature,
            jsApiList: c.jsApiList, openTagList: c.openTagList });
        });
      });
    });
    configured[url].catch(function () { delete configured[url]; });
    return configured[url];
  }

  // The answer per template from the open tag's success event.
  function answersOf(detail) {
    var out = { accepted: [], refused: [] };
    var all;
    try { all = JSON.parse(detail.subscribeDetails || '{}'); } catch (e) { return out; }
    Object.keys(all).forEach(function (id) {
      var st;
      try { st = (typeof all[id] === 'string' ? JSON.parse(all[id]) : all[id]).status; } catch (e) { return; }
      if (/^accept/.test(st)) out.accepted.push(id);
      else if (st === 'reject') out.refused.push(id);
    });
    return out;
  }

  // The button WeChat draws inside its own frame: the template carries its own look.
  function tag(ids) {
    var el = document.createElement('wx-open-subscribe');
    el.setAttribute('template', ids.join(','));
    el.id = 'wx-subscribe';
    el.style.display = 'block';
    var style = document.createElement('script');
    style.type = 'text/wxtag-template';
    style.setAttribute('slot', 'style');
    style.textContent = '<style>.btn{display:block;width:100%;box-sizing:border-box;padding:12px 16px;border:0;' +
      'border-radius:8px;background:#07c160;color:#fff;font-size:16px;text-align:center}</style>';
    var body = document.createElement('script');
    body.type = 'text/wxtag-template';
    body.textContent = '<button class="btn">接收微信提醒</button>';
    el.appendChild(style);
    el.appendChild(body);
    return el;
  }

  function draw(card, offer) {
    var open = offer.templates.filter(function (t) { return t.answer !== 'accepted'; });
    if (!offer.wechat_bound || !open.length) { card.remove(); return; }
    var note = h('p', { class: 'msg', role: 'status', id: 'wx-subscribe-note' });
    var ids = open.map(function (t) { return t.template_id; });
    var el = tag(ids);
    el.addEventListener('success', function (e) {
      var a = answersOf(e.detail || {});
      if (!a.accepted.length && !a.refused.length) return;
      T.api('POST', '/api/wechat/subscriptions', a).then(function () {
        offer.templates.forEach(function (t) {
          if (a.accepted.indexOf(t.template_id) >= 0) t.answer = 'accepted';
          if (a.refused.indexOf(t.template_id) >= 0) t.answer = 'refused';
        });
        el.remove();
        note.className = 'msg ok';
        note.textContent = a.accepted.length ? '已开启微信提醒，审核结果会通过微信服务通知发给你。'
          : '已记录：不接收微信提醒。你仍可在“消息”中查看审核结果。';
      }, function (err) { note.className = 'msg error'; note.textContent = err.message; });
    });
    el.addEventListener('error', function () {
      note.className = 'msg error';
      note.textContent = '微信暂时无法开启提醒，请稍后再试。';
    });
    T.clear(card);
    card.appendChild(h('h2', { text: '微信提醒' }));
    card.appendChild(h('p', { text: '缴费结果、审核结果（含驳回原因）和截止提醒可以通过微信服务通知发给你。' }));
    card.appendChild(el);
    card.appendChild(note);
    card.hidden = false;
  }

  // Called by the student app after each screen is drawn into `main` (web/student/app.js route).
  function offer(main, screen, S) {
    if (!inWechat() || !SCREENS[screen] || !S || !S.me || (S.wx && !S.wx.mp)) return;
    if (screen === 'status' && S.status && FINAL[S.status.state]) return;
    var card = h('div', { class: 'card', id: 'wx-subscribe-card', hidden: true });
    main.appendChild(card);
    configure(location.href.split('#')[0]).then(function (o) {
      if (card.isConnected) draw(card, o);
    }, function () { card.remove(); });
  }

  window.WxSubscribe = { offer: offer };
})();
