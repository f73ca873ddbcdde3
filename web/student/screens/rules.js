// Step 5, the photo rules the student reads once before shooting.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, R = window.PhotoRules, S = A.S, store = A.store, main = A.main, go = A.go;

  // ---- 5. rules ------------------------------------------------------------------------------

  A.views.rules = function () {
    var read = h('input', { type: 'checkbox', id: 'rules-read', checked: !!store.get('rulesRead') });
    var next = h('button', { type: 'button', id: 'rules-next', text: '开始拍摄', disabled: !read.checked });
    read.addEventListener('change', function () { next.disabled = !read.checked; });
    next.addEventListener('click', function () { store.set('rulesRead', true); S.stage = A.stepIndex(S.stage) < A.stepIndex('shoot') ? 'shoot' : S.stage; go('shoot'); });
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: '拍照须知' }),
      h('p', { text: '照片将用于学位证书，按国家标准审核。请按下面的要求准备，能一次通过。' }),
      R.ruleList(T),
      h('h2', { text: '示例' }), R.exampleGrid(T),
      h('label', { class: 'check-line', for: 'rules-read' }, read, '我已阅读拍照要求'),
      h('div', { class: 'actions' }, next)));
  };
})(window.Student);
