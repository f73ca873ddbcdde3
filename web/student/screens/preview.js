// Step 7, the standardised photo and each automatic check, then submit for review.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, R = window.PhotoRules, S = A.S, Flow = A.Flow, store = A.store, main = A.main;
  var msgBox = A.msgBox, say = A.say, busy = A.busy, go = A.go, advance = A.advance;

  // ---- 7. preview and submit -----------------------------------------------------------------

  function checkName(c) { return R.checkName(c); }
  function checkAdvice(c) { return R.checkAdvice(c); }

  A.views.preview = function () {
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
        }, function (e) { if (alive) { say(box, String(e.message).replace(/[。.]+$/, '') + '，正在重试…'); poll(3000); } });
      }, delay);
    }
    function render(a) {
      T.clear(card).appendChild(h('h1', { text: '预览标准照' }));
      if (a.state !== 'ready') {
        card.appendChild(h('p', { class: 'msg error', role: 'alert', text: A.sentence((a.refusal && a.refusal.message) || '这张照片无法使用', '请按提示重新拍摄。') }));
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
      var left = S.status && S.status.submissions_left;
      if (typeof left === 'number') card.appendChild(h('p', { class: left > 0 ? 'hint' : 'msg error', id: 'submissions-left',
        text: left > 0 ? '本批次还可提交 ' + left + ' 次审核。' : '本批次的提交次数已用完，请联系客服或学校研究生培养科。' }));
      T.announce(fails.length ? '标准照已生成，有不合格项' : '标准照已生成');
    }
    poll(50);
    return function () { alive = false; clearTimeout(timer); };
  };
})(window.Student);
