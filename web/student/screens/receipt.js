// The payment receipt: a page to keep or print (amount, items, order number, time paid, school).
// The order number is shown here on purpose: it is what the student quotes to the school or to
// support about a payment. The print stylesheet leaves out the header, stepper and buttons.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, main = A.main;

  A.views.receipt = function () {
    var o = S.order;
    var card = h('div', { class: 'card receipt', id: 'receipt' }, h('h1', { text: '缴费收据' }));
    main.appendChild(card);
    if (!o || o.state !== 'paid') {
      card.appendChild(h('p', { text: '还没有已完成的缴费，缴费后这里会显示收据。' }));
      return;
    }
    var rec = (S.me && S.me.record) || {};
    var b = (S.me && S.me.batch) || {};
    card.appendChild(h('dl', { class: 'kv' },
      h('dt', { text: '学校' }), h('dd', { id: 'receipt-school', text: rec.school_name || '' }),
      h('dt', { text: '采集批次' }), h('dd', { text: b.name || '' }),
      h('dt', { text: '姓名' }), h('dd', { text: rec.name || '' }),
      h('dt', { text: '订单号' }), h('dd', { id: 'receipt-no', class: 'nowrap-id', text: o.out_trade_no }),
      h('dt', { text: '支付时间' }), h('dd', { id: 'receipt-time', text: T.dateTime(o.paid_at) + '（北京时间）' })));
    var rows = (o.items || []).map(function (it) {
      return h('tr', null, h('td', { text: it.name }), h('td', { class: 'num', text: T.money(it.amount_fen) }));
    });
    card.appendChild(h('table', { class: 'receipt-items' },
      h('thead', null, h('tr', null, h('th', { scope: 'col', text: '项目' }), h('th', { scope: 'col', class: 'num', text: '金额' }))),
      h('tbody', null, rows),
      h('tfoot', null, h('tr', null, h('th', { scope: 'row', text: '合计' }), h('td', { class: 'num', id: 'receipt-total', text: T.money(o.amount_fen) })))));
    card.appendChild(h('p', { class: 'hint', text: '本收据为缴费凭证。需要发票请联系学校财务部门。' }));
    var print = h('button', { type: 'button', id: 'receipt-print', class: 'no-print', text: '打印收据' });
    print.addEventListener('click', function () { window.print(); });
    card.appendChild(h('div', { class: 'actions no-print' }, print, h('a', { class: 'button secondary', href: '#/me', text: '返回我的' })));
  };
})(window.Student);
