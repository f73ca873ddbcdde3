// Step 8, where the review stands; a decision arrives by server-sent events or a slow poll.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, store = A.store, main = A.main, go = A.go;

  // ---- 8. status -----------------------------------------------------------------------------

  var ORDER = ['unlinked', 'unpaid', 'shooting', 'ready', 'in_review', 'approved', 'exported', 'shipped'];
  A.views.status = function () {
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
        if (now.state !== st.state) { clearInterval(timer); A.refresh().then(function () { if (A.currentView === 'status') A.route(); }); }
      }, function () { /* next tick retries */ });
    }, 5000);
    return function () { clearInterval(timer); };
  };
})(window.Student);
