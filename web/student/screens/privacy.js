// The privacy notice, shown and accepted before the collection-code step (the site takes an ID
// number and a face photo). The server stores which version was accepted and when (consent.h);
// NOTICE_VERSION here must be the server's CONSENT_VERSION, and a newer server version makes the
// page say so (409 consent_outdated) instead of recording consent to a text nobody showed.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, S = A.S, Flow = A.Flow, main = A.main, msgBox = A.msgBox, say = A.say, busy = A.busy;
  var advance = A.advance;

  var NOTICE_VERSION = '2026-11-v1';
  // What is collected, why, how long, who sees it, how to delete it.
  var SECTIONS = [
    ['收集哪些信息', '手机号（登录和接收通知）；采集码中的学籍信息（姓名、学号、身份证号、学校、学院、专业、学历层次、毕业年份），你填写的身份证号后 4 位只用于核对；你拍摄或上传的照片，以及由它生成的标准照；选择邮寄纸质照片时的收件地址；支付订单信息。'],
    ['为什么收集', '只用于完成毕业生图像采集：核对你的学籍，检查照片是否符合规格，供学校审核，并按规定报送学信网（中国高等教育学生信息网）和制作证书。不会用于其他目的，也不会出售或提供给第三方用于营销。'],
    ['保存多久', '照片和学籍信息加密保存。采集结束并报送后，原始照片按学校规定的期限删除；未完成采集的照片可以随时申请删除。'],
    ['谁能看到', '你本人；你所在学校的审核老师和研究生培养科（只能看到本校学生）；平台运营人员在处理问题时。每一次工作人员查看照片都会留下记录。'],
    ['如何删除', '在“我的”页面点“申请删除”，运营方会删除你已上传的照片（审核通过并报送后，按学校规定处理）。有疑问可以给客服留言。']
  ];

  function noticeBody() {
    var wrap = h('div', { class: 'notice' });
    SECTIONS.forEach(function (s) { wrap.appendChild(h('h2', { text: s[0] })); wrap.appendChild(h('p', { text: s[1] })); });
    return wrap;
  }
  A.privacyNotice = noticeBody;
  A.PRIVACY_VERSION = NOTICE_VERSION;

  A.views.privacy = function () {
    var card = h('div', { class: 'card' }, h('h1', { text: '隐私说明' }));
    main.appendChild(card);
    var accepted = S.privacy && S.privacy.accepted_at;
    card.appendChild(h('p', { text: '本站需要你的身份证号和面部照片。开始之前，请阅读以下说明。' }));
    card.appendChild(noticeBody());
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
      Flow.acceptPrivacy(NOTICE_VERSION).then(function () {
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
