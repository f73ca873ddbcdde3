// The student app's shared core: where the student stands (always from the server, so a reload or a
// dropped connection resumes at the right step), the stepper, routing between the screens of
// screens/*.js, and the small helpers they share. Drafts the server does not hold yet (the claim, the
// address form) are kept in this browser's storage. Screens register themselves in Student.views.
(function () {
  'use strict';
  var T = window.T, h = T.h, Flow = window.StudentFlow;
  var main = document.getElementById('main');

  // Labels of at most three characters: eight steps share 390 px (about 43 px each), where a
  // four-character label broke onto a second line mid-word.
  var STEPS = [
    { id: 'login', label: '登录', full: '登录' }, { id: 'code', label: '采集码', full: '上传采集码' },
    { id: 'confirm', label: '确认', full: '确认学籍' }, { id: 'pay', label: '缴费', full: '缴费' },
    { id: 'rules', label: '须知', full: '拍照须知' }, { id: 'shoot', label: '拍摄', full: '拍摄' },
    { id: 'preview', label: '提交', full: '预览并提交' }, { id: 'status', label: '审核', full: '审核进度' }
  ];
  // The privacy notice comes with the collection-code step (it is read before the code is given).
  var stepIndex = function (id) { if (id === 'privacy') id = 'code'; for (var i = 0; i < STEPS.length; i++) if (STEPS[i].id === id) return i; return -1; };

  var S = { me: null, order: null, status: null, stage: 'login', schools: null, wx: null };
  // Inside WeChat's browser the student signs in with WeChat (the official account's authorisation)
  // and pays with WeChat Pay's JSAPI (WeixinJSBridge); everywhere else as before.
  var IN_WECHAT = /MicroMessenger/i.test(navigator.userAgent);
  var store = {
    get: function (k) { try { return JSON.parse(localStorage.getItem('tucai.' + k)); } catch (e) { return null; } },
    set: function (k, v) { try { localStorage.setItem('tucai.' + k, JSON.stringify(v)); } catch (e) { /* private mode */ } },
    del: function (k) { try { localStorage.removeItem('tucai.' + k); } catch (e) { /* private mode */ } }
  };

  // A photo waiting to be uploaded survives a reload (slow or broken networks): IndexedDB keeps the
  // blob until the server has it.
  var pendingPhoto = {
    db: function () {
      return new Promise(function (resolve, reject) {
        if (!window.indexedDB) return reject(new Error('no IndexedDB'));
        var r = indexedDB.open('tucai', 1);
        r.onupgradeneeded = function () { r.result.createObjectStore('pending'); };
        r.onsuccess = function () { resolve(r.result); };
        r.onerror = function () { reject(r.error); };
      });
    },
    op: function (mode, fn) {
      return pendingPhoto.db().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction('pending', mode), req = fn(tx.objectStore('pending'));
          tx.oncomplete = function () { db.close(); resolve(req && req.result); };
          tx.onerror = function () { db.close(); reject(tx.error); };
        });
      });
    },
    save: function (blob, name) { return pendingPhoto.op('readwrite', function (st) { return st.put({ blob: blob, name: name, at: Date.now() }, 'photo'); }).catch(function () { /* best effort */ }); },
    load: function () { return pendingPhoto.op('readonly', function (st) { return st.get('photo'); }).catch(function () { return null; }); },
    clear: function () { return pendingPhoto.op('readwrite', function (st) { return st.delete('photo'); }).catch(function () { /* best effort */ }); }
  };


  // ---- where the student stands -------------------------------------------------------------

  // What WeChat sign-in this site offers, and whether the authorisation just signed this browser
  // in (the callback sets only HttpOnly cookies, so the page asks).
  function wechatState() {
    if (!IN_WECHAT) return Promise.resolve();
    return Flow.wechatConfig().then(function (c) {
      S.wx = c;
      if (c.signed_in) store.set('signedIn', true);
    }, function () { S.wx = null; });
  }

  function refresh() {
    if (!store.get('signedIn')) { S.me = null; S.stage = 'login'; return Promise.resolve(); }
    return Flow.me().then(function (me) {
      S.me = me;
      document.getElementById('logout').hidden = false;
      if (me.status === 'unlinked') {
        return Flow.privacy().then(function (p) {
          S.privacy = p;
          S.stage = !p.accepted_at ? 'privacy' : store.get('claim') ? 'confirm' : 'code';
        });
      }
      Flow.privacy().then(function (p) { S.privacy = p; }, function () { /* shown on 我的 only */ });
      store.del('claim');
      return Promise.all([
        Flow.currentOrder().then(function (r) { S.order = r.order; }),
        Flow.status().then(function (st) { S.status = st; }, function (e) { if (e.status !== 404) throw e; S.status = null; })
      ]).then(function () {
        var st = S.status && S.status.state;
        var paid = S.order && S.order.state === 'paid';
        if (st === 'unpaid' || (!st && !paid)) S.stage = 'pay';
        else if (st === 'shooting' || (!st && paid)) S.stage = store.get('rulesRead') ? 'shoot' : 'rules';
        else if (st === 'ready') S.stage = 'preview';
        else if (st === 'rejected' && store.get('retake')) S.stage = 'shoot';
        else S.stage = 'status';
        if (me.status === 'approved') S.stage = 'status';
        loadUnread();
      });
    }, function (e) {
      if (e.status === 401) { store.del('signedIn'); S.me = null; S.stage = 'login'; return; }
      throw e;
    });
  }

  function renderStepper(current) {
    var ol = T.clear(document.getElementById('stepper'));
    // An approved photo ends the path: every step is done, the review too (no step is "current").
    var finished = !!(S.me && S.me.status === 'approved');
    var reached = finished ? STEPS.length : stepIndex(S.stage), at = stepIndex(current);
    STEPS.forEach(function (s, i) {
      var done = i < reached && (i !== at || finished);
      var cls = i === at ? 'current' : (done ? 'done' : '');
      var inner = [h('span', { class: 'dot', 'aria-hidden': 'true', text: done ? '✓' : String(i + 1) }),
        h('span', { class: 'label', text: s.label })];
      var canGo = i <= reached && i > 0 && !(i < 3 && S.me && S.me.status !== 'unlinked') && i !== at;
      var label = '第' + (i + 1) + '步 ' + s.full + (done ? '（已完成）' : i === at ? '（当前）' : '');
      ol.appendChild(h('li', { class: cls, 'aria-current': i === at ? 'step' : null },
        canGo ? h('a', { href: '#/' + s.id, 'aria-label': label }, inner) : h('span', { 'aria-label': label }, inner)));
    });
  }

  // ---- routing ------------------------------------------------------------------------------

  var views = {};
  var cleanup = null;
  function route() {
    if (cleanup) { try { cleanup(); } catch (e) { /* camera already stopped */ } cleanup = null; }
    var parts = location.hash.replace(/^#\/?/, '').split('/');
    var name = parts[0] || '', arg = parts[1];
    var idx = stepIndex(name);
    if (!name || (idx >= 0 && (idx > stepIndex(S.stage) || (!S.me && name !== 'login')))) name = S.stage;
    if (idx < 0 && !views[name]) name = S.stage;
    if (['inbox', 'support', 'me', 'receipt'].indexOf(name) >= 0 && !S.me) name = 'login';
    if (name === 'login' && S.me) name = S.stage;
    if ((name === 'code' || name === 'confirm') && S.stage === 'privacy') name = 'privacy';
    renderStepper(stepIndex(name) >= 0 ? name : S.stage);
    window.Student.currentView = name;
    listen();
    T.clear(main);
    var r = views[name](arg);
    if (typeof r === 'function') cleanup = r;
    if (window.WxSubscribe) window.WxSubscribe.offer(main, name, S); // inside WeChat: offer its messages (wx_subscribe.js)
    var h1 = main.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: false }); document.title = h1.textContent + ' · 图采'; }
  }
  function go(name) {
    if (location.hash === '#/' + name) route();
    else location.hash = '#/' + name;
  }
  function advance() { return refresh().then(function () { go(S.stage); }, showFatal); }

  // Sentences joined without a doubled 。 (server messages may or may not end with one).
  function sentence(a, b) { a = String(a || '').replace(/[。.]+$/, ''); return b ? a + '。' + b : a + '。'; }
  function msgBox() { return h('div', { class: 'msg', role: 'alert' }); }
  function say(box, text, kind) { box.className = 'msg ' + (kind || 'error'); box.textContent = text || ''; }
  function busy(btn, on, text) {
    btn.disabled = on;
    if (on && text) { btn.dataset.label = btn.textContent; btn.textContent = text; }
    if (!on && btn.dataset.label) { btn.textContent = btn.dataset.label; delete btn.dataset.label; }
  }
  function showFatal(e) {
    T.clear(main);
    main.appendChild(h('div', { class: 'card' }, h('h1', { text: '出错了' }),
      h('p', { class: 'msg error', role: 'alert', text: e.message || String(e) }),
      h('button', { type: 'button', onclick: function () { location.reload(); }, text: '重新加载' })));
  }


  function loadUnread() {
    Flow.inbox().then(function (r) {
      var n = r.unread || 0;
      var badge = document.getElementById('unread');
      badge.hidden = !n;
      badge.textContent = String(n);
      document.getElementById('inbox-link').setAttribute('aria-label', '消息' + (n ? '，' + n + ' 条未读' : ''));
    }, function () { /* the badge is a nicety */ });
  }

  // Pushed changes: a decision shows at once on the status page; new messages light the badge.
  var events = null;
  function listen() {
    if (events || !window.EventSource || !S.me || S.me.status === 'unlinked') return;
    events = new EventSource('/api/student/events');
    events.addEventListener('status', function (ev) {
      var st;
      try { st = JSON.parse(ev.data); } catch (e) { return; }
      var before = S.status && S.status.state;
      if (before === st.state) return;
      // The status page follows every change; a preview left behind by a photo submitted (or
      // decided) elsewhere follows too, instead of offering to submit what is already in review.
      refresh().then(function () {
        var v = window.Student.currentView;
        if (v === 'status' || (v === 'preview' && S.stage === 'status')) { route(); T.announce('状态更新：' + (S.status && S.status.label)); }
      });
    });
    events.addEventListener('inbox', loadUnread);
    // Refused (429: streams this account left open elsewhere, e.g. a page that went to the payment
    // page and came back, until the server notices) or cut: the browser gives up on a refused
    // stream, so the next screen tries again; the status page polls meanwhile.
    events.addEventListener('error', function () { if (events && events.readyState === 2) events = null; });
  }

  window.Student = {
    T: T, S: S, Flow: Flow, store: store, pendingPhoto: pendingPhoto, main: main, views: views,
    IN_WECHAT: IN_WECHAT, STEPS: STEPS, stepIndex: stepIndex,
    wechatState: wechatState, refresh: refresh, route: route, go: go, advance: advance,
    msgBox: msgBox, say: say, sentence: sentence, busy: busy, showFatal: showFatal, loadUnread: loadUnread,
    currentView: ''
  };
})();
