// The privacy notice, shown and accepted before the collection-code step (the site takes an ID
// number and a face photo). Its text and version come together from the server
// (GET /api/student/privacy; src/identity/consent_notice.c), and the page accepts the version of
// the text it showed; a newer notice meanwhile is refused (409 consent_outdated) and said so.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, main = A.main, msgBox = A.msgBox, say = A.say, busy = A.busy;
  var advance = A.advance;

  function noticeBody(notice) {
    var wrap = h('div', { class: 'notice' });
    (notice.sections || []).forEach(function (s) { wrap.appendChild(h('h2', { text: s.title })); wrap.appendChild(h('p', { text: s.text })); });
    return wrap;
  }

  A.views.privacy = function () {
    var card = h('div', { class: 'card' }, h('h1', { text: '隐私说明' }));
    main.appendChild(card);
    var notice = S.privacy;
    if (!notice || !notice.sections) {
      // Not loaded (a dropped connection): load it, then draw the screen again.
      var wait = msgBox();
      card.appendChild(wait);
      say(wait, '正在加载隐私说明…', 'ok');
      Flow.privacy().then(function (p) { S.privacy = p; if (A.currentView === 'privacy') A.route(); }, function (e) { say(wait, e.message); });
      return;
    }
    var accepted = notice.accepted_at;
    card.appendChild(h('p', { text: '本站需要你的身份证号和面部照片。开始之前，请阅读以下说明。' }));
    card.appendChild(noticeBody(notice));
    if (accepted) {
      card.appendChild(h('p', { class: 'msg ok', id: 'privacy-accepted', text: '你已于 ' + T.dateTime(accepted) + ' 同意本说明。' }));
      card.appendChild(h('p', null, h('a', { href: S.me ? '#/' + (S.stage === 'privacy' ? 'code' : 'me') : '#/login', text: '← 返回' })));
      return;
    }
    var box = msgBox();
    var agree = h('input', { type: 'checkbox', id: 'privacy-agree' });
    var next = h('button', { type: 'button', id: 'privacy-accept', text: '同意并继续', disabled: true });
    agree.addEventListener('change', function () { next.disabled = !agree.checked; });
    next.addEventListener('click', function () {
      busy(next, true, '正在保存…');
      Flow.acceptPrivacy(notice.version).then(function () {
        T.announce('已同意隐私说明');
        return advance();
      }, function (e) { busy(next, false, ''); say(box, e.message); });
    });
    card.appendChild(h('label', { class: 'check-line', for: 'privacy-agree' }, agree, '我已阅读并同意以上隐私说明'));
    card.appendChild(box);
    card.appendChild(h('div', { class: 'actions' }, next));
    card.appendChild(h('p', { class: 'hint', text: '如果不同意，你可以不继续，本站不会收集你的学籍信息和照片。' }));
  };
})(window.Student);
