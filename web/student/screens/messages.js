// The inbox (what the office and the reviewers sent) and the thread with support.
(function (A) {
  'use strict';
  var T = window.T, h = T.h, Flow = A.Flow, main = A.main, msgBox = A.msgBox, say = A.say, busy = A.busy;

  A.views.inbox = function () {
    var card = h('div', { class: 'card' }, h('h1', { text: '消息' }));
    var list = h('ul', { class: 'messages', id: 'inbox-list' });
    card.appendChild(list);
    main.appendChild(card);
    Flow.inbox().then(function (r) {
      var msgs = (r.items || []).slice().reverse();
      if (!msgs.length) list.appendChild(h('li', { text: '暂无消息' }));
      msgs.forEach(function (m) {
        list.appendChild(h('li', { class: m.read ? '' : 'unread' },
          h('div', { class: 'meta', text: T.dateTime(m.created_at) + (m.read ? '' : ' · 未读') }),
          h('b', { text: m.title || '' }), h('div', { text: m.body || '' })));
      });
      var last = msgs.reduce(function (mx, m) { return Math.max(mx, m.id); }, 0);
      if (r.unread && last) Flow.markRead(last).then(A.loadUnread, function () { /* stays unread */ });
    }, function (e) { list.appendChild(h('li', { class: 'msg error', text: e.message })); });
  };

  A.views.support = function () {
    var list = h('ul', { class: 'messages', id: 'support-list', 'aria-live': 'polite' });
    var text = h('textarea', { id: 'support-text', maxlength: 1000, required: true });
    var send = h('button', { type: 'submit', id: 'support-send', text: '发送' });
    var box = msgBox();
    function load() {
      return Flow.thread().then(function (r) {
        T.clear(list);
        var msgs = r.messages || [];
        if (!msgs.length) list.appendChild(h('li', { text: '还没有留言。遇到问题可以在下面写给客服。' }));
        msgs.forEach(function (m) {
          var mine = m.from === 'student';
          list.appendChild(h('li', { class: mine ? 'mine' : 'theirs' },
            h('div', { class: 'meta', text: (mine ? '我' : '客服') + ' · ' + T.dateTime(m.created_at) }), h('div', { text: m.body || '' }), m.attachment ? h('img', { src: m.attachment, alt: '附件图片', class: 'attachment' }) : null));
        });
      }, function (e) { say(box, e.message); });
    }
    var form = h('form', { class: 'card' }, h('h1', { text: '联系客服' }), list,
      h('label', { for: 'support-text', text: '留言' }), text, box, h('div', { class: 'actions' }, send));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!text.value.trim()) { say(box, '请写下你的问题'); text.focus(); return; }
      busy(send, true, '正在发送…');
      Flow.send(text.value.trim()).then(function () { text.value = ''; say(box, '已发送，客服会尽快回复', 'ok'); return load(); }, function (e) { say(box, e.message); })
        .then(function () { busy(send, false, ''); });
    });
    main.appendChild(form);
    load();
  };
})(window.Student);
