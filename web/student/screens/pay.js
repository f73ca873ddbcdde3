// Step 4, services, address and payment: the mock or H5 pay page, or WeChat Pay's JSAPI inside WeChat.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, store = A.store, main = A.main, msgBox = A.msgBox;
  var say = A.say, busy = A.busy, advance = A.advance;

  // ---- 4. services, address, pay -------------------------------------------------------------

  function regionPicker(initial) {
    var levels = ['省份', '城市', '区县'];
    var selects = levels.map(function (l, i) {
      return h('select', { id: 'region-' + i, 'aria-label': l, disabled: i > 0 }, h('option', { value: '', text: '请选择' + l }));
    });
    var wrap = h('div', { class: 'row region' }, selects);
    function fill(i, parent, want) {
      for (var k = i; k < 3; k++) { T.clear(selects[k]).appendChild(h('option', { value: '', text: '请选择' + levels[k] })); selects[k].disabled = true; }
      return Flow.regions(parent).then(function (r) {
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

  A.views.pay = function () {
    var box = msgBox();
    var card = h('div', { class: 'card' }, h('h1', { text: '选择服务并缴费' }), h('p', { class: 'hint', text: '正在加载收费项目…' }));
    main.appendChild(card);
    var poll = null;
    Flow.fees().then(function (r) {
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
      // Postage is for posting prints: it can be chosen only with the prints (the server refuses it too).
      function postageFollowsPrints() {
        if (!checks.post || !checks.print) return;
        var prints = checks.print.input.checked;
        if (!prints) checks.post.input.checked = false;
        checks.post.input.disabled = !prints;
        postNote.hidden = prints;
      }
      var postNote = h('p', { class: 'hint', id: 'post-note', text: '选择纸质照片后才能选择邮寄。', hidden: true });
      function update() {
        postageFollowsPrints();
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
      card.appendChild(postNote);
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
        return Flow.pay(order.id, 'jsapi').then(function (p) {
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
        if (r.provider !== 'mock' && A.IN_WECHAT && S.wx && S.wx.mp) return startJsapi(order);
        var channel = r.provider === 'mock' ? 'mock' : 'h5';
        return Flow.pay(order.id, channel).then(function (p) {
          var url = p.pay && (p.pay.url || p.pay.h5_url);
          if (!url) throw new Error('支付渠道暂不可用，请稍后再试');
          // The payment page opens in this tab (a second tab confuses phones and in-app browsers);
          // it comes back here when the payment is done.
          T.clear(payArea).appendChild(h('div', { class: 'msg info' },
            h('p', { text: '金额 ' + T.money(p.amount_fen) + '。请在支付页面完成付款，完成后会回到本页继续。' }),
            h('div', { class: 'actions' },
              h('a', { class: 'button', id: 'pay-link', href: url, text: '去支付页面' }),
              h('button', { type: 'button', class: 'secondary', id: 'pay-done', text: '我已完成支付', onclick: check }))));
          watch(order.id);
        });
      }
      function check() {
        return Flow.currentOrder().then(function (c) {
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
          : (existing ? Flow.cancelOrder(existing.id) : Promise.resolve()).then(function () { return Flow.placeOrder(body); });
        ready.then(function (o) { S.order = o.order; return startPay(o.order); })
          .catch(function (e) { say(box, e.message); })
          .then(function () { busy(payBtn, false, ''); });
      });
      if (S.order && S.order.state === 'created') {
        payArea.appendChild(h('p', { class: 'msg info', text: '你有一笔待缴费的订单（' + T.money(S.order.amount_fen) + '），点“去支付”继续。' }));
      }
    }).catch(function (e) { say(box, e.message); card.appendChild(box); });
    return function () { if (poll) clearInterval(poll); };
  };
})(window.Student);
