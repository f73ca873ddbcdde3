// The school office console: progress and the not-yet-done list, roster import, batch settings,
// exports to the registry.
(function () {
  'use strict';
  var O = window.Office;
  window.Staff.start({ title: '图采 · 学校管理', roles: ['school_admin', 'operator'], sections: [
    { id: 'progress', label: '采集进度', render: O.progress },
    { id: 'roster', label: '名单导入', render: O.roster },
    { id: 'reference', label: '录取照片比对', render: O.reference },
    { id: 'settings', label: '批次设置', render: O.settings },
    { id: 'exports', label: '报送导出', render: O.exports }
  ] });
})();
