// The reviewer console, keyboard first: J/K move through the queue, A approve, R opens the reasons
// (digits toggle them), Enter confirms, Esc cancels; E/O/N zoom on eyes, ears and neck, 0 resets.
// Each item is claimed (a lease) when opened and released when the reviewer moves on undecided.
(function () {
  'use strict';
  var T = window.T, h = T.h, R = window.PhotoRules;
  // Keys for the reasons, in the server's order: 1-9, 0, then - and =.
  var KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '='];
  var ZOOMS = [
    // Each zoom frames the regions of one group of checks (the server names each check's group).
    { key: 'e', label: '眼睛', group: 'eyes' },
    { key: 'o', label: '耳朵', group: 'ears' },
    { key: 'n', label: '脖子', group: 'neck' }
  ];

  var state = { queue: [], index: -1, item: null, reasons: [], mode: 'idle', picked: {}, decided: 0, zoom: null };
  var els = {};

  function render(main) {
    els.stats = h('p', { class: 'stats', id: 'stats', 'aria-live': 'polite' });
    els.queue = h('ul', { class: 'queue', id: 'queue', 'aria-label': '待审队列' });
    els.center = h('section', { 'aria-label': '照片' });
    els.side = h('section', { 'aria-label': '检查与决定' });
    main.appendChild(h('h1', { class: 'visually-hidden', text: '照片审核' }));
    main.appendChild(els.stats);
    main.appendChild(h('div', { class: 'desk' },
      h('section', { 'aria-label': '队列' }, h('h2', { text: '队列' }), els.queue),
      els.center, els.side));
    main.appendChild(h('p', { class: 'keys' }, '快捷键：', kbd('J'), '/', kbd('K'), ' 下一张/上一张 · ', kbd('A'), ' 通过 · ', kbd('R'),
      ' 驳回（数字选原因）· ', kbd('Enter'), ' 确认（留言框内用 Ctrl+Enter）· ', kbd('Esc'), ' 取消 · ', kbd('E'), kbd('O'), kbd('N'), ' 放大眼睛/耳朵/脖子 · ', kbd('0'), ' 复原（未选原因时）'));
    document.addEventListener('keydown', onKey);
    T.api('GET', '/api/review/reasons').then(function (r) { state.reasons = r.reasons || []; });
    loadQueue(0);
  }
  function kbd(k) { return h('kbd', { text: k }); }

  function endOfTodayBeijing() {
    var now = Date.now(), bj = now + 8 * 3600e3;
    return now + (86400e3 - (bj % 86400e3));
  }

  function loadQueue(keepId) {
    return T.api('GET', '/api/review/queue').then(function (r) {
      state.queue = r.items || [];
      var eod = endOfTodayBeijing();
      var dueToday = state.queue.filter(function (x) { return x.due_at <= eod; }).length;
      var overdue = state.queue.filter(function (x) { return x.overdue; }).length;
      T.clear(els.stats).appendChild(h('span', null, '待审 ', h('b', { id: 'count-left', text: String(state.queue.length) }), ' 件'));
      els.stats.appendChild(h('span', null, '今天到期 ', h('b', { id: 'due-today', text: String(dueToday) }), ' 件'));
      els.stats.appendChild(h('span', { class: overdue ? 'badge bad' : 'badge' }, '已超期 ' + overdue + ' 件'));
      els.stats.appendChild(h('span', null, '本次已审 ', h('b', { id: 'decided', text: String(state.decided) })));
      T.clear(els.queue);
      state.queue.forEach(function (x, i) {
        var li = h('li', { class: (x.overdue ? 'overdue ' : '') + (x.resubmission ? 'resub' : ''), 'data-id': x.id },
          h('button', { type: 'button', onclick: function () { open(i); } },
            h('b', { text: x.student_no }), x.resubmission ? h('span', { class: 'badge warn', text: '重新提交' }) : null,
            x.claimed && !x.claimed_by_me ? h('span', { class: 'badge', text: '他人处理中' }) : null,
            h('div', { class: 'hint', text: '截止 ' + T.dateTime(x.due_at) })));
        els.queue.appendChild(li);
      });
      if (!state.queue.length) {
        state.index = -1; state.item = null;
        T.clear(els.center).appendChild(h('p', { class: 'msg ok', id: 'queue-empty', text: '队列已清空，辛苦了！新提交的照片会自动出现。' }));
        T.clear(els.side);
        clearTimeout(state.poll);
        state.poll = setTimeout(function () { loadQueue(0); }, 3000);
        return;
      }
      var at = 0;
      state.queue.forEach(function (x, i) { if (x.id === keepId) at = i; });
      open(Math.min(at, state.queue.length - 1));
    }, function (e) { T.clear(els.center).appendChild(window.Staff.errorBox(e)); });
  }

  function release() {
    var it = state.item;
    if (it && it.state === 'pending' && it.mine) T.api('POST', '/api/review/items/' + it.id + '/release').catch(function () { /* lease expires anyway */ });
  }

  function open(i) {
    if (i < 0 || i >= state.queue.length) return;
    if (state.item && state.queue[i] && state.item.id === state.queue[i].id && state.index === i) return;
    release();
    state.index = i;
    state.mode = 'idle';
    state.picked = {};
    state.zoom = null;
    els.queue.querySelectorAll('li').forEach(function (li, k) { li.setAttribute('aria-current', k === i ? 'true' : 'false'); });
    var q = state.queue[i];
    T.clear(els.center).appendChild(h('p', { class: 'hint', text: '正在载入 ' + q.student_no + ' 的照片…' }));
    T.clear(els.side);
    T.api('POST', '/api/review/items/' + q.id + '/claim').then(function (c) {
      return T.api('GET', '/api/review/items/' + q.id).then(function (r) {
        if (state.index !== i) return;
        state.item = r.item;
        state.item.mine = true;
        state.item.claimUntil = c.claim_until;
        show();
      });
    }, function (e) {
      if (state.index !== i) return;
      state.item = null;
      T.clear(els.center).appendChild(window.Staff.errorBox(e));
      els.center.appendChild(h('p', { class: 'hint', text: '按 J 看下一张。' }));
    });
  }

  function regionFor(z, checks) {
    var boxes = (checks || []).filter(function (c) { return R.checkGroup(c) === z.group && c.region && c.region.length === 4 && c.region[2] > 0; }).map(function (c) { return c.region; });
    if (!boxes.length) return null;
    var x0 = Math.min.apply(null, boxes.map(function (b) { return b[0]; })), y0 = Math.min.apply(null, boxes.map(function (b) { return b[1]; }));
    var x1 = Math.max.apply(null, boxes.map(function (b) { return b[0] + b[2]; })), y1 = Math.max.apply(null, boxes.map(function (b) { return b[1] + b[3]; }));
    return [x0, y0, x1 - x0, y1 - y0];
  }

  function show() {
    var it = state.item, a = it.attempt || {};
    var checks = a.checks || [];
    var std = window.PhotoFrame.regionFrame(a.images.standardized, '标准照');
    var orig = window.PhotoFrame.regionFrame(a.images.original, '原图，标出了检查区域');
    var flagged = checks.filter(function (c) { return c.status !== 'pass'; });
    orig.mark(flagged);
    els.orig = orig;
    var tools = h('div', { class: 'zoom-tools', role: 'group', 'aria-label': '放大' });
    ZOOMS.forEach(function (z) {
      var b = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', 'data-zoom': z.key, text: z.label + '（' + z.key.toUpperCase() + '）' });
      b.addEventListener('click', function () { setZoom(z.key); });
      tools.appendChild(b);
    });
    tools.appendChild(h('button', { type: 'button', class: 'secondary', text: '复原', onclick: function () { setZoom(null); } }));
    var regionsToggle = h('input', { type: 'checkbox', id: 'show-regions', checked: true });
    regionsToggle.addEventListener('change', function () { orig.overlay.style.display = regionsToggle.checked ? '' : 'none'; });
    var earlier = (it.earlier_attempts || []).filter(function (x) { return x.images && x.images.standardized; });
    var who = it.student || {};
    T.clear(els.center).appendChild(h('h2', { id: 'item-title' }, (who.name || '') + ' 的照片', it.resubmission ? h('span', { class: 'badge warn', text: ' 驳回后重新提交' }) : null));
    // Who this should be: the roster's name and number, next to the face (the view is audited).
    els.center.appendChild(h('dl', { class: 'who', id: 'student' },
      h('div', null, h('dt', { text: '姓名' }), h('dd', { id: 'student-name', text: who.name || '—' })),
      h('div', null, h('dt', { text: '学号' }), h('dd', { id: 'student-no', text: who.student_no || '—' })),
      h('div', null, h('dt', { text: '学院' }), h('dd', { text: [who.college, who.major].filter(Boolean).join(' · ') || '—' })),
      h('div', null, h('dt', { text: '本账号照片' }), h('dd', { id: 'attempt-count', text: (earlier.length + 1) + ' 张（含本次）' }))));
    // 同一人核验: a photo unlike the account's earlier ones is the loudest thing on the page, with
    // the least similar earlier photo beside this one.
    var same = checks.filter(function (c) { return c.id === 'same_person' && c.status !== 'pass' && c.detail && c.detail.least_similar_attempt; })[0];
    if (same) {
      var other = (it.earlier_attempts || []).filter(function (x) { return x.id === same.detail.least_similar_attempt; })[0];
      els.center.appendChild(h('div', { class: 'card alert same-person', role: 'alert' },
        h('h3', { text: '⚠ 可能不是同一个人' }),
        h('p', { text: '与本账号（' + (who.name || '') + ' ' + (who.student_no || '') + '）之前上传的照片' + (other ? '（' + T.dateTime(other.created_at) + '）' : '') + '相似度 ' + same.value.toFixed(2) +
          '（同一人至少 ' + same.threshold + '）。请并排比对后再决定。' }),
        h('div', { class: 'photos' },
          h('figure', null, h('img', { src: a.images.standardized || a.images.original, alt: '本次照片' }), h('figcaption', { text: '本次照片' })),
          other ? h('figure', null, h('img', { src: other.images.standardized || other.images.original, alt: '之前的照片' }),
            h('figcaption', { text: '之前的照片 · ' + T.dateTime(other.created_at) })) : null)));
    }
    // 与录取照片比对: the school's admission photo beside this one, with the score; loud when weak.
    var ref = it.reference;
    if (ref && ref.image) {
      var scored = typeof ref.similarity === 'number';
      var weak = scored && !ref.same_person;
      var says = !scored ? (ref.state === 'ready' ? '这张照片未能与录取照片比对，请人工比对。' : ref.state === 'no_face' ? '录取照片中没有可比对的人脸，请人工比对。' : '录取照片尚未处理完，请人工比对。')
        : '相似度 ' + ref.similarity.toFixed(2) + '（同一人至少 ' + ref.threshold + '）' + (weak ? '：可能不是同一个人，或修图过重。' : '：一致。');
      els.center.appendChild(h('div', { class: 'card reference' + (weak ? ' alert same-person' : ''), id: 'reference', role: weak ? 'alert' : null },
        h('h3', { text: (weak ? '⚠ ' : '') + '与录取照片比对' }),
        h('p', { id: 'reference-score', text: says }),
        h('div', { class: 'photos' },
          h('figure', null, h('img', { src: a.images.standardized || a.images.original, alt: '本次照片' }), h('figcaption', { text: '本次照片' })),
          h('figure', null, h('img', { src: ref.image, alt: '学校提供的录取照片' }), h('figcaption', { text: '录取照片（学校提供，查看已记录）' })))));
    }
    els.center.appendChild(h('p', { class: 'hint', id: 'item-due', text: '提交 ' + T.dateTime(it.submitted_at) + ' · 截止 ' + T.dateTime(it.due_at) +
      (it.warnings_confirmed ? ' · 学生已确认提示项' : '') }));
    els.center.appendChild(tools);
    els.center.appendChild(h('label', { class: 'check-line', for: 'show-regions' }, regionsToggle, '标出检查区域'));
    els.center.appendChild(h('div', { class: 'photos' },
      h('figure', null, orig.el, h('figcaption', { text: '原图（检查区域，可放大）' })),
      h('figure', null, std.el, h('figcaption', { text: '标准照' })),
      h('figure', null, h('div', { class: 'earlier' }, earlier.length ? earlier.map(function (x) {
        var said = (it.decisions || []).filter(function (d) { return d.attempt_id === x.id && d.decision !== 'override'; }).pop();
        return h('figure', null, h('img', { src: x.images.standardized, alt: '之前的照片 ' + T.dateTime(x.created_at) }),
          h('figcaption', { text: T.dateTime(x.created_at) + (said ? (said.decision === 'approved' ? ' · 曾通过' : ' · 曾驳回') : ' · 未提交') }));
      }) : h('p', { class: 'hint', text: '没有更早的照片' })), h('figcaption', { text: '更早的照片（' + earlier.length + '）' }))));
    var decisions = it.decisions || [];
    if (decisions.length) els.center.appendChild(h('div', { class: 'card' }, h('h3', { text: '以前的决定' }),
      h('ul', null, decisions.map(function (d) {
        return h('li', { text: T.dateTime(d.at) + ' ' + (d.decision === 'approved' ? '通过' : '驳回：' + (d.reasons || []).join('、')) + (d.note ? '（' + d.note + '）' : '') });
      }))));

    var sorted = checks.slice().sort(function (x, y) { var o = { fail: 0, warn: 1, pass: 2 }; return o[x.status] - o[y.status]; });
    T.clear(els.side).appendChild(h('h2', { text: '自动检查' }));
    els.side.appendChild(h('ul', { class: 'checks-list' }, sorted.map(function (c) {
      var name = R.checkName(c);
      var li = h('li', null, h('span', { class: 'badge ' + c.status, text: R.statusWords[c.status] || c.status }), h('span', null, name, c.status !== 'pass' && c.message ? h('span', { class: 'hint', text: ' ' + c.message }) : null));
      if (c.region) li.addEventListener('click', function () { orig.mark([c]); orig.zoom(c.region); });
      return li;
    })));
    els.decision = h('div', { class: 'card', id: 'decision' });
    els.side.appendChild(h('h2', { text: '决定' }));
    els.side.appendChild(els.decision);
    renderDecision();
  }

  function setZoom(key) {
    if (!state.item || !els.orig) return;
    state.zoom = key;
    var z = ZOOMS.filter(function (x) { return x.key === key; })[0];
    var region = z ? regionFor(z, state.item.attempt.checks) : null;
    els.orig.zoom(region);
    els.center.querySelectorAll('[data-zoom]').forEach(function (b) { b.setAttribute('aria-pressed', b.dataset.zoom === key ? 'true' : 'false'); });
    T.announce(z ? (region ? '已放大' + z.label : '没有' + z.label + '的检查区域') : '已复原');
  }

  function renderDecision(message) {
    var d = T.clear(els.decision);
    if (state.mode === 'approve') {
      d.appendChild(h('p', { class: 'decision-state', id: 'decision-state', text: '通过这张照片？按 Enter 确认，Esc 取消。' }));
      d.appendChild(h('div', { class: 'actions' }, h('button', { type: 'button', id: 'confirm', text: '确认通过（Enter）', onclick: confirm }),
        h('button', { type: 'button', class: 'secondary', text: '取消（Esc）', onclick: cancel })));
    } else if (state.mode === 'reject') {
      d.appendChild(h('p', { class: 'decision-state', id: 'decision-state', text: '选择驳回原因（数字键），Enter 确认。' }));
      var ul = h('ul', { class: 'reasons', id: 'reasons' });
      state.reasons.forEach(function (r, i) {
        var cb = h('input', { type: 'checkbox', id: 'reason-' + i, checked: !!state.picked[r] });
        cb.addEventListener('change', function () { if (cb.checked) state.picked[r] = true; else delete state.picked[r]; renderDecision(); });
        ul.appendChild(h('li', null, h('label', { for: 'reason-' + i }, cb, kbd(KEYS[i] || ''), r)));
      });
      d.appendChild(ul);
      if (state.picked['其他']) d.appendChild(h('div', null, h('label', { for: 'other', text: '其他原因' }), h('input', { id: 'other', type: 'text', maxlength: 200, value: state.other || '' })));
      d.appendChild(h('label', { for: 'note', text: '给学生的留言（可选）' }));
      d.appendChild(h('textarea', { id: 'note', maxlength: 500 }, state.note || ''));
      d.appendChild(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', id: 'confirm', text: '确认驳回（Enter）', onclick: confirm }),
        h('button', { type: 'button', class: 'secondary', text: '取消（Esc）', onclick: cancel })));
      ['other', 'note'].forEach(function (id) {
        var el = document.getElementById(id);
        if (el) el.addEventListener('input', function () { state[id] = el.value; });
      });
    } else {
      d.appendChild(h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'approve', text: '通过（A）', onclick: function () { state.mode = 'approve'; renderDecision(); } }),
        h('button', { type: 'button', class: 'danger', id: 'reject', text: '驳回（R）', onclick: function () { state.mode = 'reject'; renderDecision(); } })));
    }
    if (message) d.appendChild(h('p', { class: 'msg error', role: 'alert', text: message }));
  }

  function cancel() { state.mode = 'idle'; state.picked = {}; renderDecision(); }

  function confirm() {
    var it = state.item;
    if (!it || state.busy) return;
    var body, path;
    if (state.mode === 'approve') { path = 'approve'; body = { note: '' }; }
    else if (state.mode === 'reject') {
      var reasons = Object.keys(state.picked);
      if (!reasons.length) return renderDecision('请至少选择一个驳回原因');
      if (state.picked['其他'] && !(state.other || '').trim()) return renderDecision('选择“其他”时请写明原因');
      path = 'reject'; body = { reasons: reasons, other: (state.other || '').trim(), note: (state.note || '').trim() };
    } else return;
    state.busy = true;
    T.api('POST', '/api/review/items/' + it.id + '/' + path, body).then(function () {
      state.busy = false;
      state.decided++;
      T.announce(((it.student && it.student.name) || '这张照片') + (path === 'approve' ? ' 已通过' : ' 已驳回'));
      it.state = 'decided';
      state.item = null; state.other = ''; state.note = '';
      var next = state.queue[state.index + 1];
      return loadQueue(next ? next.id : 0);
    }, function (e) { state.busy = false; renderDecision(e.message); });
  }

  function onKey(ev) {
    var t = ev.target, typing = t && (t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && t.type === 'text'));
    // Ctrl+Enter confirms from inside the note too.
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && state.mode !== 'idle') { ev.preventDefault(); confirm(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'Escape') { if (state.mode !== 'idle') { ev.preventDefault(); cancel(); } return; }
    if (ev.key === 'Enter') {
      if (state.mode === 'idle' || (typing && t.tagName === 'TEXTAREA')) return;
      if (t && t.tagName === 'BUTTON' && !t.id.match(/^confirm$/)) { ev.preventDefault(); }
      ev.preventDefault();
      confirm();
      return;
    }
    if (typing) return;
    var k = ev.key.toLowerCase();
    if (state.mode === 'reject' && KEYS.indexOf(k) >= 0) {
      var r = state.reasons[KEYS.indexOf(k)];
      if (r) { ev.preventDefault(); if (state.picked[r]) delete state.picked[r]; else state.picked[r] = true; renderDecision(); if (r === '其他' && state.picked[r]) document.getElementById('other').focus(); }
      return;
    }
    if (k === 'j') { ev.preventDefault(); open(state.index + 1); }
    else if (k === 'k') { ev.preventDefault(); open(state.index - 1); }
    else if (k === 'a' && state.item) { ev.preventDefault(); state.mode = 'approve'; renderDecision(); }
    else if (k === 'r' && state.item) { ev.preventDefault(); state.mode = 'reject'; renderDecision(); }
    else if (k === 'e' || k === 'o' || k === 'n') { ev.preventDefault(); setZoom(state.zoom === k ? null : k); }
    else if (k === '0') { ev.preventDefault(); setZoom(null); }
  }

  window.addEventListener('pagehide', release);
  window.Staff.start({ title: '图采审核台', roles: ['reviewer', 'operator'], onReady: function (me, main) { render(main); } });
})();
