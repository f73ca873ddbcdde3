// The demo payer: shows the order named in ?order= and lets the payer approve or decline it.
// Talks only to our own API (/api/pay/mock/...), with the CSRF token from the tucai_csrf cookie.
(function () {
  'use strict';
  var no = new URLSearchParams(location.search).get('order') || '';
  var $ = function (id) { return document.getElementById(id); };
  var stateNames = { created: '待缴费', paid: '已缴费', closed: '已关闭', refund_pending: '退款中', refunded: '已退款' };

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)tucai_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : '';
  }

  function show(order) {
    $('no').textContent = order.out_trade_no;
    $('amount').textContent = '¥' + (order.amount_fen / 100).toFixed(2);
    $('state').textContent = stateNames[order.state] || order.state;
    var open = order.state === 'created';
    $('approve').disabled = !open;
    $('decline').disabled = !open;
  }

  function say(text, ok) {
    $('message').textContent = text;
    $('message').className = ok ? 'ok' : '';
  }

  function call(method, path) {
    var opts = { method: method, credentials: 'same-origin', headers: {} };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf();
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error((body.error && body.error.message) || ('请求失败 ' + r.status));
        return body;
      });
    });
  }

  function load() {
    if (!/^[A-Za-z0-9_-]{6,32}$/.test(no)) { say('订单号无效'); return; }
    var ensureCsrf = csrf() ? Promise.resolve() : fetch('/api/csrf', { credentials: 'same-origin' });
    ensureCsrf.then(function () { return call('GET', '/api/pay/mock/' + encodeURIComponent(no)); })
      .then(show).catch(function (e) { say(e.message); });
  }

  function decide(action) {
    $('approve').disabled = $('decline').disabled = true;
    call('POST', '/api/pay/mock/' + encodeURIComponent(no) + '/' + action)
      .then(function (body) {
        show(body.order);
        say(action === 'approve' ? '支付成功，正在返回…' : '已取消支付，可稍后重新支付', action === 'approve');
        // Back to the student page in the same tab, which finds the order paid and goes on.
        if (action === 'approve') setTimeout(function () { location.href = '/'; }, 800);
      })
      .catch(function (e) { say(e.message); load(); });
  }

  $('approve').addEventListener('click', function () { decide('approve'); });
  $('decline').addEventListener('click', function () { decide('decline'); });
  load();
})();
