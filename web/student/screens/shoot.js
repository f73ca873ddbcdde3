// Step 6, shoot with the camera or pick from the album; an unfinished upload survives a reload.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, store = A.store, main = A.main, msgBox = A.msgBox;
  var say = A.say, go = A.go;

  // ---- 6. shoot or pick ----------------------------------------------------------------------

  A.views.shoot = function () {
    var box = msgBox();
    var area = h('div');
    var bar = h('span');
    var progress = h('div', { class: 'progress upload-progress', role: 'progressbar', 'aria-label': '上传进度', 'aria-valuemin': 0, 'aria-valuemax': 100, hidden: true }, bar);
    var album = h('input', { id: 'photo-file', type: 'file', accept: 'image/jpeg,image/png,image/heic,image/heif,image/webp', class: 'visually-hidden' });
    var shutter = h('button', { type: 'button', id: 'shutter', text: '拍摄', hidden: true });
    var cam = null, stopped = false, lastHint = null;
    // Some schools forbid photos from the album: the batch says so, and the page offers the camera
    // only (where the browser cannot open it here, the file picker goes straight to the camera).
    var batch = (S.status && S.status.batch) || (S.me && S.me.batch) || {};
    var cameraOnly = !!batch.camera_only;
    if (cameraOnly) album = h('input', { id: 'photo-file', type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden' });
    var rejected = S.status && S.status.state === 'rejected';
    if (S.status && S.status.can_upload === false && ['shooting', 'ready', 'rejected'].indexOf(S.status.state) >= 0) {
      var b = S.status.batch || {};
      main.appendChild(h('div', { class: 'card' }, h('h1', { text: '现在不能上传照片' }),
        h('p', { class: 'msg error', role: 'alert', text: b.open === false ? '本批次采集时间为 ' + T.date(b.window_start) + ' 至 ' + T.date(b.window_end - 1) + '，现在不在采集时间内。' : '当前状态不能上传照片。' }),
        h('p', null, '如有疑问，请', h('a', { href: '#/support', text: '联系客服' }), '或学校研究生培养科。')));
      return;
    }
    main.appendChild(h('div', { class: 'card' },
      h('h1', { text: rejected ? '重新拍摄（免费）' : '拍摄照片' }),
      h('p', { class: 'hint', text: '请他人用后置摄像头拍摄，让头和肩膀对准轮廓。提示变绿后按“拍摄”。' }),
      area, progress, box,
      cameraOnly ? h('p', { class: 'msg info', id: 'camera-only-note', text: '学校要求现场拍摄，本批次不能从相册选择照片。' }) : null,
      h('div', { class: 'actions' }, shutter,
        h('label', { for: 'photo-file', class: 'button secondary', role: 'button', tabindex: 0, id: 'pick-photo', hidden: cameraOnly, text: cameraOnly ? '打开相机拍照' : '从相册选择照片' }), album),
      h('p', { class: 'hint' }, h('a', { href: '#/rules', text: '再看一遍拍照须知' }))));
    main.querySelector('#pick-photo').addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); album.click(); } });

    function send(blob, name) {
      A.pendingPhoto.save(blob, name);
      shutter.disabled = true;
      progress.hidden = false;
      bar.style.width = '0';
      say(box, '正在上传…', 'info');
      Flow.upload(blob, name, function (f) {
        bar.style.width = Math.round(f * 100) + '%';
        progress.setAttribute('aria-valuenow', Math.round(f * 100));
        if (f >= 1) say(box, '上传完成，正在生成标准照…', 'info');
      }).then(function (r) {
        var a = r.attempt || r;
        A.pendingPhoto.clear();
        store.set('attempt', a.id);
        store.del('retake');
        if (cam) cam.stop();
        T.announce('上传完成');
        S.stage = 'preview';
        go('preview');
      }, function (e) {
        shutter.disabled = false;
        progress.hidden = true;
        say(box, e.code === 'network' ? A.sentence(e.message, '网络恢复后再试一次即可。') : e.message);
      });
    }
    // A photo that did not finish uploading before a reload or a dropped connection.
    A.pendingPhoto.load().then(function (p) {
      if (!p || !p.blob || stopped) return;
      var resume = h('button', { type: 'button', id: 'resume-upload', text: '继续上传上次的照片' });
      var drop = h('button', { type: 'button', class: 'secondary', text: '不用了' });
      var note = h('div', { class: 'msg info', id: 'pending-photo' }, h('p', { text: '上次拍的照片（' + T.dateTime(p.at) + '）还没有上传完成。' }), h('div', { class: 'actions' }, resume, drop));
      resume.addEventListener('click', function () { note.remove(); send(p.blob, p.name); });
      drop.addEventListener('click', function () { note.remove(); A.pendingPhoto.clear(); });
      area.parentNode.insertBefore(note, area);
    });
    album.addEventListener('change', function () {
      var f = album.files[0];
      if (f) send(f, f.name);
      album.value = '';
    });
    function shoot() { cam.capture().then(function (b) { send(b, 'camera.jpg'); }, function (e) { say(box, e.message); }); }
    var darkAsk = null;
    shutter.addEventListener('click', function () {
      if (!cam) return;
      // Too dark: such a photo almost always fails the checks, so ask before using it.
      if (lastHint && !lastHint.ok && /太暗/.test(lastHint.text)) {
        if (darkAsk) return;
        var go = h('button', { type: 'button', id: 'dark-shoot', class: 'secondary', text: '仍然拍摄' });
        var wait = h('button', { type: 'button', id: 'dark-wait', text: '换个亮处再拍' });
        darkAsk = h('div', { class: 'msg warn', id: 'dark-ask', role: 'alert' },
          h('p', { text: '光线太暗，拍出的照片很可能不合格。建议到明亮处、面向光源再拍。' }), h('div', { class: 'actions' }, wait, go));
        var close = function () { if (darkAsk) darkAsk.remove(); darkAsk = null; };
        wait.addEventListener('click', close);
        go.addEventListener('click', function () { close(); shoot(); });
        shutter.parentNode.parentNode.insertBefore(darkAsk, shutter.parentNode);
        return;
      }
      shoot();
    });
    if (window.Camera.supported()) {
      window.Camera.open(area, { onHint: function (a) { lastHint = a; } }).then(function (c) {
        if (stopped) { c.stop(); return; }
        cam = c;
        shutter.hidden = false;
      }, function (e) {
        if (cameraOnly) { main.querySelector('#pick-photo').hidden = false; say(box, '无法在页面中打开摄像头，请点“打开相机拍照”。', 'info'); }
        else say(box, e.message, 'info');
      });
    } else if (cameraOnly) {
      main.querySelector('#pick-photo').hidden = false;
      say(box, '此浏览器不能在页面中打开摄像头，请点“打开相机拍照”。', 'info');
    } else {
      say(box, '此浏览器不能直接打开摄像头，请点“从相册选择照片”（手机上可选择“拍照”）。', 'info');
    }
    return function () { stopped = true; if (cam) cam.stop(); };
  };
})(window.Student);
