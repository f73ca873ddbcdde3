// Step 8, where the review stands; a decision arrives by server-sent events or a slow poll. While no
// reviewer has decided, the student may withdraw the submission (撤回审核: back to preview with the
// same photo, to resubmit or retake). Once approved, the approved photo is shown and can be saved.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, store = A.store, main = A.main, go = A.go;
  var msgBox = A.msgBox, say = A.say, busy = A.busy, advance = A.advance;

  var ORDER = ['unlinked', 'unpaid', 'shooting', 'ready', 'in_review', 'approved', 'exported', 'shipped'];
  var NAMES = { unpaid: '缴费', shooting: '拍摄', ready: '提交', in_review: '审核', approved: '审核通过', exported: '报送学信网', shipped: '寄出纸质照片' };

  function withdrawCard(st) {
    var box = msgBox();
    var ask = h('button', { type: 'button', class: 'secondary', id: 'withdraw', text: '撤回审核' });
    var area = h('div', null, h('div', { class: 'actions' }, ask));
    ask.addEventListener('click', function () {
      // Asked once more: a withdrawn photo waits for the student again, and loses its place in the queue.
      var sure = h('button', { type: 'button', id: 'withdraw-confirm', text: '确认撤回' });
      var keep = h('button', { type: 'button', class: 'secondary', text: '不撤回' });
      keep.addEventListener('click', function () { T.clear(area).appendChild(h('div', { class: 'actions' }, ask)); });
      sure.addEventListener('click', function () {
        busy(sure, true, '正在撤回…');
        Flow.withdraw().then(function () {
          T.announce('已撤回，可以重新提交或重拍');
          return advance();
        }, function (e) { busy(sure, false, ''); say(box, e.message); });
      });
      // The question above, the two answers below it: in the buttons' row it squeezed the text
      // into a narrow column beside a button stretched to its height.
      T.clear(area).appendChild(h('p', { id: 'withdraw-question', text: '撤回后照片回到预览，你可以重新提交或重拍，需要重新排队审核。确定撤回吗？' }));
      area.appendChild(h('div', { class: 'actions' }, sure, keep));
    });
    var left = st.submissions_left;
    return h('div', { class: 'card', id: 'withdraw-card' }, h('h2', { text: '想换一张照片？' }),
      h('p', { class: 'hint', text: '审核老师还没有处理你的照片，现在可以撤回。' + (left === null || left === undefined ? '' : '撤回的这次不计入提交次数。') }),
      area, box);
  }

  function approvedCard(attemptId) {
    var url = '/api/photos/attempts/' + encodeURIComponent(attemptId) + '/standardized';
    return h('div', { class: 'card', id: 'approved-photo' }, h('h2', { text: '审核通过的照片' }),
      h('img', { class: 'approved', src: url, alt: '你审核通过的标准照', width: 240, height: 320 }),
      h('div', { class: 'actions' }, h('a', { class: 'button secondary', id: 'approved-download', href: url, download: '毕业照片.jpg', text: '保存照片' })),
      h('p', { class: 'hint', text: '这是将报送学信网的照片，可以保存留作备份。' }));
  }

  A.views.status = function () {
    var st = S.status || {};
    var card = h('div', { class: 'card' }, h('h1', { text: '审核进度' }));
    card.appendChild(h('p', { class: 'status-big', id: 'status-label', text: st.label || '—' }));
    if (st.state === 'in_review') card.appendChild(h('p', { text: '预计 ' + T.date(st.expected_decision_at) + ' 前完成审核（约两个工作日），结果会发到“消息”。' }));
    if (st.state === 'approved' || st.state === 'exported' || st.state === 'shipped') card.appendChild(h('p', { class: 'msg ok', text: '照片已审核通过，无需任何操作。通过后照片不能再修改。' }));
    if (st.tracking) card.appendChild(h('p', { text: '快递：' + (st.tracking.courier || '') + ' ' + (st.tracking.number || '') }));
    if (st.state === 'rejected') {
      var rej = st.rejection || {};
      var reasons = rej.reasons || [];
      card.appendChild(h('div', { class: 'msg error', role: 'alert' },
        h('p', { text: '照片未通过审核，原因：' }),
        h('ul', null, reasons.map(function (r) { return h('li', { text: typeof r === 'string' ? r : (r.label || r.text || '') }); })),
        rej.note ? h('p', { text: '审核老师留言：' + rej.note }) : null));
      if (st.submissions_left === 0) {
        card.appendChild(h('p', { class: 'msg info', id: 'no-submissions-left', text: '本批次的提交次数已用完，请联系客服或学校研究生培养科。' }));
      } else {
        var retake = h('button', { type: 'button', id: 'free-retake', text: '免费重拍' });
        retake.addEventListener('click', function () { store.set('retake', true); S.stage = 'shoot'; go('shoot'); });
        card.appendChild(h('div', { class: 'actions' }, retake));
      }
    }
    if (typeof st.submissions_left === 'number' && st.state !== 'approved' && st.state !== 'exported' && st.state !== 'shipped')
      card.appendChild(h('p', { class: 'hint', id: 'submissions-left', text: '本批次还可提交 ' + st.submissions_left + ' 次。' }));
    // The timeline: steps done are ticked; the one under way says so and is not ticked.
    var at = ORDER.indexOf(st.state === 'rejected' ? 'in_review' : st.state);
    var finished = st.state === 'approved' || st.state === 'exported' || st.state === 'shipped';
    card.appendChild(h('h2', { text: '进度' }));
    card.appendChild(h('ol', { class: 'timeline' }, ORDER.slice(1).map(function (k, i) {
      var n = i + 1;
      var done = n < at || (n === at && finished);
      var now = n === at && !finished;
      return h('li', { class: done ? 'on' : now ? 'now' : '', 'aria-current': now ? 'step' : null },
        (done ? '✓ ' : '') + NAMES[k] + (now ? (st.state === 'rejected' ? '（未通过）' : '（进行中）') : ''));
    })));
    main.appendChild(card);
    if (st.can_withdraw) main.appendChild(withdrawCard(st));
    if (st.approved_attempt_id) main.appendChild(approvedCard(st.approved_attempt_id));
    main.appendChild(h('div', { class: 'card' }, h('h2', { text: '需要帮助？' }),
      h('p', null, h('a', { href: '#/support', text: '给客服留言' }), ' · ', h('a', { href: '#/inbox', text: '查看消息' }), ' · ', h('a', { href: '#/me', text: '我的' }))));
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
