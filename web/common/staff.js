// The shell of the staff consoles (/review, /admin, /ops): sign-in form, top bar with the user and
// sign-out, and a hash router for the console's sections. Staff.start({title, roles, sections,
// onReady}) calls onReady(me) once a staff member of an allowed role is signed in.
(function () {
  'use strict';
  var T = window.T, h = T.h;
  var ROLE_NAMES = { reviewer: '审核员', school_admin: '学校管理员', operator: '运营人员' };

  function start(opts) {
    var root = document.getElementById('app');
    var flag = 'tucai.staff';
    function signedIn() { try { return localStorage.getItem(flag) === '1'; } catch (e) { return false; } }
    function remember(on) { try { if (on) localStorage.setItem(flag, '1'); else localStorage.removeItem(flag); } catch (e) { /* private mode */ } }

    function loginForm(message) {
      T.clear(root);
      var user = h('input', { id: 'username', type: 'text', autocomplete: 'username', required: true });
      var pass = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
      var box = h('p', { class: 'msg error', role: 'alert', text: message || '' });
      var btn = h('button', { type: 'submit', id: 'signin', text: '登录' });
      var form = h('form', { class: 'card login-box' }, h('h1', { text: opts.title + ' · 登录' }),
        h('label', { for: 'username', text: '用户名' }), user, h('label', { for: 'password', text: '密码' }), pass, box,
        h('div', { class: 'actions' }, btn));
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        btn.disabled = true;
        T.api('POST', '/api/auth/login', { username: user.value.trim(), password: pass.value }).then(function (me) {
          remember(true);
          return T.api('GET', '/api/auth/me').then(ready, function () { ready(me); });
        }, function (e) { btn.disabled = false; box.textContent = e.message; pass.focus(); });
      });
      root.appendChild(h('main', { id: 'main', class: 'wrap' }, form));
      user.focus();
    }

    function ready(me) {
      if (opts.roles.indexOf(me.role) < 0) {
        remember(false);
        T.api('POST', '/api/auth/logout').catch(function () { /* already out */ });
        return loginForm('此账号（' + (ROLE_NAMES[me.role] || me.role) + '）不能使用本页面，请用' + opts.roles.map(function (r) { return ROLE_NAMES[r]; }).join('或') + '账号登录');
      }
      T.clear(root);
      var out = h('button', { type: 'button', class: 'link', id: 'signout', text: '退出' });
      out.addEventListener('click', function () {
        T.api('POST', '/api/auth/logout').catch(function () { /* already out */ }).then(function () { remember(false); location.hash = ''; loginForm(); });
      });
      var nav = null;
      if (opts.sections) {
        nav = h('nav', { class: 'tabs wrap wide', 'aria-label': '功能' });
        opts.sections.forEach(function (s) { nav.appendChild(h('a', { href: '#/' + s.id, 'data-id': s.id, text: s.label })); });
      }
      var main = h('main', { id: 'main', class: 'wrap wide', tabindex: '-1' });
      root.appendChild(h('header', { class: 'topbar' }, h('span', { class: 'title', text: opts.title }),
        h('span', { text: (me.display_name || me.username || '') + '（' + (ROLE_NAMES[me.role] || me.role) + '）' }), out));
      if (nav) root.appendChild(nav);
      root.appendChild(main);
      if (!opts.sections) return opts.onReady(me, main);
      var leave = null; /* what the shown section returned to stop its timers */
      function route() {
        if (leave) leave();
        leave = null;
        var parts = location.hash.replace(/^#\/?/, '').split('/');
        var id = parts[0];
        var sec = opts.sections.filter(function (s) { return s.id === id; })[0] || opts.sections[0];
        nav.querySelectorAll('a').forEach(function (a) { if (a.dataset.id === sec.id) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current'); });
        T.clear(main);
        main.appendChild(h('h1', { text: sec.label }));
        document.title = sec.label + ' · ' + opts.title;
        var r = sec.render(main, me, parts.slice(1));
        if (typeof r === 'function') leave = r;
      }
      window.addEventListener('hashchange', route);
      route();
      if (opts.onReady) opts.onReady(me, main);
    }

    if (!signedIn()) return loginForm();
    T.api('GET', '/api/auth/me').then(ready, function (e) {
      remember(false);
      loginForm(e.status === 401 ? '' : e.message);
    });
  }

  // A small table from rows and column specs [{label, get(row) -> text or node}]. Each cell
  // carries its column's label (data-label), so that on a phone the rows become cards, one
  // "label value" line per cell (base.css), instead of a table wider than the screen.
  function table(cols, rows, empty) {
    if (!rows.length) return h('p', { class: 'hint', text: empty || '暂无数据' });
    return h('div', { class: 'table-scroll' }, h('table', null,
      h('thead', null, h('tr', null, cols.map(function (c) { return h('th', { scope: 'col', text: c.label }); }))),
      h('tbody', null, rows.map(function (r) {
        return h('tr', null, cols.map(function (c) {
          var v = c.get(r);
          return h('td', { 'data-label': c.label }, v === undefined || v === null ? '' : v);
        }));
      }))));
  }

  function errorBox(e) { return h('p', { class: 'msg error', role: 'alert', text: e.message || String(e) }); }

  window.Staff = { start: start, table: table, errorBox: errorBox, ROLE_NAMES: ROLE_NAMES };
})();
