// Help pages (getting the code, photo rules, deadlines and contacts) and the deletion request.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, R = window.PhotoRules, S = A.S, Flow = A.Flow, main = A.main;

  // ---- help, inbox, support ------------------------------------------------------------------

  A.views.help = function (topic) {
    var back = h('p', null, h('a', { href: S.me ? '#/' + S.stage : '#/login', text: '← 返回' }));
    var tabs = h('nav', { class: 'tabs', 'aria-label': '帮助主题' },
      [['code', '获取采集码'], ['rules', '照片要求'], ['contact', '截止时间与联系']].map(function (t) {
        return h('a', { href: '#/help/' + t[0], 'aria-current': (topic || 'code') === t[0] ? 'page' : null, text: t[1] });
      }));
    var card = h('div', { class: 'card' });
    topic = topic || 'code';
    if (topic === 'code') {
      card.appendChild(h('h1', { text: '如何获取采集码' }));
      card.appendChild(h('p', { text: '采集码是学信网（中国高等教育学生信息网）为每位学生生成的个人加密二维码。以下任一方式都能获取：' }));
      card.appendChild(h('ol', null,
        h('li', null, h('b', { text: '学信网手机客户端：' }), '登录后进入“学籍学历信息”→“图像采集码”。'),
        h('li', null, h('b', { text: '学信网微信公众号：' }), '关注“学信网”，在菜单中进入“学信档案”，登录后选择“图像采集码”。'),
        h('li', null, h('b', { text: '学信网网站：' }), '在电脑或手机浏览器登录学信档案（my.chsi.com.cn），进入“图像采集码”页面。')));
      card.appendChild(h('h2', { text: '保存方法' }));
      card.appendChild(h('p', { text: '在二维码上长按，选择“保存图片”。请不要截屏：截图会压缩和裁切二维码，可能无法识别。' }));
      card.appendChild(h('img', { class: 'code-sample', src: '/student/img/code-sample.svg', alt: '采集码页面示意：长按二维码选择保存图片', width: 200, height: 260 }));
      card.appendChild(h('p', { class: 'hint', text: '一个学籍对应一个采集码。采集码有有效期，过期后请重新获取。' }));
    } else if (topic === 'rules') {
      card.appendChild(h('h1', { text: '照片要求' }));
      card.appendChild(R.ruleList(T));
      card.appendChild(h('h2', { text: '合格与不合格示例' }));
      card.appendChild(R.exampleGrid(T));
      // The standard of the student's own batch (its profile), so the page never promises one background
      // and the engine makes another.
      var ph = S.me && S.me.batch && S.me.batch.photo;
      card.appendChild(h('p', { class: 'hint', text: ph
        ? '标准：' + ph.title + '，' + ph.width + '×' + ph.height + ' 像素，背景颜色 RGB ' + ph.background.join(', ') + '，JPEG。系统会自动裁切、换背景，你只需要按要求拍好。'
        : '标准：按学校规定的规格（学位照为 480×640 像素），JPEG。系统会自动裁切、换成规定的背景颜色，你只需要按要求拍好。' }));
    } else {
      card.appendChild(h('h1', { text: '截止时间与联系方式' }));
      var b = S.me && S.me.batch;
      if (b) card.appendChild(h('dl', { class: 'kv' },
        h('dt', { text: '采集批次' }), h('dd', { text: b.name }),
        h('dt', { text: '开始' }), h('dd', { text: T.date(b.window_start) }),
        h('dt', { text: '截止' }), h('dd', { id: 'deadline', text: T.date(b.window_end - 1) + ' 24:00（北京时间）' }),
        h('dt', { text: '学校' }), h('dd', { text: S.me.record.school_name })));
      else card.appendChild(h('p', { text: '登录并上传采集码后，这里会显示你所在批次的截止时间。' }));
      card.appendChild(h('p', { text: '学籍信息有误、是否需要采集等问题，请联系所在学校的研究生培养科。拍照、缴费和审核的问题，请给客服留言，工作日 24 小时内回复。' }));
      if (S.me) card.appendChild(h('p', null, h('a', { class: 'button', href: '#/support', text: '给客服留言' })));
      if (S.me && S.me.status === 'linked') card.appendChild(deletionCard());
    }
    main.appendChild(back);
    main.appendChild(tabs);
    main.appendChild(card);
  };

  // An unfinished collection's photos can be deleted on request (the operator carries it out).
  // Shown under help and on 我的.
  function deletionCard() {
    var box = h('div', { class: 'card', id: 'deletion' }, h('h2', { text: '删除我上传的照片' }));
    var msg = h('p', { class: 'msg', role: 'status' });
    function show(req) {
      T.clear(box).appendChild(h('h2', { text: '删除我上传的照片' }));
      if (req) {
        box.appendChild(h('p', { class: 'msg info', text: req.state === 'done' ? '你的照片已于 ' + T.dateTime(req.done_at) + ' 删除。' : '已收到你 ' + T.dateTime(req.requested_at) + ' 的删除申请，运营方会尽快处理。' }));
        return;
      }
      box.appendChild(h('p', { class: 'hint', text: '如果你不再需要采集，可以申请删除已上传的照片（审核通过后不能删除）。' }));
      var ask = h('button', { type: 'button', class: 'secondary', id: 'deletion-ask', text: '申请删除' });
      ask.addEventListener('click', function () {
        var sure = h('button', { type: 'button', class: 'danger', id: 'deletion-confirm', text: '确认删除申请' });
        sure.addEventListener('click', function () {
          sure.disabled = true;
          Flow.askDeletion().then(function (r) { show(r.request); T.announce(r.message || '已提交删除申请'); },
            function (e) { sure.disabled = false; msg.className = 'msg error'; msg.textContent = e.message; });
        });
        ask.replaceWith(h('div', { class: 'actions' }, sure));
      });
      box.appendChild(h('div', { class: 'actions' }, ask));
      box.appendChild(msg);
    }
    Flow.deletion().then(function (r) { show(r.request); }, function () { box.remove(); });
    return box;
  }
  A.deletionCard = deletionCard;
})(window.Student);
