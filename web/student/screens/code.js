// Step 2, the collection code: the student's school and the photo of the code CHSI gave them.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, store = A.store, main = A.main, msgBox = A.msgBox;
  var say = A.say, advance = A.advance;

  // ---- 2. collection code --------------------------------------------------------------------

  A.views.code = function () {
    var school = h('select', { id: 'school', required: true }, h('option', { value: '', text: '正在加载学校…' }));
    var album = h('input', { id: 'code-file', type: 'file', accept: 'image/*', class: 'visually-hidden' });
    var camera = h('input', { id: 'code-camera', type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden' });
    var bar = h('span');
    var progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': '上传进度', 'aria-valuemin': 0, 'aria-valuemax': 100, hidden: true }, bar);
    // The last 4 characters of the ID number, as the national service asks with the code.
    var last4 = h('input', { id: 'id-last4', type: 'text', inputmode: 'text', autocomplete: 'off', maxlength: 4, required: true,
      'aria-describedby': 'id-last4-hint', class: 'short' });
    var box = msgBox();
    function send(file) {
      if (!file) return;
      if (!school.value) { say(box, '请先选择学校'); school.focus(); return; }
      var four = last4.value.trim().toUpperCase();
      if (!/^\d{3}[\dX]$/.test(four)) { say(box, '请填写身份证号的后 4 位（最后一位可以是 X）'); last4.focus(); album.value = ''; camera.value = ''; return; }
      var fd = new FormData();
      fd.append('school_id', school.value);
      fd.append('id_last4', four);
      fd.append('code', file, file.name || 'code.jpg');
      progress.hidden = false;
      say(box, '正在识别采集码…', 'info');
      store.set('school', school.value);
      Flow.readCode(fd, function (f) {
        bar.style.width = Math.round(f * 100) + '%';
        progress.setAttribute('aria-valuenow', Math.round(f * 100));
      }).then(function (r) {
        store.set('claim', r);
        T.announce('采集码识别成功');
        return advance();
      }, function (e) {
        progress.hidden = true;
        say(box, e.code === 'no_code_found' ? A.sentence(e.message, '请上传从学信网长按保存的采集码原图。') : e.message);
      }).then(function () { album.value = ''; camera.value = ''; });
    }
    album.addEventListener('change', function () { send(album.files[0]); });
    camera.addEventListener('change', function () { send(camera.files[0]); });
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: '上传采集码' }),
      h('p', { text: '采集码是学信网为你生成的个人加密二维码，用来确认你的学籍信息。' }),
      h('label', { for: 'school', text: '学校' }), school,
      h('label', { for: 'id-last4', text: '身份证号后 4 位' }), last4,
      h('p', { id: 'id-last4-hint', class: 'hint', text: '用于核对采集码是否是你本人的，最后一位是 X 的请填 X。' }),
      h('div', { class: 'actions' },
        h('label', { for: 'code-file', class: 'button', text: '从相册选择采集码', role: 'button', tabindex: 0, id: 'pick-code' }), album,
        h('label', { for: 'code-camera', class: 'button secondary', text: '扫描采集码（拍照）', role: 'button', tabindex: 0 }), camera),
      progress, box,
      h('p', { class: 'hint' }, '请在学信网长按二维码保存原图，不要截屏。', h('a', { href: '#/help/code', text: '如何获取采集码？' }))));
    // Labels acting as buttons: Enter and Space open the file picker for keyboard users.
    main.querySelectorAll('label.button').forEach(function (l) {
      l.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); document.getElementById(l.htmlFor).click(); } });
    });
    loadSchools().then(function (list) {
      T.clear(school);
      school.appendChild(h('option', { value: '', text: '请选择学校' }));
      list.forEach(function (s) { school.appendChild(h('option', { value: s.id, text: s.name + '（' + s.code + '）' })); });
      var remembered = store.get('school');
      if (list.length === 1) school.value = String(list[0].id);
      else if (remembered) school.value = String(remembered);
    }, function (e) { say(box, e.message); });
  };
  function loadSchools() {
    if (S.schools) return Promise.resolve(S.schools);
    return Flow.schools().then(function (r) { S.schools = r.schools || []; return S.schools; });
  }
})(window.Student);
