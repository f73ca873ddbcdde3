// Sections shared by the school office console (/admin) and the operator console (/ops): the
// batch picker, progress dashboard with charts, the not-yet-done list, roster import, batch
// settings, registry exports, shipping (tracking numbers), payments and reconciliation, support.
(function () {
  'use strict';
  var T = window.T, h = T.h, Staff = window.Staff, Charts = window.Charts;
  var STATUS = [
    { code: 'not_started', label: '未开始', color: '#9aa5b1' }, { code: 'linked', label: '已认证', color: '#7fb3e6' },
    { code: 'paid', label: '已缴费', color: '#3d8bd9' }, { code: 'submitted', label: '审核中', color: '#f5a000' },
    { code: 'rejected', label: '已驳回', color: '#d64545' }, { code: 'approved', label: '已通过', color: '#1d7a36' }
  ];

  var ORDER_STATES = { created: '待缴费', paid: '已缴费', closed: '已关闭', refund_pending: '退款中', refunded: '已退款' };
  var batches = null;
  function loadBatches(force) {
    if (batches && !force) return Promise.resolve(batches);
    return T.api('GET', '/api/batches').then(function (r) { batches = r.batches || []; return batches; });
  }
  function currentBatchId() { try { return Number(localStorage.getItem('tucai.batch')) || 0; } catch (e) { return 0; } }
  function setBatch(id) { try { localStorage.setItem('tucai.batch', String(id)); } catch (e) { /* private mode */ } }

  // Renders a batch picker into `into`, then calls fn(batch) now and whenever the choice changes.
  // fn(batch, slot) may return a function that stops what it started (polling); it runs when
  // another batch is picked, and withBatch returns a function that runs it when the section is left.
  function withBatch(into, fn) {
    var slot = h('div'), stop = null;
    var sel = h('select', { id: 'batch', 'aria-label': '采集批次' });
    into.appendChild(h('div', { class: 'row batch-pick' }, h('label', { for: 'batch', text: '采集批次' }), sel));
    into.appendChild(slot);
    loadBatches().then(function (list) {
      if (!list.length) { slot.appendChild(h('p', { class: 'msg info', text: '还没有采集批次。' })); return; }
      list.forEach(function (b) { sel.appendChild(h('option', { value: b.id, text: b.school_name + ' · ' + b.name + '（' + T.date(b.window_start) + ' 至 ' + T.date(b.window_end - 1) + '）' })); });
      var want = currentBatchId();
      if (list.some(function (b) { return b.id === want; })) sel.value = String(want);
      var run = function () {
        var b = list.filter(function (x) { return String(x.id) === sel.value; })[0];
        setBatch(b.id);
        if (stop) stop();
        T.clear(slot);
        stop = fn(b, slot) || null;
      };
      sel.addEventListener('change', run);
      run();
    }, function (e) { slot.appendChild(Staff.errorBox(e)); });
    return function () { if (stop) stop(); };
  }

  function download(btn, path, name, box) {
    btn.disabled = true;
    return T.download(path, name).then(function (n) { if (box) { box.className = 'msg ok'; box.textContent = '已下载 ' + n; } },
      function (e) { if (box) { box.className = 'msg error'; box.textContent = e.message; } })
      .then(function () { btn.disabled = false; });
  }

  // ---- progress -------------------------------------------------------------------------------

  function progress(main) {
    withBatch(main, function (b, slot) {
      slot.appendChild(h('p', { class: 'hint', text: '正在统计…' }));
      T.api('GET', '/api/office/batches/' + b.id + '/progress').then(function (p) {
        T.clear(slot);
        var total = p.total || 0, st = p.statuses || {};
        var done = st.approved || 0;
        var pct = total ? Math.round(done * 1000 / total) / 10 : 0;
        var daysLeft = Math.ceil((b.window_end - Date.now()) / 86400e3);
        // One card per status, the same words as the charts: the six add up to the roster.
        var cls = { approved: 'ok', rejected: st.rejected ? 'bad' : '' };
        slot.appendChild(h('div', { class: 'kpis', id: 'kpis' },
          kpi('名单人数', total, '', 'kpi-total'),
          STATUS.map(function (s) {
            var n = st[s.code] || 0;
            return kpi(s.label, s.code === 'approved' ? n + '（' + pct + '%）' : n, cls[s.code] || '', 'kpi-' + s.code);
          }),
          kpi('距截止', daysLeft > 0 ? daysLeft + ' 天' : '已截止', daysLeft <= 2 ? 'bad' : '', 'kpi-days')));
        slot.appendChild(h('p', { class: 'hint', id: 'kpi-sum', text: STATUS.map(function (s) { return s.label + ' ' + (st[s.code] || 0); }).join(' + ') +
          ' = ' + STATUS.reduce(function (a, s) { return a + (st[s.code] || 0); }, 0) + ' 人（名单 ' + total + ' 人）' }));
        var colleges = p.colleges || [];
        var bars = Charts.stackedBars(colleges.map(function (c) {
          return { label: c.college, values: STATUS.map(function (s) { return (c.statuses || {})[s.code] || 0; }) };
        }), STATUS.map(function (s) { return { name: s.label, color: s.color }; }), '各学院进度');
        var days = (p.days || []).map(function (d) { return d.day; });
        var line = Charts.lines(days, [
          { name: '认证', color: '#7fb3e6', values: (p.days || []).map(function (d) { return d.linked || 0; }) },
          { name: '缴费', color: '#3d8bd9', values: (p.days || []).map(function (d) { return d.paid || 0; }) },
          { name: '提交', color: '#f5a000', values: (p.days || []).map(function (d) { return d.submitted || 0; }) },
          { name: '通过', color: '#1d7a36', values: (p.days || []).map(function (d) { return d.approved || 0; }) }], '每日进度');
        slot.appendChild(h('div', { class: 'grid2' },
          h('div', { class: 'card' }, h('h2', { text: '各学院进度' }), bars),
          h('div', { class: 'card' }, h('h2', { text: '每日进度' }), days.length ? line : h('p', { class: 'hint', text: '还没有数据' }))));
        slot.appendChild(h('details', { class: 'card' }, h('summary', { text: '各学院数据表' }),
          Staff.table([{ label: '学院', get: function (c) { return c.college; } }, { label: '人数', get: function (c) { return String(c.total); } }]
            .concat(STATUS.map(function (s) { return { label: s.label, get: function (c) { return String((c.statuses || {})[s.code] || 0); } }; })), colleges)));
        pendingList(b, slot, colleges);
      }, function (e) { T.clear(slot).appendChild(Staff.errorBox(e)); });
    });
  }
  function kpi(label, value, cls, id) { return h('div', { class: 'kpi card ' + (cls || ''), id: id || null }, h('div', { class: 'hint', text: label }), h('b', { text: String(value) })); }

  function pendingList(b, slot, colleges) {
    var b0 = b;
    var sel = h('select', { id: 'pending-college', 'aria-label': '学院' }, h('option', { value: '', text: '全部学院' }),
      colleges.map(function (c) { return h('option', { value: c.college, text: c.college }); }));
    var box = h('p', { class: 'msg', role: 'status' });
    var list = h('div');
    var q = function (fmt) { return '/api/office/batches/' + b.id + '/pending?format=' + fmt + (sel.value ? '&college=' + encodeURIComponent(sel.value) : ''); };
    var csv = h('button', { type: 'button', class: 'secondary', id: 'pending-csv', text: '导出 CSV' });
    var xlsx = h('button', { type: 'button', class: 'secondary', id: 'pending-xlsx', text: '导出 Excel' });
    csv.addEventListener('click', function () { download(csv, q('csv'), 'pending.csv', box); });
    xlsx.addEventListener('click', function () { download(xlsx, q('xlsx'), 'pending.xlsx', box); });
    function load() {
      T.api('GET', q('json')).then(function (r) {
        T.clear(list).appendChild(h('p', { class: 'hint', id: 'pending-count', text: '共 ' + r.students.length + ' 人未完成。“提醒”会给学生发一条消息（站内信和已开通的短信、微信），每人每天最多一次；未登录认证的学生请用电话联系。' }));
        list.appendChild(Staff.table([
          { label: '学号', get: function (x) { return x.student_no; } }, { label: '姓名', get: function (x) { return x.name; } },
          { label: '学院', get: function (x) { return x.college; } }, { label: '专业', get: function (x) { return x.major; } },
          { label: '状态', get: function (x) { return h('span', { class: 'badge ' + (x.status === 'rejected' ? 'bad' : ''), text: x.status_label }); } },
          { label: '电话', get: function (x) { return x.phone ? h('a', { href: 'tel:' + x.phone, text: x.phone }) : '—'; } },
          { label: '提醒', get: remindCell }
        ], r.students, '全部完成了'));
      }, function (e) { T.clear(list).appendChild(Staff.errorBox(e)); });
    }
    // 提醒: one message to the student through the inbox and their channels; the server refuses a
    // second within a day (429) and says when it becomes possible.
    function remindCell(x) {
      if (!x.can_remind) return h('span', { class: 'hint', text: '未登录' });
      var said = h('span', { class: 'hint', text: x.reminded_at ? '已提醒 ' + T.dateTime(x.reminded_at) : '' });
      var b = h('button', { type: 'button', class: 'secondary small', 'data-remind': x.student_no, text: '提醒', 'aria-label': '提醒 ' + x.name });
      b.addEventListener('click', function () {
        b.disabled = true;
        T.api('POST', '/api/office/batches/' + b0.id + '/pending/' + x.record_id + '/remind').then(function (r) {
          said.className = 'msg ok';
          said.textContent = '已提醒 ' + T.dateTime(r.sent_at);
        }, function (e) { said.className = 'msg error'; said.textContent = e.message; b.disabled = false; });
      });
      return h('span', { class: 'remind' }, b, ' ', said);
    }
    sel.addEventListener('change', load);
    slot.appendChild(h('section', { class: 'card', id: 'pending' }, h('h2', { text: '未完成名单' }),
      h('div', { class: 'row' }, sel, csv, xlsx), box, list));
    load();
  }

  // ---- roster import --------------------------------------------------------------------------

  function roster(main) {
    withBatch(main, function (b, slot) {
      var file = h('input', { type: 'file', id: 'roster-file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
      var photos = h('input', { type: 'file', id: 'roster-photos', accept: '.zip,application/zip' });
      var send = h('button', { type: 'submit', id: 'roster-upload', text: '导入名单' });
      var result = h('div', { id: 'roster-result', 'aria-live': 'polite' });
      var list = h('div', { id: 'roster-list' });
      var form = h('form', { class: 'card' }, h('h2', { text: '导入名单' }),
        h('p', { class: 'hint', text: 'CSV（UTF-8 或 GBK，Excel 另存即可）或 XLSX。表头：学号,姓名,身份证号,学院,专业,学历层次,毕业年份。再次导入会更新已有学生，不会重复。' }),
        h('label', { for: 'roster-file', text: '名单文件' }), file,
        h('label', { for: 'roster-photos', text: '录取照片（可选）' }), photos,
        h('p', { class: 'hint', text: '录取或身份证照片的 ZIP 压缩包：每张 JPEG 以学号命名（如 2024100001.jpg），或在名单中加一列“照片文件”写明文件名。照片加密保存，用于与学生上传的照片比对。压缩包中有任何问题时，名单和照片都不导入。压缩包较大时可分几次上传，每次附上名单即可（已导入的学生只会更新）。' }),
        h('div', { class: 'actions' }, send), result);
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        if (!file.files[0]) { T.clear(result).appendChild(h('p', { class: 'msg error', text: '请选择名单文件' })); return; }
        var fd = new FormData();
        fd.append('file', file.files[0], file.files[0].name);
        if (photos.files[0]) fd.append('photos', photos.files[0], photos.files[0].name);
        send.disabled = true;
        T.api('POST', '/api/batches/' + b.id + '/roster', fd).then(function (r) {
          T.clear(result).appendChild(h('p', { class: 'msg ' + (r.rejected ? 'info' : 'ok'), id: 'roster-summary',
            text: '新增 ' + r.inserted + ' 人，更新 ' + r.updated + ' 人，有误 ' + r.rejected + ' 行' +
              (r.reference_photos ? '；录取照片 ' + r.reference_photos.stored + ' 张（替换 ' + r.reference_photos.replaced + ' 张）' : '') }));
          if (r.errors && r.errors.length) result.appendChild(h('div', { id: 'roster-errors' }, h('h3', { text: '有误的行（未导入，请改正后重新导入）' }),
            Staff.table([{ label: '行号', get: function (x) { return String(x.line); } }, { label: '问题', get: function (x) { return x.reason; } }], r.errors)));
          loadList();
        }, function (e) {
          T.clear(result).appendChild(Staff.errorBox(e));
          var pe = e.body && e.body.photo_errors;
          if (pe && pe.length) result.appendChild(h('div', { id: 'photo-errors' }, h('h3', { text: '照片压缩包中的问题' }),
            Staff.table([{ label: '文件', get: function (x) { return x.file; } },
              { label: '名单行号', get: function (x) { return x.line ? String(x.line) : '—'; } },
              { label: '问题', get: function (x) { return x.reason; } }], pe)));
        }).then(function () { send.disabled = false; });
      });
      function loadList() {
        T.api('GET', '/api/batches/' + b.id + '/roster?limit=200').then(function (r) {
          T.clear(list).appendChild(h('h2', { text: '名单（共 ' + r.total + ' 人' + (r.total > r.records.length ? '，显示前 ' + r.records.length + ' 人' : '') + '）' }));
          list.appendChild(Staff.table([
            { label: '学号', get: function (x) { return x.student_no; } }, { label: '姓名', get: function (x) { return x.name_masked; } },
            { label: '身份证号', get: function (x) { return x.id_masked; } }, { label: '学院', get: function (x) { return x.college; } },
            { label: '专业', get: function (x) { return x.major; } }, { label: '层次', get: function (x) { return x.degree; } },
            { label: '状态', get: function (x) { return x.approved ? '已通过' : x.linked ? '已认证' : '未开始'; } }], r.records, '名单为空'));
        }, function (e) { T.clear(list).appendChild(Staff.errorBox(e)); });
      }
      slot.appendChild(form);
      slot.appendChild(h('div', { class: 'card' }, list));
      loadList();
    });
  }

  // ---- 与录取照片比对: approved photos that match the school's reference weakly -------------------

  function reference(main) {
    withBatch(main, function (b, slot) {
      var box = h('div', { id: 'reference-weak', 'aria-live': 'polite' });
      slot.appendChild(h('section', { class: 'card' }, h('h2', { text: '与录取照片比对' }),
        h('p', { class: 'hint', text: '已通过审核、但与学校提供的录取照片相似度偏低的学生。学信网报送时也会比对，请在报送前核实（必要时请学生重拍）。' }), box));
      T.api('GET', '/api/office/batches/' + b.id + '/reference-weak').then(function (r) {
        T.clear(box).appendChild(h('p', { class: 'hint', id: 'reference-summary', text: '已处理的录取照片 ' + r.references_ready + ' 张；需要核实 ' + r.students.length + ' 人（相似度低于 ' + r.weak_below.toFixed(2) + '，同一人至少 ' + r.threshold + '）' }));
        box.appendChild(Staff.table([
          { label: '学号', get: function (x) { return x.student_no; } }, { label: '姓名', get: function (x) { return x.name_masked; } },
          { label: '学院', get: function (x) { return x.college; } }, { label: '专业', get: function (x) { return x.major; } },
          { label: '相似度', get: function (x) { return h('span', { class: 'badge ' + (x.below_threshold ? 'bad' : 'warn'), text: x.similarity.toFixed(2) + (x.below_threshold ? ' 不一致' : ' 偏低') }); } }
        ], r.students, '没有需要核实的学生'));
        if (r.no_face && r.no_face.length) box.appendChild(h('div', { id: 'reference-no-face' },
          h('h3', { text: '无法比对的录取照片（照片中没有可识别的人脸，请重新提供）' }),
          Staff.table([{ label: '学号', get: function (x) { return x.student_no; } }, { label: '姓名', get: function (x) { return x.name_masked; } },
            { label: '学院', get: function (x) { return x.college; } }, { label: '文件', get: function (x) { return x.file; } }], r.no_face)));
      }, function (e) { T.clear(box).appendChild(Staff.errorBox(e)); });
    });
  }

  // ---- batch settings -------------------------------------------------------------------------

  // A profile's Chinese title (the office never reads raw ids such as chsi-blue).
  function profileTitle(name) {
    var dd = h('dd', { text: name });
    T.api('GET', '/api/photo-profiles').then(function (r) {
      (r.profiles || []).forEach(function (p) { if (p.name === name) dd.textContent = p.title + '（' + p.width + '×' + p.height + '）'; });
    });
    return dd;
  }

  function settings(main, me) {
    withBatch(main, function render(b, slot) {
      T.clear(slot);
      slot.appendChild(h('div', { class: 'card' }, h('h2', { text: '当前批次' }), h('dl', { class: 'kv' },
        h('dt', { text: '学校' }), h('dd', { text: b.school_name + '（' + b.school_code + '）' }),
        h('dt', { text: '名称' }), h('dd', { text: b.name }),
        h('dt', { text: '采集时间' }), h('dd', { text: T.date(b.window_start) + ' 至 ' + T.date(b.window_end - 1) }),
        h('dt', { text: '照片规格' }), profileTitle(b.profile),
        h('dt', { text: '采集范围' }), h('dd', { text: eligibilityText(b.eligibility) }),
        h('dt', { text: '收费' }), h('dd', null, (b.fees || []).map(function (f) { return h('div', { text: f.name + ' ' + T.money(f.amount_fen) + (f.required ? '（必选）' : '') }); })),
        h('dt', { text: '最多提交次数' }), h('dd', { id: 'batch-max-submissions', text: b.max_submissions ? b.max_submissions + ' 次' : '不限' }),
        h('dt', { text: '拍摄方式' }), h('dd', { id: 'batch-camera-only', text: b.camera_only ? '只允许现场拍摄' : '现场拍摄或从相册选择' }))));
      // Saved: the batch as the server now has it, shown again, with what changed.
      slot.appendChild(editBatchForm(b, function (said) {
        return loadBatches(true).then(function (list) {
          var now = list.filter(function (x) { return x.id === b.id; })[0];
          if (!now) return;
          render(now, slot);
          var box = slot.querySelector('#eb-result');
          box.className = 'msg ok';
          box.textContent = said;
        });
      }));
    });
    main.appendChild(newBatchForm(me));
  }
  // Window and fee changes (PUT .../settings); every change is audited by the server.
  function editBatchForm(b, saved) {
    var start = h('input', { id: 'eb-start', type: 'date', value: T.date(b.window_start) });
    var end = h('input', { id: 'eb-end', type: 'date', value: T.date(b.window_end - 1) });
    var fees = (b.fees || []).map(function (f) {
      return { fee: f, input: h('input', { id: 'eb-fee-' + f.code, type: 'number', min: 0, step: '0.01', value: (f.amount_fen / 100).toFixed(2) }) };
    });
    // What the student may do: how many submissions (0 = no limit) and whether the album is allowed.
    var maxSub = h('input', { id: 'eb-max-submissions', type: 'number', min: 0, max: 20, step: 1, value: b.max_submissions || 0 });
    var camOnly = h('input', { id: 'eb-camera-only', type: 'checkbox', checked: !!b.camera_only });
    var box = h('p', { class: 'msg', role: 'status', id: 'eb-result' });
    var btn = h('button', { type: 'submit', id: 'eb-save', text: '保存修改' });
    // novalidate: the form's own checks speak Chinese with the field named, not the browser's bubble.
    var form = h('form', { class: 'card', novalidate: true }, h('h2', { text: '修改批次' }),
      h('div', { class: 'row' }, h('div', null, h('label', { for: 'eb-start', text: '开始日期' }), start), h('div', null, h('label', { for: 'eb-end', text: '截止日期（含当天）' }), end)),
      h('div', { class: 'row' }, fees.map(function (x) { return h('div', null, h('label', { for: 'eb-fee-' + x.fee.code, text: x.fee.name + '（元）' }), x.input); })),
      h('div', { class: 'row' }, h('div', null, h('label', { for: 'eb-max-submissions', text: '每人最多提交审核次数（0 为不限）' }), maxSub)),
      h('label', { class: 'check-line', for: 'eb-camera-only' }, camOnly, '只允许现场拍摄（学生页面不提供从相册选择）'),
      h('p', { class: 'hint', text: '已经下单的学生按原价，不受影响。撤回的提交不计次数。所有修改都会记入审计日志。' }), box, h('div', { class: 'actions' }, btn));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var change = {};
      if (start.value !== T.date(b.window_start)) change.window_start = start.value;
      if (end.value !== T.date(b.window_end - 1)) change.window_end = end.value;
      var newFees = fees.map(function (x) { return { code: x.fee.code, name: x.fee.name, amount_fen: Math.round(Number(x.input.value) * 100), required: !!x.fee.required }; });
      if (newFees.some(function (f, i) { return f.amount_fen !== fees[i].fee.amount_fen; })) change.fees = newFees;
      var n = Number(maxSub.value);
      if (maxSub.value === '' || !Number.isInteger(n) || n < 0 || n > 20) { box.className = 'msg error'; box.textContent = '最多提交次数应为 0 到 20 的整数（0 表示不限）'; maxSub.focus(); return; }
      if (n !== (b.max_submissions || 0)) change.max_submissions = n;
      if (camOnly.checked !== !!b.camera_only) change.camera_only = camOnly.checked;
      if (!Object.keys(change).length) { box.className = 'msg info'; box.textContent = '没有修改'; return; }
      btn.disabled = true;
      T.api('PUT', '/api/office/batches/' + b.id + '/settings', change).then(function (r) {
        box.className = 'msg ok';
        box.textContent = '已保存：' + (r.changed || []).map(function (c) { return { window_start: '开始日期', window_end: '截止日期', fees: '收费', profile: '照片规格', eligibility: '采集范围', max_submissions: '最多提交次数', camera_only: '拍摄方式' }[c] || c; }).join('、');
        return saved(box.textContent);
      }, function (e) { box.className = 'msg error'; box.textContent = e.message; }).then(function () { btn.disabled = false; });
    });
    return form;
  }

  // ---- paper prints (operator) ------------------------------------------------------------------

  function prints(main) {
    return withBatch(main, function (b, slot) {
      var copies = h('select', { id: 'print-copies' }, [1, 2, 4, 6, 8].map(function (n) { return h('option', { value: n, selected: n === 4 ? true : null, text: n + ' 张/人' }); }));
      var start = h('button', { type: 'button', id: 'print-start', text: '生成冲印文件（已通过的学生）' });
      var box = h('div', { id: 'print-state', 'aria-live': 'polite' });
      var timer = null;
      function poll(id) {
        T.api('GET', '/api/ops/prints/' + id).then(function (p) {
          T.clear(box).appendChild(h('p', { class: 'msg ' + (p.state === 'failed' ? 'error' : p.state === 'done' ? 'ok' : 'info'),
            text: '冲印批次 #' + p.id + '：' + ({ queued: '排队中', running: '生成中', done: '已完成', failed: '失败' }[p.state] || p.state) +
              (p.state === 'done' ? '，' + p.records + ' 人，' + p.sheets + ' 张 6 寸相纸' : '') + (p.error ? '：' + p.error : '') }));
          if (p.state === 'done') {
            var res = h('p', { class: 'msg', role: 'status' });
            var pdf = h('button', { type: 'button', id: 'print-download', text: '下载冲印 PDF' });
            var hand = h('button', { type: 'button', class: 'secondary', text: '下载各学院交接单' });
            pdf.addEventListener('click', function () { download(pdf, '/api/ops/prints/' + p.id + '/file', 'prints.pdf', res); });
            hand.addEventListener('click', function () { download(hand, '/api/ops/prints/' + p.id + '/handover', 'handover.pdf', res); });
            box.appendChild(h('div', { class: 'actions' }, pdf, hand));
            box.appendChild(res);
          } else if (p.state !== 'failed') timer = setTimeout(function () { poll(id); }, 1000);
        }, function (e) { T.clear(box).appendChild(Staff.errorBox(e)); });
      }
      start.addEventListener('click', function () {
        start.disabled = true;
        T.api('POST', '/api/ops/batches/' + b.id + '/prints', { copies: Number(copies.value) }).then(function (r) { poll(r.print_batch_id); },
          function (e) { T.clear(box).appendChild(Staff.errorBox(e)); }).then(function () { start.disabled = false; });
      });
      var labelsBox = h('p', { class: 'msg', role: 'status' });
      var labels = h('button', { type: 'button', class: 'secondary', id: 'labels', text: '下载待寄出的地址标签（PDF）' });
      labels.addEventListener('click', function () { download(labels, '/api/ops/batches/' + b.id + '/labels', 'labels.pdf', labelsBox); });
      slot.appendChild(h('div', { class: 'card' }, h('h2', { text: '纸质照片冲印' }),
        h('p', { text: '6 寸相纸，每张照片下印姓名和学号，按学院排序。没有选邮寄的学生按学院整理交给学校。' }),
        h('label', { for: 'print-copies', text: '每人张数' }), copies, h('div', { class: 'actions' }, start), box));
      slot.appendChild(h('div', { class: 'card' }, h('h2', { text: '地址标签' }), senderForm(b), h('div', { class: 'actions' }, labels), labelsBox));
      return function () { clearTimeout(timer); }; /* leaving the section stops the polling */
    });
  }

  // The sender printed on the labels: the school office, kept per school (PUT /api/schools/:id/sender).
  function senderForm(b) {
    var name = h('input', { id: 'sender-name', type: 'text', maxlength: 120 });
    var phone = h('input', { id: 'sender-phone', type: 'tel', maxlength: 30 });
    var addr = h('input', { id: 'sender-address', type: 'text', maxlength: 300 });
    var box = h('p', { class: 'msg', role: 'status', id: 'sender-result' });
    var save = h('button', { type: 'submit', class: 'secondary', id: 'sender-save', text: '保存寄件人' });
    var form = h('form', null, h('p', { class: 'hint', text: '标签上印的寄件人：' + b.school_name + '负责毕业照片的办公室。无法投递的包裹会退回这里。' }),
      h('div', { class: 'row' }, h('div', null, h('label', { for: 'sender-name', text: '寄件人（办公室名称）' }), name),
        h('div', null, h('label', { for: 'sender-phone', text: '电话' }), phone)),
      h('label', { for: 'sender-address', text: '地址' }), addr, box, h('div', { class: 'actions' }, save));
    T.api('GET', '/api/schools/' + b.school_id + '/sender').then(function (r) { name.value = r.name; phone.value = r.phone; addr.value = r.address; },
      function (e) { box.className = 'msg error'; box.textContent = e.message; });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      save.disabled = true;
      T.api('PUT', '/api/schools/' + b.school_id + '/sender', { name: name.value.trim(), phone: phone.value.trim(), address: addr.value.trim() })
        .then(function () { box.className = 'msg ok'; box.textContent = '已保存寄件人'; }, function (e) { box.className = 'msg error'; box.textContent = e.message; })
        .then(function () { save.disabled = false; });
    });
    return form;
  }

  // ---- students' deletion requests (operator) ---------------------------------------------------

  function deletions(main) {
    var list = h('div');
    var box = h('p', { class: 'msg', role: 'status' });
    function load() {
      T.api('GET', '/api/ops/deletion-requests?all=1').then(function (r) {
        T.clear(list).appendChild(Staff.table([
          { label: '学号', get: function (x) { return x.student_no; } }, { label: '姓名', get: function (x) { return x.name_masked; } },
          { label: '学院', get: function (x) { return x.college; } }, { label: '申请时间', get: function (x) { return T.dateTime(x.requested_at); } },
          { label: '处理', get: function (x) {
            if (x.state === 'done') return '已删除 ' + T.dateTime(x.done_at);
            var b = h('button', { type: 'button', class: 'danger', text: '删除照片' });
            b.addEventListener('click', function () {
              b.disabled = true;
              T.api('POST', '/api/ops/deletion-requests/' + x.id + '/execute').then(function (d) {
                box.className = 'msg ok'; box.textContent = '已删除 ' + d.blobs_deleted + ' 个文件'; load();
              }, function (e) { b.disabled = false; box.className = 'msg error'; box.textContent = e.message; });
            });
            return b;
          } }], r.requests || [], '没有删除申请'));
      }, function (e) { T.clear(list).appendChild(Staff.errorBox(e)); });
    }
    main.appendChild(h('div', { class: 'card' }, h('p', { class: 'hint', text: '学生在审核通过前可以申请删除已上传的照片。删除后不可恢复，操作记入审计日志。' }), box, list));
    load();
  }

  function eligibilityText(e) {
    if (!e) return '全部';
    var parts = [];
    if (e.grad_year) parts.push(e.grad_year + ' 届');
    if (e.degrees) parts.push(e.degrees.join('、'));
    return parts.join('，') || '全部';
  }
  function newBatchForm(me) {
    var school = h('select', { id: 'nb-school' });
    var name = h('input', { id: 'nb-name', type: 'text', maxlength: 120, value: '研究生毕业生图像在线采集' });
    var start = h('input', { id: 'nb-start', type: 'date' });
    var end = h('input', { id: 'nb-end', type: 'date' });
    var profile = h('select', { id: 'nb-profile' });
    var year = h('input', { id: 'nb-year', type: 'number', min: 2000, max: 2100, value: new Date().getFullYear() + 1 });
    var fee = h('input', { id: 'nb-fee', type: 'number', min: 0, step: '0.01', value: '30' });
    var print = h('input', { id: 'nb-print', type: 'number', min: 0, step: '0.01', value: '10' });
    var post = h('input', { id: 'nb-post', type: 'number', min: 0, step: '0.01', value: '12' });
    var box = h('p', { class: 'msg', role: 'status' });
    var btn = h('button', { type: 'submit', text: '创建批次' });
    var form = h('form', { class: 'card' }, h('h2', { text: '新建采集批次' }),
      h('label', { for: 'nb-school', text: '学校' }), school, h('label', { for: 'nb-name', text: '名称' }), name,
      h('div', { class: 'row' }, h('div', null, h('label', { for: 'nb-start', text: '开始日期' }), start), h('div', null, h('label', { for: 'nb-end', text: '截止日期' }), end)),
      h('label', { for: 'nb-profile', text: '照片规格' }), profile, h('label', { for: 'nb-year', text: '毕业年份' }), year,
      h('div', { class: 'row' }, h('div', null, h('label', { for: 'nb-fee', text: '采集费（元）' }), fee), h('div', null, h('label', { for: 'nb-print', text: '冲印费（元）' }), print),
        h('div', null, h('label', { for: 'nb-post', text: '邮寄费（元）' }), post)), box, h('div', { class: 'actions' }, btn));
    // The real profiles, by their Chinese titles; the degree photo on the light-blue wall first.
    T.api('GET', '/api/photo-profiles').then(function (r) {
      (r.profiles || []).slice().sort(function (a, b) { return (b.name === 'chsi-blue') - (a.name === 'chsi-blue'); })
        .forEach(function (p) { profile.appendChild(h('option', { value: p.name, text: p.title + '（' + p.width + '×' + p.height + '）' })); });
    });
    T.api('GET', '/api/schools').then(function (r) {
      (r.schools || []).filter(function (s) { return !me.school_id || s.id === me.school_id; })
        .forEach(function (s) { school.appendChild(h('option', { value: s.id, text: s.name })); });
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var fen = function (el) { return Math.round(Number(el.value) * 100); };
      var fees = [{ code: 'collect', name: '采集服务费', amount_fen: fen(fee), required: true }];
      if (fen(print) > 0) fees.push({ code: 'print', name: '纸质照片冲印', amount_fen: fen(print) });
      if (fen(post) > 0) fees.push({ code: 'post', name: '邮寄费', amount_fen: fen(post) });
      btn.disabled = true;
      T.api('POST', '/api/batches', { school_id: Number(school.value), name: name.value.trim(), window_start: start.value, window_end: end.value,
        profile: profile.value, eligibility: { grad_year: Number(year.value), degrees: ['硕士', '博士'] }, fees: fees }).then(function (b) {
        box.className = 'msg ok'; box.textContent = '已创建批次 ' + b.name;
        setBatch(b.id);
        return loadBatches(true);
      }, function (e) { box.className = 'msg error'; box.textContent = e.message; }).then(function () { btn.disabled = false; });
    });
    return form;
  }

  // ---- exports --------------------------------------------------------------------------------

  function exportsSection(main) {
    return withBatch(main, function (b, slot) {
      var box = h('div', { id: 'export-state', 'aria-live': 'polite' });
      var start = h('button', { type: 'button', id: 'export-start', text: '生成报送包（已通过的照片）' });
      var again = h('input', { type: 'checkbox', id: 'export-again' });
      var timer = null;
      function poll(id) {
        T.api('GET', '/api/office/exports/' + id).then(function (p) {
          T.clear(box).appendChild(h('p', { class: 'msg ' + (p.state === 'failed' ? 'error' : p.state === 'done' ? 'ok' : 'info'),
            text: '报送包 #' + p.id + '：' + ({ queued: '排队中', running: '生成中', done: '已完成', failed: '失败' }[p.state] || p.state) +
              (p.state === 'done' ? '，' + p.photos + ' 张照片，' + Math.round(p.bytes / 1024) + ' KB' : '') + (p.error ? '：' + p.error : '') }));
          if (p.state === 'done') {
            var dl = h('button', { type: 'button', id: 'export-download', text: '下载报送包' });
            var res = h('p', { class: 'msg', role: 'status' });
            dl.addEventListener('click', function () { download(dl, '/api/office/exports/' + p.id + '/file', p.file_name, res); });
            box.appendChild(h('div', { class: 'actions' }, dl));
            box.appendChild(res);
            box.appendChild(h('p', { class: 'hint', text: 'SHA-256：' + p.sha256 }));
          } else if (p.state !== 'failed') timer = setTimeout(function () { poll(id); }, 1000);
        }, function (e) { T.clear(box).appendChild(Staff.errorBox(e)); });
      }
      start.addEventListener('click', function () {
        start.disabled = true;
        T.api('POST', '/api/office/batches/' + b.id + '/exports', { reexport: again.checked }).then(function (r) { poll(r.package_id); },
          function (e) { T.clear(box).appendChild(Staff.errorBox(e)); }).then(function () { start.disabled = false; });
      });
      slot.appendChild(h('div', { class: 'card' }, h('h2', { text: '报送学信网' }),
        h('p', { text: '把本批次已通过审核的照片打包（480×640 JPEG，以学号命名，附清单），加密给学信网并签名。' }),
        h('label', { class: 'check-line', for: 'export-again' }, again, '包括已经导出过的照片（重新导出）'),
        h('div', { class: 'actions' }, start), box));
      return function () { clearTimeout(timer); };
    });
  }

  // ---- shipping -------------------------------------------------------------------------------

  function shipping(main) {
    withBatch(main, function (b, slot) {
      var file = h('input', { type: 'file', id: 'tracking-file', accept: '.csv,text/csv' });
      var send = h('button', { type: 'submit', id: 'tracking-upload', text: '导入快递单号' });
      var result = h('div', { 'aria-live': 'polite' });
      var form = h('form', { class: 'card' }, h('h2', { text: '导入快递单号' }),
        h('p', { class: 'hint', text: 'CSV：订单号或学号,快递公司,快递单号。导入后学生状态变为“已寄出”，并收到快递单号通知。重复导入不会重复通知。' }),
        h('label', { for: 'tracking-file', text: 'CSV 文件' }), file, h('div', { class: 'actions' }, send), result);
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var f = file.files[0];
        if (!f) return;
        send.disabled = true;
        f.arrayBuffer().then(function (buf) {
          return T.ensureCsrf().then(function () {
            return fetch('/api/office/batches/' + b.id + '/tracking', { method: 'POST', credentials: 'same-origin',
              headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': T.csrfToken() }, body: buf });
          });
        }).then(function (res) { return res.json().then(function (j) { if (!res.ok) throw new Error((j.error && j.error.message) || '导入失败'); return j; }); })
          .then(function (r) {
            T.clear(result).appendChild(h('p', { class: 'msg ok', text: '已寄出 ' + r.applied + ' 件，未变化 ' + r.unchanged + ' 件，有误 ' + r.errors.length + ' 行' }));
            if (r.errors.length) result.appendChild(Staff.table([{ label: '行号', get: function (x) { return String(x.line); } }, { label: '问题', get: function (x) { return x.message; } }], r.errors));
          }, function (e) { T.clear(result).appendChild(Staff.errorBox(e)); }).then(function () { send.disabled = false; });
      });
      slot.appendChild(form);
    });
  }

  // ---- payments -------------------------------------------------------------------------------

  function payments(main) {
    var today = T.date(Date.now());
    var date = h('input', { type: 'date', id: 'pay-date', value: today });
    var list = h('div'), recon = h('div'), box = h('p', { class: 'msg', role: 'status' });
    var csv = h('button', { type: 'button', class: 'secondary', text: '下载 CSV' });
    var xlsx = h('button', { type: 'button', class: 'secondary', text: '下载 Excel' });
    var check = h('button', { type: 'button', id: 'reconcile', text: '与支付平台对账' });
    csv.addEventListener('click', function () { download(csv, '/api/ops/payments?format=csv&date=' + date.value, 'payments.csv', box); });
    xlsx.addEventListener('click', function () { download(xlsx, '/api/ops/payments?format=xlsx&date=' + date.value, 'payments.xlsx', box); });
    check.addEventListener('click', function () {
      T.api('GET', '/api/ops/reconcile?date=' + date.value).then(function (r) {
        var kinds = { missing_here: '平台有、本系统无', missing_there: '本系统有、平台无', amount: '金额不一致' };
        T.clear(recon).appendChild(h('p', { class: 'msg ' + (r.mismatches.length ? 'error' : 'ok'), id: 'reconcile-result',
          text: r.date + '：本系统 ' + r.ours + ' 笔，支付平台 ' + r.bill + ' 笔，差异 ' + r.mismatches.length + ' 笔' }));
        if (r.mismatches.length) recon.appendChild(Staff.table([{ label: '类型', get: function (x) { return kinds[x.kind] || x.kind; } },
          { label: '订单号', get: function (x) { return x.out_trade_no; } }, { label: '本系统', get: function (x) { return T.money(x.ours_fen); } },
          { label: '平台', get: function (x) { return T.money(x.bill_fen); } }], r.mismatches));
      }, function (e) { T.clear(recon).appendChild(Staff.errorBox(e)); });
    });
    function load() {
      T.api('GET', '/api/ops/payments?date=' + date.value).then(function (r) {
        var rows = r.payments || [];
        var sum = rows.reduce(function (s, x) { return s + x.amount_fen - (x.refund_fen || 0); }, 0);
        T.clear(list).appendChild(h('p', { text: r.date + '：' + rows.length + ' 笔，实收 ' + T.money(sum) }));
        list.appendChild(Staff.table([
          { label: '订单号', get: function (x) { return x.out_trade_no; } }, { label: '金额', get: function (x) { return T.money(x.amount_fen); } },
          { label: '项目', get: function (x) { return (x.items || []).map(function (i) { return i.name; }).join('、'); } },
          { label: '状态', get: function (x) { return (ORDER_STATES[x.state] || x.state) + (x.flag ? '（' + x.flag + '）' : ''); } },
          { label: '支付时间', get: function (x) { return T.dateTime(x.paid_at); } },
          { label: '退款', get: function (x) { return x.refund_fen ? T.money(x.refund_fen) : ''; } }], rows, '当天没有支付'));
      }, function (e) { T.clear(list).appendChild(Staff.errorBox(e)); });
    }
    date.addEventListener('change', load);
    main.appendChild(h('div', { class: 'card' }, h('div', { class: 'row' }, h('div', null, h('label', { for: 'pay-date', text: '日期（北京时间）' }), date), csv, xlsx, check), box, recon, list));
    load();
  }

  // ---- support --------------------------------------------------------------------------------

  function support(main, me, args) {
    var listBox = h('div'), threadBox = h('div', { id: 'thread' });
    main.appendChild(h('div', { class: 'grid2' }, h('div', { class: 'card' }, h('h2', { text: '会话' }), listBox), h('div', { class: 'card' }, threadBox)));
    function loadList() { return T.api('GET', '/api/ops/support/threads').then(function (r) {
      T.clear(listBox).appendChild(Staff.table([
        { label: '学生', get: function (x) { return h('a', { href: '#/support/' + x.account_id, text: x.student ? x.student.name + ' ' + x.student.student_no : '未认证的学生' }); } },
        { label: '状态', get: function (x) { return x.status_label || ''; } },
        { label: '未读', get: function (x) { return x.unread ? h('span', { class: 'badge bad', text: String(x.unread) }) : '0'; } },
        { label: '最近', get: function (x) { return T.dateTime(x.last_at); } }], r.threads || [], '没有留言'));
    }, function (e) { T.clear(listBox).appendChild(Staff.errorBox(e)); }); }
    loadList();
    var account = Number(args && args[0]);
    if (!account) { threadBox.appendChild(h('p', { class: 'hint', text: '选择左侧的会话查看。' })); return; }
    function load() {
      T.api('GET', '/api/ops/support/threads/' + account).then(function (r) {
        var who = r.student;
        T.clear(threadBox).appendChild(h('h2', { id: 'thread-title', text: (who ? who.name + ' · ' + who.student_no : '未认证的学生') + ' · ' + (r.status.label || '') }));
        threadBox.appendChild(studentCard(r));
        threadBox.appendChild(h('ul', { class: 'messages' }, (r.messages || []).map(function (m) {
          return h('li', { class: m.from === 'student' ? 'theirs' : 'mine' }, h('div', { class: 'hint', text: (m.from === 'student' ? '学生' : '客服') + ' · ' + T.dateTime(m.created_at) }),
            h('div', { text: m.body }), m.attachment ? h('img', { src: m.attachment, alt: '附件图片', class: 'attachment' }) : null);
        })));
        var text = h('textarea', { id: 'reply-text', maxlength: 1000 });
        var send = h('button', { type: 'submit', id: 'reply-send', text: '回复' });
        var form = h('form', null, h('label', { for: 'reply-text', text: '回复' }), text, h('div', { class: 'actions' }, send));
        form.addEventListener('submit', function (ev) {
          ev.preventDefault();
          if (!text.value.trim()) return;
          var fd = new FormData();
          fd.append('body', text.value.trim());
          send.disabled = true;
          // The reply clears the thread's unread count on the server: the list shows it at once.
          T.api('POST', '/api/ops/support/threads/' + account, fd).then(function () { loadList(); return load(); }, function (e) { form.appendChild(Staff.errorBox(e)); send.disabled = false; });
        });
        threadBox.appendChild(form);
      }, function (e) { T.clear(threadBox).appendChild(Staff.errorBox(e)); });
    }
    load();
  }

  // Beside the thread: who the student is (roster), their order, their latest photo. Opening the
  // thread is audited by the server.
  function studentCard(r) {
    var who = r.student, o = r.order, a = r.status && r.status.attempt;
    var img = a && a.images ? (a.images.standardized || a.images.original) : null;
    return h('div', { class: 'support-student', id: 'support-student' },
      img ? h('img', { src: img, alt: '最近一次上传的照片', class: 'support-photo' }) : h('div', { class: 'support-photo hint', text: '还没有照片' }),
      h('dl', { class: 'kv' },
        h('dt', { text: '姓名' }), h('dd', { id: 'support-name', text: who ? who.name : '未认证' }),
        h('dt', { text: '学号' }), h('dd', { id: 'support-no', text: who ? who.student_no : '—' }),
        h('dt', { text: '学院' }), h('dd', { text: who ? who.college + ' · ' + who.major : '—' }),
        h('dt', { text: '手机' }), h('dd', { text: r.phone_masked || '—' }),
        h('dt', { text: '状态' }), h('dd', { text: (r.status && r.status.label) || '—' }),
        h('dt', { text: '订单' }), h('dd', { id: 'support-order', text: o ? o.out_trade_no + ' · ' + T.money(o.amount_fen) + ' · ' + (ORDER_STATES[o.state] || o.state) +
          (o.paid_at ? ' · ' + T.dateTime(o.paid_at) : '') : '没有订单' })));
  }

  window.Office = { progress: progress, roster: roster, reference: reference, settings: settings, exports: exportsSection, shipping: shipping, prints: prints, deletions: deletions,
    payments: payments, support: support, withBatch: withBatch, loadBatches: loadBatches };
})();
