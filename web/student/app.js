// The student app: one screen per step of the path (sign in, collection code, confirm, pay, rules,
// shoot, preview, status), help pages, inbox and support. Where the student stands always comes
// from the server, so a reload (or a dropped connection) resumes at the right step; drafts the
// server does not hold yet (the claim, the address form) are kept in this browser's storage.
(function () {
  'use strict';
  var T = window.T, h = T.h, R = window.PhotoRules;
  var main = document.getElementById('main');

  var STEPS = [
    { id: 'login', label: '登录' }, { id: 'code', label: '采集码' }, { id: 'confirm', label: '确认学籍' },
    { id: 'pay', label: '缴费' }, { id: 'rules', label: '拍照须知' }, { id: 'shoot', label: '拍摄' },
    { id: 'preview', label: '预览提交' }, { id: 'status', label: '审核进度' }
  ];
  var stepIndex = function (id) { for (var i = 0; i < STEPS.length; i++) if (STEPS[i].id === id) return i; return -1; };

  // The workflow API in one place (issue 7's routes).
  var Flow = {
    status: function () { return T.api('GET', '/api/status'); },
    upload: function (blob, name, onProgress) {
      var fd = new FormData();
      fd.append('photo', blob, name || 'photo.jpg');
      return T.upload('/api/photos', fd, onProgress);
    },
    attempt: function (id) { return T.api('GET', '/api/photos/attempts/' + encodeURIComponent(id)); },
    submit: function (id, confirmWarnings) {
      return T.api('POST', '/api/photos/submit', { attempt_id: id, confirm_warnings: !!confirmWarnings });
    },
    inbox: function () { return T.api('GET', '/api/inbox'); },
    markRead: function (upTo) { return T.api('POST', '/api/inbox/read', { up_to: upTo }); },
    thread: function () { return T.api('GET', '/api/support/messages'); },
    send: function (text, image) {
      var fd = new FormData();
      fd.append('body', text);
      if (image) fd.append('image', image, image.name || 'image.jpg');
      return T.api('POST', '/api/support/messages', fd);
    }
  };

  var S = { me: null, order: null, status: null, stage: 'login', schools: null, wx: null };
  // Inside WeChat's browser the student signs in with WeChat (the official account's authorisation)
  // and pays with WeChat Pay's JSAPI (WeixinJSBridge); everywhere else as before.
  var IN_WECHAT = /MicroMessenger/i.test(navigator.userAgent);
  var WX_ERRORS = {
    wechat_state_invalid: '微信登录已过期，请再点一次“微信登录”。',
    wechat_code_invalid: '微信授权已失效，请再点一次“微信登录”。',
    wechat_user_risky: '微信提示本次登录存在风险，请稍后再试，或用手机号登录。',
    wechat_busy: '微信登录过于频繁，请稍后再试。',
    wechat_bound_elsewhere: '这个微信已绑定其他手机号，请用那个手机号登录。'
  };
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
    return T.api('GET', '/api/wechat/config').then(function (c) {
      S.wx = c;
      if (c.signed_in) store.set('signedIn', true);
    }, function () { S.wx = null; });
  }

  function refresh() {
    if (!store.get('signedIn')) { S.me = null; S.stage = 'login'; return Promise.resolve(); }
    return T.api('GET', '/api/student/me').then(function (me) {
      S.me = me;
      document.getElementById('logout').hidden = false;
      if (me.status === 'unlinked') {
        S.stage = store.get('claim') ? 'confirm' : 'code';
        return;
      }
      store.del('claim');
      return Promise.all([
        T.api('GET', '/api/orders/current').then(function (r) { S.order = r.order; }),
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
    var reached = stepIndex(S.stage), at = stepIndex(current);
    STEPS.forEach(function (s, i) {
      var cls = i === at ? 'current' : (i < reached ? 'done' : '');
      var inner = [h('span', { class: 'dot', 'aria-hidden': 'true', text: i < reached && i !== at ? '✓' : String(i + 1) }),
        h('span', { class: 'label', text: s.label })];
      var canGo = i <= reached && i > 0 && !(i < 3 && S.me && S.me.status !== 'unlinked') && i !== at;
      var label = '第' + (i + 1) + '步 ' + s.label + (i === at ? '（当前）' : i < reached ? '（已完成）' : '');
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
    if (['inbox', 'support'].indexOf(name) >= 0 && !S.me) name = 'login';
    if (name === 'login' && S.me) name = S.stage;
    renderStepper(stepIndex(name) >= 0 ? name : S.stage);
    currentView = name;
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

  // ---- 1. sign in ---------------------------------------------------------------------------

  views.login = function () {
    var phone = h('input', { id: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', maxlength: 11, required: true, 'aria-describedby': 'phone-hint' });
    var code = h('input', { id: 'otp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true });
    var send = h('button', { type: 'button', class: 'secondary', id: 'send-otp', text: '获取验证码' });
    var submit = h('button', { type: 'submit', id: 'login-btn', text: '登录' });
    var box = msgBox();
    var timer = null;
    send.addEventListener('click', function () {
      if (!/^1\d{10}$/.test(phone.value.trim())) { say(box, '请输入 11 位手机号码'); phone.focus(); return; }
      busy(send, true);
      T.api('POST', '/api/student/otp', { phone: phone.value.trim() }).then(function (r) {
        say(box, '验证码已发送，请查看短信（' + Math.round((r.expires_in || 300) / 60) + ' 分钟内有效）', 'ok');
        code.focus();
        var left = Math.max(r.resend_in || 60, 1);
        send.textContent = left + ' 秒后可重发';
        timer = setInterval(function () {
          left--;
          if (left <= 0) { clearInterval(timer); send.disabled = false; send.textContent = '重新获取'; }
          else send.textContent = left + ' 秒后可重发';
        }, 1000);
      }, function (e) { busy(send, false); say(box, e.message); });
    });
    var wx = IN_WECHAT && S.wx && S.wx.mp;
    var binding = wx && S.wx.bind_pending;
    var wxError = (/[?&]wx_error=([a-z_]+)/.exec(location.search) || [])[1];
    if (wx && !binding) {
      var wxCard = h('div', { class: 'card' },
        h('h1', { text: '微信登录' }),
        h('p', { class: 'hint', text: '已在微信中打开，点下面的按钮用微信登录。首次使用还需验证一次手机号。' }),
        wxError ? h('p', { class: 'msg error', role: 'alert', text: WX_ERRORS[wxError] || '微信登录未成功，请重试，或用手机号登录。' }) : null,
        h('div', { class: 'actions' }, h('a', { class: 'button', id: 'wechat-login', href: '/api/wechat/oauth/start', text: '微信登录' })));
      main.appendChild(wxCard);
    }
    var form = h('form', { class: 'card', novalidate: true },
      h('h1', { text: binding ? '验证手机号' : wx ? '或用手机号登录' : '手机号登录' }),
      binding ? h('p', { class: 'msg ok', id: 'wechat-bind-note', text: '微信已授权。首次使用请验证手机号，之后在微信中打开即可直接登录。' })
        : h('p', { class: 'hint', text: '用你的手机号接收验证码登录。首次登录会自动创建账号。' }),
      h('label', { for: 'phone', text: '手机号' }), phone,
      h('p', { id: 'phone-hint', class: 'hint', text: '11 位中国大陆手机号' }),
      h('label', { for: 'otp', text: '短信验证码' }),
      h('div', { class: 'row' }, code, send),
      box,
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!/^\d{6}$/.test(code.value.trim())) { say(box, '请输入 6 位短信验证码'); code.focus(); return; }
      busy(submit, true, '正在登录…');
      T.api('POST', '/api/student/login', { phone: phone.value.trim(), code: code.value.trim() }).then(function () {
        store.set('signedIn', true);
        T.announce('登录成功');
        return advance();
      }, function (e) { busy(submit, false, ''); say(box, e.message); });
    });
    main.appendChild(form);
    main.appendChild(helpCard());
    if (!wx || binding) phone.focus();
    return function () { if (timer) clearInterval(timer); };
  };

  function helpCard() {
    return h('div', { class: 'card' }, h('h2', { text: '开始之前' }),
      h('ul', null,
        h('li', null, h('a', { href: '#/help/code', text: '如何获取采集码（学信网手机客户端、公众号或网站）' })),
        h('li', null, h('a', { href: '#/help/rules', text: '照片要求与示例' })),
        h('li', null, h('a', { href: '#/help/contact', text: '截止时间与学校联系方式' }))));
  }

  // ---- 2. collection code --------------------------------------------------------------------

  views.code = function () {
    var school = h('select', { id: 'school', required: true }, h('option', { value: '', text: '正在加载学校…' }));
    var album = h('input', { id: 'code-file', type: 'file', accept: 'image/*', class: 'visually-hidden' });
    var camera = h('input', { id: 'code-camera', type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden' });
    var bar = h('span');
    var progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': '上传进度', 'aria-valuemin': 0, 'aria-valuemax': 100, hidden: true }, bar);
    var box = msgBox();
    function send(file) {
      if (!file) return;
      if (!school.value) { say(box, '请先选择学校'); school.focus(); return; }
      var fd = new FormData();
      fd.append('school_id', school.value);
      fd.append('code', file, file.name || 'code.jpg');
      progress.hidden = false;
      say(box, '正在识别采集码…', 'info');
      store.set('school', school.value);
      T.upload('/api/identity/code', fd, function (f) {
        bar.style.width = Math.round(f * 100) + '%';
        progress.setAttribute('aria-valuenow', Math.round(f * 100));
      }).then(function (r) {
        store.set('claim', r);
        T.announce('采集码识别成功');
        return advance();
      }, function (e) {
        progress.hidden = true;
        say(box, e.message + (e.code === 'no_code_found' ? '。请上传从学信网长按保存的采集码原图。' : ''));
      }).then(function () { album.value = ''; camera.value = ''; });
    }
    album.addEventListener('change', function () { send(album.files[0]); });
    camera.addEventListener('change', function () { send(camera.files[0]); });
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: '上传采集码' }),
      h('p', { text: '采集码是学信网为你生成的个人加密二维码，用来确认你的学籍信息。' }),
      h('label', { for: 'school', text: '学校' }), school,
      h('div', { class: 'actions' },
        h('label', { for: 'code-file', class: 'button', text: '从相册选择采集码', role: 'button', tabindex: 0, id: 'pick-code' }), album,
        h('label', { for: 'code-camera', class: 'button secondary', text: '扫描采集码（拍照）', role: 'button', tabindex: 0 }), camera),
      progress, box,
      h('p', { class: 'hint' }, '请在学信网长按二维码保存原图，不要截屏。', h('a', { href: '#/help/code', text: '如何获取采集码？' }))));
    // Labels acting as buttons: Enter and Space open the file picker for keyboard users.
    main.querySelectorAll('label.button').forEach(function (l) {
      l.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); document.getElementById(l.htmlFor).click(); } });
    });
    loadSchools().then(function (list) {
      T.clear(school);
      school.appendChild(h('option', { value: '', text: '请选择学校' }));
      list.forEach(function (s) { school.appendChild(h('option', { value: s.id, text: s.name + '（' + s.code + '）' })); });
      var remembered = store.get('school');
      if (list.length === 1) school.value = String(list[0].id);
      else if (remembered) school.value = String(remembered);
    }, function (e) { say(box, e.message); });
  };
  function loadSchools() {
    if (S.schools) return Promise.resolve(S.schools);
    return T.api('GET', '/api/schools').then(function (r) { S.schools = r.schools || []; return S.schools; });
  }

  // ---- 3. confirm the record -----------------------------------------------------------------

  function recordList(rec) {
    return h('dl', { class: 'kv' },
      h('dt', { text: '姓名' }), h('dd', { text: rec.name }),
      h('dt', { text: '学号' }), h('dd', { text: rec.student_no }),
      h('dt', { text: '身份证号' }), h('dd', { text: rec.id_masked }),
      h('dt', { text: '学校' }), h('dd', { text: rec.school_name }),
      h('dt', { text: '学院' }), h('dd', { text: rec.college }),
      h('dt', { text: '专业' }), h('dd', { text: rec.major }),
      h('dt', { text: '学历层次' }), h('dd', { text: rec.degree }),
      h('dt', { text: '毕业年份' }), h('dd', { text: String(rec.grad_year) }));
  }

  views.confirm = function () {
    var claim = store.get('claim');
    if (!claim) { go('code'); return; }
    var box = msgBox();
    var ok = h('button', { type: 'button', id: 'confirm-record', text: '信息无误，确认' });
    var no = h('button', { type: 'button', class: 'secondary', text: '不是我的信息' });
    ok.addEventListener('click', function () {
      busy(ok, true, '正在确认…');
      T.api('POST', '/api/identity/confirm', { claim_id: claim.claim_id }).then(function () {
        store.del('claim');
        T.announce('学籍信息已确认');
        return advance();
      }, function (e) {
        busy(ok, false, '');
        say(box, e.message);
        if (e.code === 'claim_not_found' || e.code === 'claim_expired') store.del('claim');
      });
    });
    no.addEventListener('click', function () { store.del('claim'); advance(); });
    var b = claim.batch || {};
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: '确认学籍信息' }),
      h('p', { text: '以下是采集码对应的学籍信息，请核对是否是你本人：' }),
      recordList(claim.record),
      h('p', { class: 'hint', text: '采集批次：' + (b.name || '') + '，采集时间 ' + T.date(b.window_start) + ' 至 ' + T.date(b.window_end - 1) }),
      box, h('div', { class: 'actions' }, ok, no),
      h('p', { class: 'hint', text: '如果信息有误，请联系学校研究生培养科核对学籍，不要继续。' })));
  };

  // ---- 4. services, address, pay -------------------------------------------------------------

  function regionPicker(initial) {
    var levels = ['省份', '城市', '区县'];
    var selects = levels.map(function (l, i) {
      return h('select', { id: 'region-' + i, 'aria-label': l, disabled: i > 0 }, h('option', { value: '', text: '请选择' + l }));
    });
    var wrap = h('div', { class: 'row region' }, selects);
    function fill(i, parent, want) {
      for (var k = i; k < 3; k++) { T.clear(selects[k]).appendChild(h('option', { value: '', text: '请选择' + levels[k] })); selects[k].disabled = true; }
      return T.api('GET', '/api/regions' + (parent ? '?parent=' + encodeURIComponent(parent) : '')).then(function (r) {
        (r.regions || []).forEach(function (x) { selects[i].appendChild(h('option', { value: x.code, text: x.name, 'data-leaf': x.leaf ? 1 : null })); });
        selects[i].disabled = false;
        if (want && want[i]) {
          selects[i].value = want[i];
          if (i < 2 && selects[i].value) return fill(i + 1, want[i], want);
        }
      });
    }
    selects.forEach(function (s, i) {
      s.addEventListener('change', function () {
        var opt = s.options[s.selectedIndex];
        if (i < 2 && s.value && !(opt && opt.dataset.leaf)) fill(i + 1, s.value);
        else for (var k = i + 1; k < 3; k++) { T.clear(selects[k]).appendChild(h('option', { value: '', text: '请选择' + levels[k] })); selects[k].disabled = true; }
        wrap.dispatchEvent(new Event('regionchange', { bubbles: true }));
      });
    });
    var ready = fill(0, '', initial);
    return {
      el: wrap, ready: ready,
      value: function () { for (var k = 2; k >= 0; k--) if (selects[k].value) { var o = selects[k].options[selects[k].selectedIndex]; if (k === 2 || o.dataset.leaf) return selects[k].value; return ''; } return ''; },
      path: function () { return selects.map(function (s) { return s.value; }); }
    };
  }

  views.pay = function () {
    var box = msgBox();
    var card = h('div', { class: 'card' }, h('h1', { text: '选择服务并缴费' }), h('p', { class: 'hint', text: '正在加载收费项目…' }));
    main.appendChild(card);
    var poll = null;
    T.api('GET', '/api/pay/fees').then(function (r) {
      T.clear(card).appendChild(h('h1', { text: '选择服务并缴费' }));
      var draft = store.get('payDraft') || {};
      var checks = {};
      var list = h('fieldset', { class: 'services' }, h('legend', { text: '服务项目' }));
      r.fees.forEach(function (f) {
        var cb = h('input', { type: 'checkbox', value: f.code, id: 'fee-' + f.code, checked: f.required || (draft.items || []).indexOf(f.code) >= 0, disabled: f.required });
        checks[f.code] = { input: cb, fee: f };
        list.appendChild(h('label', { class: 'check-line', for: 'fee-' + f.code }, cb,
          h('span', null, f.name, f.required ? h('span', { class: 'hint', text: '（必选）' }) : null,
            f.needs_address ? h('span', { class: 'hint', text: '（纸质照片寄到下方地址）' }) : null),
          h('span', { class: 'price', text: T.money(f.amount_fen) })));
      });
      var recipient = h('input', { id: 'recipient', type: 'text', autocomplete: 'name', maxlength: 30, value: draft.recipient || (S.me.record && S.me.record.name) || '' });
      var mobile = h('input', { id: 'mobile', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', maxlength: 11, value: draft.mobile || '' });
      var street = h('input', { id: 'street', type: 'text', autocomplete: 'street-address', maxlength: 120, value: draft.street || '' });
      var region = regionPicker(draft.region);
      var addr = h('fieldset', { class: 'address' }, h('legend', { text: '收件地址' }),
        h('label', { for: 'recipient', text: '收件人' }), recipient,
        h('label', { for: 'mobile', text: '手机号' }), mobile,
        h('label', { for: 'region-0', text: '所在地区' }), region.el,
        h('label', { for: 'street', text: '详细地址（街道、门牌号）' }), street);
      var total = h('p', { class: 'total', 'aria-live': 'polite' });
      function selected() { return Object.keys(checks).filter(function (k) { return checks[k].input.checked; }); }
      function needsAddress() { return selected().some(function (k) { return checks[k].fee.needs_address; }); }
      function update() {
        var sum = selected().reduce(function (s, k) { return s + checks[k].fee.amount_fen; }, 0);
        total.textContent = '合计 ' + T.money(sum);
        addr.hidden = !needsAddress();
        store.set('payDraft', { items: selected(), recipient: recipient.value, mobile: mobile.value, street: street.value, region: region.path() });
      }
      card.addEventListener('change', update);
      card.addEventListener('input', update);
      card.addEventListener('regionchange', update);
      var payBtn = h('button', { type: 'button', id: 'pay-btn', text: '去支付' });
      var payArea = h('div');
      card.appendChild(list);
      card.appendChild(addr);
      card.appendChild(total);
      card.appendChild(box);
      card.appendChild(h('div', { class: 'actions' }, payBtn));
      card.appendChild(payArea);
      update();

      // Inside WeChat: the server places a JSAPI order for the openid WeChat gave this session and
      // signs what the WeChat client needs; the client shows its own payment sheet.
      function bridgePay(pay) {
        return new Promise(function (resolve, reject) {
          function invoke() {
            window.WeixinJSBridge.invoke('getBrandWCPayRequest', {
              appId: pay.appId, timeStamp: pay.timeStamp, nonceStr: pay.nonceStr, package: pay.package,
              signType: pay.signType, paySign: pay.paySign
            }, function (res) {
              var m = (res && res.err_msg) || '';
              if (m === 'get_brand_wcpay_request:ok') resolve();
              else if (m === 'get_brand_wcpay_request:cancel') reject(new Error('已取消支付，可以再点“去支付”。'));
              else reject(new Error('微信支付没有完成，请稍后再试。'));
            });
          }
          if (window.WeixinJSBridge && window.WeixinJSBridge.invoke) invoke();
          else document.addEventListener('WeixinJSBridgeReady', invoke, { once: true });
        });
      }
      function startJsapi(order) {
        return T.api('POST', '/api/orders/' + order.id + '/pay', { channel: 'jsapi' }).then(function (p) {
          return bridgePay(p.pay).then(function () {
            T.clear(payArea).appendChild(h('p', { class: 'msg info', id: 'pay-confirming', text: '已在微信中付款 ' + T.money(p.amount_fen) + '，正在确认支付结果…' }));
            watch(order.id);
            return check();
          });
        }, function (e) {
          // This session did not come through WeChat's authorisation: get it, then come back here.
          if (e.status === 409 && e.code === 'wechat_auth_required') { location.href = '/api/wechat/oauth/start'; return; }
          throw e;
        });
      }
      function startPay(order) {
        if (r.provider !== 'mock' && IN_WECHAT && S.wx && S.wx.mp) return startJsapi(order);
        var channel = r.provider === 'mock' ? 'mock' : 'h5';
        return T.api('POST', '/api/orders/' + order.id + '/pay', { channel: channel }).then(function (p) {
          var url = p.pay && (p.pay.url || p.pay.h5_url);
          if (!url) throw new Error('支付渠道暂不可用，请稍后再试');
          T.clear(payArea).appendChild(h('div', { class: 'msg info' },
            h('p', { text: '订单 ' + p.out_trade_no + '，金额 ' + T.money(p.amount_fen) + '。请在支付页面完成付款，完成后本页会自动继续。' }),
            h('div', { class: 'actions' },
              h('a', { class: 'button', id: 'pay-link', href: url, target: '_blank', rel: 'opener', text: '打开支付页面' }),
              h('button', { type: 'button', class: 'secondary', id: 'pay-done', text: '我已完成支付', onclick: check }))));
          watch(order.id);
        });
      }
      function check() {
        return T.api('GET', '/api/orders/current').then(function (c) {
          if (c.order && c.order.state === 'paid') { if (poll) clearInterval(poll); poll = null; T.announce('支付成功'); store.del('payDraft'); return advance(); }
          if (c.order && c.order.state === 'closed') say(box, '订单已关闭，请重新支付');
        });
      }
      function watch() { if (!poll) poll = setInterval(function () { check().catch(function () { /* next tick retries */ }); }, 2000); }

      payBtn.addEventListener('click', function () {
        say(box, '');
        var items = selected();
        var body = { items: items };
        if (needsAddress()) {
          if (!recipient.value.trim()) { say(box, '请填写收件人'); recipient.focus(); return; }
          if (!/^1\d{10}$/.test(mobile.value.trim())) { say(box, '请填写 11 位收件人手机号'); mobile.focus(); return; }
          if (!region.value()) { say(box, '请选择完整的省、市、区县'); document.getElementById('region-0').focus(); return; }
          if (street.value.trim().length < 4) { say(box, '请填写详细地址'); street.focus(); return; }
          body.address = { recipient: recipient.value.trim(), mobile: mobile.value.trim(), region_code: region.value(), street: street.value.trim() };
        }
        busy(payBtn, true, '正在下单…');
        var existing = S.order && S.order.state === 'created' ? S.order : null;
        var same = existing && existing.items.map(function (x) { return x.code; }).sort().join() === items.slice().sort().join() && !body.address;
        var ready = same ? Promise.resolve({ order: existing })
          : (existing ? T.api('POST', '/api/orders/' + existing.id + '/cancel') : Promise.resolve()).then(function () { return T.api('POST', '/api/orders', body); });
        ready.then(function (o) { S.order = o.order; return startPay(o.order); })
          .catch(function (e) { say(box, e.message); })
          .then(function () { busy(payBtn, false, ''); });
      });
      if (S.order && S.order.state === 'created') {
        payArea.appendChild(h('p', { class: 'msg info', text: '你有一笔待支付订单（' + T.money(S.order.amount_fen) + '），点“去支付”继续。' }));
      }
    }).catch(function (e) { say(box, e.message); card.appendChild(box); });
    return function () { if (poll) clearInterval(poll); };
  };

  // ---- 5. rules ------------------------------------------------------------------------------

  views.rules = function () {
    var read = h('input', { type: 'checkbox', id: 'rules-read', checked: !!store.get('rulesRead') });
    var next = h('button', { type: 'button', id: 'rules-next', text: '开始拍摄', disabled: !read.checked });
    read.addEventListener('change', function () { next.disabled = !read.checked; });
    next.addEventListener('click', function () { store.set('rulesRead', true); S.stage = stepIndex(S.stage) < stepIndex('shoot') ? 'shoot' : S.stage; go('shoot'); });
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: '拍照须知' }),
      h('p', { text: '照片将用于学位证书，按国家标准审核。请按下面的要求准备，能一次通过。' }),
      R.ruleList(T),
      h('h2', { text: '示例' }), R.exampleGrid(T),
      h('label', { class: 'check-line', for: 'rules-read' }, read, '我已阅读拍照要求'),
      h('div', { class: 'actions' }, next)));
  };

  // ---- 6. shoot or pick ----------------------------------------------------------------------

  views.shoot = function () {
    var box = msgBox();
    var area = h('div');
    var bar = h('span');
    var progress = h('div', { class: 'progress upload-progress', role: 'progressbar', 'aria-label': '上传进度', 'aria-valuemin': 0, 'aria-valuemax': 100, hidden: true }, bar);
    var album = h('input', { id: 'photo-file', type: 'file', accept: 'image/jpeg,image/png,image/heic,image/heif,image/webp', class: 'visually-hidden' });
    var shutter = h('button', { type: 'button', id: 'shutter', text: '拍摄', hidden: true });
    var cam = null, stopped = false;
    var rejected = S.status && S.status.state === 'rejected';
    if (S.status && S.status.can_upload === false && ['shooting', 'ready', 'rejected'].indexOf(S.status.state) >= 0) {
      var b = S.status.batch || {};
      main.appendChild(h('div', { class: 'card' }, h('h1', { text: '现在不能上传照片' }),
        h('p', { class: 'msg error', role: 'alert', text: b.open === false ? '本批次采集时间为 ' + T.date(b.window_start) + ' 至 ' + T.date(b.window_end - 1) + '，现在不在采集时间内。' : '当前状态不能上传照片。' }),
        h('p', null, '如有疑问，请', h('a', { href: '#/support', text: '联系客服' }), '或学校研究生培养科。')));
      return;
    }
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: rejected ? '重新拍摄（免费）' : '拍摄照片' }),
      h('p', { class: 'hint', text: '请他人用后置摄像头拍摄，让头和肩膀对准轮廓。提示变绿后按“拍摄”。' }),
      area, progress, box,
      h('div', { class: 'actions' }, shutter,
        h('label', { for: 'photo-file', class: 'button secondary', role: 'button', tabindex: 0, id: 'pick-photo', text: '从相册选择照片' }), album),
      h('p', { class: 'hint' }, h('a', { href: '#/rules', text: '再看一遍拍照须知' }))));
    main.querySelector('#pick-photo').addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); album.click(); } });

    function send(blob, name) {
      pendingPhoto.save(blob, name);
      shutter.disabled = true;
      progress.hidden = false;
      bar.style.width = '0';
      say(box, '正在上传…', 'info');
      Flow.upload(blob, name, function (f) {
        bar.style.width = Math.round(f * 100) + '%';
        progress.setAttribute('aria-valuenow', Math.round(f * 100));
        if (f >= 1) say(box, '上传完成，正在生成标准照…', 'info');
      }).then(function (r) {
        var a = r.attempt || r;
        pendingPhoto.clear();
        store.set('attempt', a.id);
        store.del('retake');
        if (cam) cam.stop();
        T.announce('上传完成');
        S.stage = 'preview';
        go('preview');
      }, function (e) {
        shutter.disabled = false;
        progress.hidden = true;
        say(box, e.message + (e.code === 'network' ? '（网络恢复后再试一次即可）' : ''));
      });
    }
    // A photo that did not finish uploading before a reload or a dropped connection.
    pendingPhoto.load().then(function (p) {
      if (!p || !p.blob || stopped) return;
      var resume = h('button', { type: 'button', id: 'resume-upload', text: '继续上传上次的照片' });
      var drop = h('button', { type: 'button', class: 'secondary', text: '不用了' });
      var note = h('div', { class: 'msg info', id: 'pending-photo' }, h('p', { text: '上次拍的照片（' + T.dateTime(p.at) + '）还没有上传完成。' }), h('div', { class: 'actions' }, resume, drop));
      resume.addEventListener('click', function () { note.remove(); send(p.blob, p.name); });
      drop.addEventListener('click', function () { note.remove(); pendingPhoto.clear(); });
      area.parentNode.insertBefore(note, area);
    });
    album.addEventListener('change', function () {
      var f = album.files[0];
      if (f) send(f, f.name);
      album.value = '';
    });
    shutter.addEventListener('click', function () {
      if (!cam) return;
      cam.capture().then(function (b) { send(b, 'camera.jpg'); }, function (e) { say(box, e.message); });
    });
    if (window.Camera.supported()) {
      window.Camera.open(area, {}).then(function (c) {
        if (stopped) { c.stop(); return; }
        cam = c;
        shutter.hidden = false;
      }, function (e) { say(box, e.message, 'info'); });
    } else {
      say(box, '此浏览器不能直接打开摄像头，请点“从相册选择照片”（手机上可选择“拍照”）。', 'info');
    }
    return function () { stopped = true; if (cam) cam.stop(); };
  };

  // ---- 7. preview and submit -----------------------------------------------------------------

  function checkName(c) { return R.checkName(c); }
  function checkAdvice(c) { return R.checkAdvice(c); }

  views.preview = function () {
    var box = msgBox();
    var card = h('div', { class: 'card' }, h('h1', { text: '预览标准照' }), h('p', { class: 'hint', id: 'preview-wait', role: 'status', text: '正在生成标准照，通常只需几秒…' }), box);
    main.appendChild(card);
    // The newest of what the server last said and what this browser just uploaded.
    var id = Math.max((S.status && S.status.attempt && S.status.attempt.id) || 0, store.get('attempt') || 0);
    var timer = null, alive = true;
    if (!id) { go('shoot'); return; }
    function poll(delay) {
      timer = setTimeout(function () {
        Flow.attempt(id).then(function (r) {
          var a = r.attempt || r;
          if (!alive) return;
          if (a.state === 'processing') return poll(Math.min(delay * 1.5, 2000));
          render(a);
        }, function (e) { if (alive) { say(box, e.message + '，正在重试…'); poll(3000); } });
      }, delay);
    }
    function render(a) {
      T.clear(card).appendChild(h('h1', { text: '预览标准照' }));
      if (a.state !== 'ready') {
        card.appendChild(h('p', { class: 'msg error', role: 'alert', text: ((a.refusal && a.refusal.message) || '这张照片无法使用') + '。请按提示重新拍摄。' }));
        card.appendChild(h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/shoot', id: 'retake', text: '重新拍摄' })));
        return;
      }
      var checks = (a.checks || []).slice().sort(function (x, y) { var o = { fail: 0, warn: 1, pass: 2 }; return o[x.status] - o[y.status]; });
      var fails = checks.filter(function (c) { return c.status === 'fail'; });
      var warns = checks.filter(function (c) { return c.status === 'warn'; });
      var photo = window.PhotoFrame.regionFrame(a.images.standardized, '你的标准照预览');
      var orig = window.PhotoFrame.regionFrame(a.images.original, '你上传的原图，问题位置用框标出');
      var showRegion = function (c) { orig.mark(c && orig.valid(c.region) ? [c] : []); };
      var list = h('ul', { class: 'checks', 'aria-label': '需要注意的检查项' });
      var passList = h('ul', { class: 'checks', 'aria-label': '通过的检查项' });
      checks.forEach(function (c) {
        var li = h('li', { class: c.status },
          h('button', { type: 'button', 'aria-label': checkName(c) + '：' + R.statusWords[c.status] + (c.status !== 'pass' ? '。' + checkAdvice(c) : '') },
            h('span', { class: 'badge ' + c.status, text: R.statusWords[c.status] || c.status }),
            h('span', null, h('span', { class: 'name', text: checkName(c) }), c.status !== 'pass' ? h('span', { class: 'what', text: checkAdvice(c) }) : null)));
        li.firstChild.addEventListener('click', function () {
          list.querySelectorAll('li').forEach(function (x) { x.removeAttribute('aria-current'); });
          li.setAttribute('aria-current', 'true');
          showRegion(c);
        });
        (c.status === 'pass' ? passList : list).appendChild(li);
      });
      showRegion(fails[0] || warns[0]);
      var summary = fails.length ? h('p', { class: 'msg error', role: 'alert', text: '有 ' + fails.length + ' 项不合格，需要重新拍摄后才能提交。红框标出了问题所在。' })
        : warns.length ? h('p', { class: 'msg info', text: '有 ' + warns.length + ' 项需要注意。你可以重拍，或确认后提交。' })
          : h('p', { class: 'msg ok', text: '所有检查都通过了，可以提交审核。' });
      var confirmWarn = h('input', { type: 'checkbox', id: 'confirm-warnings' });
      var submit = h('button', { type: 'button', id: 'submit-photo', text: '提交审核', disabled: fails.length > 0 || warns.length > 0 });
      confirmWarn.addEventListener('change', function () { submit.disabled = fails.length > 0 || !confirmWarn.checked; });
      submit.addEventListener('click', function () {
        busy(submit, true, '正在提交…');
        Flow.submit(a.id, confirmWarn.checked).then(function () {
          T.announce('已提交审核');
          store.del('attempt');
          return advance();
        }, function (e) { busy(submit, false, ''); say(box, e.message); });
      });
      card.appendChild(summary);
      card.appendChild(h('div', { class: 'preview-photos' },
        h('figure', null, photo.el, h('figcaption', { text: '标准照（将提交的照片）' })),
        h('figure', null, orig.el, h('figcaption', { text: '原图：框出的是所选检查项的位置' }))));
      card.appendChild(h('h2', { text: '逐项检查' }));
      card.appendChild(h('p', { class: 'hint', text: '点一项，原图上会框出它检查的位置。' }));
      if (list.childNodes.length) card.appendChild(list);
      var passed = checks.length - fails.length - warns.length;
      card.appendChild(h('details', { class: 'passed', open: !fails.length && !warns.length ? true : null },
        h('summary', { text: '通过的 ' + passed + ' 项' }), passList));
      if (warns.length && !fails.length) card.appendChild(h('label', { class: 'check-line', for: 'confirm-warnings' }, confirmWarn, '我已查看需要注意的项目，确认用这张照片提交'));
      card.appendChild(box);
      card.appendChild(h('div', { class: 'actions' }, submit, h('a', { class: 'button secondary', href: '#/shoot', id: 'retake', text: '重新拍摄' })));
      card.appendChild(h('p', { class: 'hint', text: '提交前可以不限次数重拍。审核通过后不能再修改。' }));
      T.announce(fails.length ? '标准照已生成，有不合格项' : '标准照已生成');
    }
    poll(50);
    return function () { alive = false; clearTimeout(timer); };
  };

  // ---- 8. status -----------------------------------------------------------------------------

  var ORDER = ['unlinked', 'unpaid', 'shooting', 'ready', 'in_review', 'approved', 'exported', 'shipped'];
  views.status = function () {
    var st = S.status || {};
    var card = h('div', { class: 'card' }, h('h1', { text: '审核进度' }));
    card.appendChild(h('p', { class: 'status-big', id: 'status-label', text: st.label || '—' }));
    if (st.state === 'in_review') card.appendChild(h('p', { text: '预计 ' + T.date(st.expected_decision_at) + ' 前完成审核（约两个工作日）。结果会发到“消息”。' }));
    if (st.state === 'approved' || st.state === 'exported' || st.state === 'shipped') card.appendChild(h('p', { class: 'msg ok', text: '照片已审核通过，无需任何操作。通过后照片不能再修改。' }));
    if (st.tracking) card.appendChild(h('p', { text: '快递：' + (st.tracking.courier || '') + ' ' + (st.tracking.number || '') }));
    if (st.state === 'rejected') {
      var rej = st.rejection || {};
      var reasons = rej.reasons || [];
      card.appendChild(h('div', { class: 'msg error', role: 'alert' },
        h('p', { text: '照片未通过审核，原因：' }),
        h('ul', null, reasons.map(function (r) { return h('li', { text: typeof r === 'string' ? r : (r.label || r.text || r.code) }); })),
        rej.note ? h('p', { text: '审核员留言：' + rej.note }) : null));
      var retake = h('button', { type: 'button', id: 'free-retake', text: '免费重拍' });
      retake.addEventListener('click', function () { store.set('retake', true); S.stage = 'shoot'; go('shoot'); });
      card.appendChild(h('div', { class: 'actions' }, retake));
    }
    var at = ORDER.indexOf(st.state === 'rejected' ? 'in_review' : st.state);
    var names = { unpaid: '已缴费', shooting: '已拍摄', ready: '已提交', in_review: '审核', approved: '审核通过', exported: '已报送学信网', shipped: '纸质照片已寄出' };
    card.appendChild(h('h2', { text: '进度' }));
    card.appendChild(h('ol', { class: 'timeline' }, ORDER.slice(1).map(function (k, i) {
      return h('li', { class: i + 1 <= at ? 'on' : '' }, (i + 1 <= at ? '✓ ' : '') + names[k]);
    })));
    main.appendChild(card);
    main.appendChild(h('div', { class: 'card' }, h('h2', { text: '需要帮助？' }),
      h('p', null, h('a', { href: '#/support', text: '给客服留言' }), ' · ', h('a', { href: '#/inbox', text: '查看消息' }))));
    // Server-sent events bring the decision at once; where a proxy or a flaky network drops the
    // stream, a slow poll still does.
    if (st.state !== 'in_review') return;
    var timer = setInterval(function () {
      Flow.status().then(function (now) {
        if (now.state !== st.state) { clearInterval(timer); refresh().then(function () { if (currentView === 'status') route(); }); }
      }, function () { /* next tick retries */ });
    }, 5000);
    return function () { clearInterval(timer); };
  };

  // ---- help, inbox, support ------------------------------------------------------------------

  views.help = function (topic) {
    var back = h('p', null, h('a', { href: S.me ? '#/' + S.stage : '#/login', text: '← 返回' }));
    var tabs = h('nav', { class: 'tabs', 'aria-label': '帮助主题' },
      [['code', '获取采集码'], ['rules', '照片要求'], ['contact', '截止时间与联系']].map(function (t) {
        return h('a', { href: '#/help/' + t[0], 'aria-current': (topic || 'code') === t[0] ? 'page' : null, text: t[1] });
      }));
    var card = h('div', { class: 'card' });
    topic = topic || 'code';
    if (topic === 'code') {
      card.appendChild(h('h1', { text: '如何获取采集码' }));
      card.appendChild(h('p', { text: '采集码是学信网（中国高等教育学生信息网）为每位学生生成的个人加密二维码。以下任一方式都能获取：' }));
      card.appendChild(h('ol', null,
        h('li', null, h('b', { text: '学信网手机客户端：' }), '登录后进入“学籍学历信息”→“图像采集码”。'),
        h('li', null, h('b', { text: '学信网微信公众号：' }), '关注“学信网”，在菜单中进入“学信档案”，登录后选择“图像采集码”。'),
        h('li', null, h('b', { text: '学信网网站：' }), '在电脑或手机浏览器登录学信档案（my.chsi.com.cn），进入“图像采集码”页面。')));
      card.appendChild(h('h2', { text: '保存方法' }));
      card.appendChild(h('p', { text: '在二维码上长按，选择“保存图片”。请不要截屏：截图会压缩和裁切二维码，可能无法识别。' }));
      card.appendChild(h('img', { class: 'code-sample', src: '/student/img/code-sample.svg', alt: '采集码页面示意：长按二维码选择保存图片', width: 200, height: 260 }));
      card.appendChild(h('p', { class: 'hint', text: '一个学籍对应一个采集码。采集码有有效期，过期后请重新获取。' }));
    } else if (topic === 'rules') {
      card.appendChild(h('h1', { text: '照片要求' }));
      card.appendChild(R.ruleList(T));
      card.appendChild(h('h2', { text: '合格与不合格示例' }));
      card.appendChild(R.exampleGrid(T));
      // The standard of the student's own batch (its profile), so the page never promises one background
      // and the engine makes another.
      var ph = S.me && S.me.batch && S.me.batch.photo;
      card.appendChild(h('p', { class: 'hint', text: ph
        ? '标准：' + ph.title + '，' + ph.width + '×' + ph.height + ' 像素，背景颜色 RGB ' + ph.background.join(', ') + '，JPEG。系统会自动裁切、换背景，你只需要按要求拍好。'
        : '标准：按学校规定的规格（学位照为 480×640 像素），JPEG。系统会自动裁切、换成规定的背景颜色，你只需要按要求拍好。' }));
    } else {
      card.appendChild(h('h1', { text: '截止时间与联系方式' }));
      var b = S.me && S.me.batch;
      if (b) card.appendChild(h('dl', { class: 'kv' },
        h('dt', { text: '采集批次' }), h('dd', { text: b.name }),
        h('dt', { text: '开始' }), h('dd', { text: T.date(b.window_start) }),
        h('dt', { text: '截止' }), h('dd', { id: 'deadline', text: T.date(b.window_end - 1) + ' 24:00（北京时间）' }),
        h('dt', { text: '学校' }), h('dd', { text: S.me.record.school_name })));
      else card.appendChild(h('p', { text: '登录并上传采集码后，这里会显示你所在批次的截止时间。' }));
      card.appendChild(h('p', { text: '学籍信息有误、是否需要采集等问题，请联系所在学校的研究生培养科。拍照、缴费和审核的问题，请给客服留言，工作日 24 小时内回复。' }));
      if (S.me) card.appendChild(h('p', null, h('a', { class: 'button', href: '#/support', text: '给客服留言' })));
      if (S.me && S.me.status === 'linked') card.appendChild(deletionCard());
    }
    main.appendChild(back);
    main.appendChild(tabs);
    main.appendChild(card);
  };

  // An unfinished collection's photos can be deleted on request (the operator carries it out).
  function deletionCard() {
    var box = h('div', { class: 'card', id: 'deletion' }, h('h2', { text: '删除我上传的照片' }));
    var msg = h('p', { class: 'msg', role: 'status' });
    function show(req) {
      T.clear(box).appendChild(h('h2', { text: '删除我上传的照片' }));
      if (req) {
        box.appendChild(h('p', { class: 'msg info', text: req.state === 'done' ? '你的照片已于 ' + T.dateTime(req.done_at) + ' 删除。' : '已收到你 ' + T.dateTime(req.requested_at) + ' 的删除申请，运营方会尽快处理。' }));
        return;
      }
      box.appendChild(h('p', { class: 'hint', text: '如果你不再需要采集，可以申请删除已上传的照片（审核通过后不能删除）。' }));
      var ask = h('button', { type: 'button', class: 'secondary', id: 'deletion-ask', text: '申请删除' });
      ask.addEventListener('click', function () {
        var sure = h('button', { type: 'button', class: 'danger', id: 'deletion-confirm', text: '确认删除申请' });
        sure.addEventListener('click', function () {
          sure.disabled = true;
          T.api('POST', '/api/student/deletion-request').then(function (r) { show(r.request); T.announce(r.message || '已提交删除申请'); },
            function (e) { sure.disabled = false; msg.className = 'msg error'; msg.textContent = e.message; });
        });
        ask.replaceWith(h('div', { class: 'actions' }, sure));
      });
      box.appendChild(h('div', { class: 'actions' }, ask));
      box.appendChild(msg);
    }
    T.api('GET', '/api/student/deletion-request').then(function (r) { show(r.request); }, function () { box.remove(); });
    return box;
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
  var events = null, currentView = '';
  function listen() {
    if (events || !window.EventSource || !S.me || S.me.status === 'unlinked') return;
    events = new EventSource('/api/student/events');
    events.addEventListener('status', function (ev) {
      var st;
      try { st = JSON.parse(ev.data); } catch (e) { return; }
      var before = S.status && S.status.state;
      if (before === st.state) return;
      refresh().then(function () { if (currentView === 'status') { route(); T.announce('状态更新：' + (S.status && S.status.label)); } });
    });
    events.addEventListener('inbox', loadUnread);
  }

  views.inbox = function () {
    var card = h('div', { class: 'card' }, h('h1', { text: '消息' }));
    var list = h('ul', { class: 'messages', id: 'inbox-list' });
    card.appendChild(list);
    main.appendChild(card);
    Flow.inbox().then(function (r) {
      var msgs = (r.items || []).slice().reverse();
      if (!msgs.length) list.appendChild(h('li', { text: '暂无消息' }));
      msgs.forEach(function (m) {
        list.appendChild(h('li', { class: m.read ? '' : 'unread' },
          h('div', { class: 'meta', text: T.dateTime(m.created_at) + (m.read ? '' : ' · 未读') }),
          h('b', { text: m.title || '' }), h('div', { text: m.body || '' })));
      });
      var last = msgs.reduce(function (mx, m) { return Math.max(mx, m.id); }, 0);
      if (r.unread && last) Flow.markRead(last).then(loadUnread, function () { /* stays unread */ });
    }, function (e) { list.appendChild(h('li', { class: 'msg error', text: e.message })); });
  };

  views.support = function () {
    var list = h('ul', { class: 'messages', id: 'support-list', 'aria-live': 'polite' });
    var text = h('textarea', { id: 'support-text', maxlength: 1000, required: true });
    var send = h('button', { type: 'submit', id: 'support-send', text: '发送' });
    var box = msgBox();
    function load() {
      return Flow.thread().then(function (r) {
        T.clear(list);
        var msgs = r.messages || [];
        if (!msgs.length) list.appendChild(h('li', { text: '还没有留言。遇到问题可以在下面写给客服。' }));
        msgs.forEach(function (m) {
          var mine = m.from === 'student';
          list.appendChild(h('li', { class: mine ? 'mine' : 'theirs' },
            h('div', { class: 'meta', text: (mine ? '我' : '客服') + ' · ' + T.dateTime(m.created_at) }), h('div', { text: m.body || '' }), m.attachment ? h('img', { src: m.attachment, alt: '附件图片', class: 'attachment' }) : null));
        });
      }, function (e) { say(box, e.message); });
    }
    var form = h('form', { class: 'card' }, h('h1', { text: '联系客服' }), list,
      h('label', { for: 'support-text', text: '留言' }), text, box, h('div', { class: 'actions' }, send));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!text.value.trim()) { say(box, '请写下你的问题'); text.focus(); return; }
      busy(send, true, '正在发送…');
      Flow.send(text.value.trim()).then(function () { text.value = ''; say(box, '已发送，客服会尽快回复', 'ok'); return load(); }, function (e) { say(box, e.message); })
        .then(function () { busy(send, false, ''); });
    });
    main.appendChild(form);
    load();
  };

  document.getElementById('logout').addEventListener('click', function () {
    T.api('POST', '/api/auth/logout').catch(function () { /* session already gone */ }).then(function () {
      ['signedIn', 'claim', 'payDraft', 'attempt', 'retake'].forEach(store.del);
      location.hash = '#/login';
      location.reload();
    });
  });

  window.addEventListener('hashchange', route);
  T.ensureCsrf().then(wechatState).then(refresh).then(route, showFatal);
})();
