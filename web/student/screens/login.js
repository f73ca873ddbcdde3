// Step 1, sign in: by SMS code, or inside WeChat with WeChat's authorisation (a first WeChat sign-in
// still verifies the phone once).
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, store = A.store, main = A.main, msgBox = A.msgBox;
  var say = A.say, busy = A.busy, advance = A.advance;

  // ---- 1. sign in ---------------------------------------------------------------------------

  var WX_ERRORS = {
    wechat_state_invalid: '微信登录已过期，请再点一次“微信登录”。',
    wechat_code_invalid: '微信授权已失效，请再点一次“微信登录”。',
    wechat_user_risky: '微信提示本次登录存在风险，请稍后再试，或用手机号登录。',
    wechat_busy: '微信登录过于频繁，请稍后再试。',
    wechat_bound_elsewhere: '这个微信已绑定其他手机号，请用那个手机号登录。'
  };

  A.views.login = function () {
    var phone = h('input', { id: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', maxlength: 11, required: true, 'aria-describedby': 'phone-hint' });
    var code = h('input', { id: 'otp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true });
    var send = h('button', { type: 'button', class: 'secondary', id: 'send-otp', text: '获取验证码' });
    var submit = h('button', { type: 'submit', id: 'login-btn', text: '登录' });
    var box = msgBox();
    var timer = null;
    send.addEventListener('click', function () {
      if (!/^1\d{10}$/.test(phone.value.trim())) { say(box, '请输入 11 位手机号码'); phone.focus(); return; }
      busy(send, true);
      Flow.sendOtp(phone.value.trim()).then(function (r) {
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
    var wx = A.IN_WECHAT && S.wx && S.wx.mp;
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
      Flow.login(phone.value.trim(), code.value.trim()).then(function () {
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
  A.helpCard = helpCard;
})(window.Student);
