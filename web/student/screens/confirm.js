// Step 3, confirm the record the code stands for (the claim the server holds for a while).
(function (A) {
  'use strict';
  var T = window.T, h = T.h, Flow = A.Flow, store = A.store, main = A.main, msgBox = A.msgBox, say = A.say;
  var busy = A.busy, go = A.go, advance = A.advance;

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

  A.views.confirm = function () {
    var claim = store.get('claim');
    if (!claim) { go('code'); return; }
    var box = msgBox();
    var ok = h('button', { type: 'button', id: 'confirm-record', text: '信息无误，确认' });
    var no = h('button', { type: 'button', class: 'secondary', text: '不是我的信息' });
    ok.addEventListener('click', function () {
      busy(ok, true, '正在确认…');
      Flow.confirmClaim(claim.claim_id).then(function () {
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
})(window.Student);
