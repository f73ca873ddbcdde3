// 我的: the student's own account in one place — the linked record, the privacy notice accepted (and
// when), the payment receipt, the deletion request (also under help) and signing out.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, main = A.main;

  A.views.me = function () {
    var card = h('div', { class: 'card' }, h('h1', { text: '我的' }));
    var rec = S.me && S.me.record;
    if (rec) card.appendChild(h('dl', { class: 'kv' },
      h('dt', { text: '姓名' }), h('dd', { text: rec.name }),
      h('dt', { text: '学校' }), h('dd', { text: rec.school_name }),
      h('dt', { text: '学号' }), h('dd', { text: rec.student_no }),
      h('dt', { text: '当前状态' }), h('dd', { text: (S.status && S.status.label) || '待认证' })));
    else card.appendChild(h('p', { text: '还没有绑定学籍信息。上传采集码并确认后，这里会显示你的信息。' }));
    var p = S.privacy;
    card.appendChild(h('h2', { text: '隐私说明' }));
    card.appendChild(h('p', { id: 'me-privacy', text: p && p.accepted_at ? '你已于 ' + T.dateTime(p.accepted_at) + ' 同意隐私说明。' : '你还没有同意隐私说明。' }));
    card.appendChild(h('p', null, h('a', { href: '#/privacy', text: '查看隐私说明' })));
    if (S.order && S.order.state === 'paid') {
      card.appendChild(h('h2', { text: '缴费' }));
      card.appendChild(h('p', null, '已缴费 ' + T.money(S.order.amount_fen) + '。', h('a', { href: '#/receipt', id: 'receipt-link', text: '查看收据' })));
    }
    main.appendChild(card);
    if (S.me && S.me.status === 'linked') main.appendChild(A.deletionCard());
    var out = h('button', { type: 'button', class: 'secondary', id: 'me-logout', text: '退出登录' });
    out.addEventListener('click', function () { document.getElementById('logout').click(); });
    main.appendChild(h('div', { class: 'card' }, h('div', { class: 'actions' }, out)));
  };
})(window.Student);
