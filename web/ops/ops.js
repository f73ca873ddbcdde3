// The operator console: everything the school office sees, plus schools, shipping, payments and
// reconciliation, and the support inbox.
(function () {
  'use strict';
  var O = window.Office, T = window.T, h = T.h;

  function schools(main) {
    var code = h('input', { id: 'school-code', type: 'text', maxlength: 10, inputmode: 'numeric' });
    var name = h('input', { id: 'school-name', type: 'text', maxlength: 60 });
    var box = h('p', { class: 'msg', role: 'status' });
    var list = h('div');
    var form = h('form', { class: 'card' }, h('h2', { text: '添加学校' }),
      h('div', { class: 'row' }, h('div', null, h('label', { for: 'school-code', text: '学校代码' }), code), h('div', null, h('label', { for: 'school-name', text: '学校名称' }), name)),
      box, h('div', { class: 'actions' }, h('button', { type: 'submit', text: '添加' })));
    function load() {
      T.api('GET', '/api/schools').then(function (r) {
        T.clear(list).appendChild(window.Staff.table([{ label: '代码', get: function (s) { return s.code; } }, { label: '名称', get: function (s) { return s.name; } }], r.schools || [], '还没有学校'));
      });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      T.api('POST', '/api/schools', { code: code.value.trim(), name: name.value.trim() }).then(function () {
        box.className = 'msg ok'; box.textContent = '已添加'; code.value = ''; name.value = ''; load();
      }, function (e) { box.className = 'msg error'; box.textContent = e.message; });
    });
    main.appendChild(form);
    main.appendChild(h('div', { class: 'card' }, h('h2', { text: '学校' }), list));
    load();
  }

  window.Staff.start({ title: '图采 · 运营管理', roles: ['operator'], sections: [
    { id: 'progress', label: '采集进度', render: O.progress },
    { id: 'support', label: '客服留言', render: O.support },
    { id: 'payments', label: '支付对账', render: O.payments },
    { id: 'prints', label: '冲印', render: O.prints },
    { id: 'shipping', label: '寄送', render: O.shipping },
    { id: 'exports', label: '报送导出', render: O.exports },
    { id: 'roster', label: '名单导入', render: O.roster },
    { id: 'settings', label: '批次设置', render: O.settings },
    { id: 'deletions', label: '删除申请', render: O.deletions },
    { id: 'schools', label: '学校', render: schools }
  ] });
})();
