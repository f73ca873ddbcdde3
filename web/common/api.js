// Shared by every page: calls to our own JSON API (cookies, the CSRF header on writes, errors as
// Error objects with the server's Chinese message), uploads with progress, and a tiny element
// builder. No inline scripts or styles anywhere: the server's CSP forbids them.
(function () {
  'use strict';

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)tucai_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : '';
  }

  var csrfReady = null;
  function ensureCsrf() {
    if (csrfToken()) return Promise.resolve();
    if (!csrfReady) csrfReady = fetch('/api/csrf', { credentials: 'same-origin' }).then(function () { csrfReady = null; });
    return csrfReady;
  }

  function ApiError(status, code, message) {
    var e = new Error(message || ('请求失败（' + status + '）'));
    e.status = status;
    e.code = code || 'http_' + status;
    return e;
  }

  function parse(res) {
    var type = res.headers.get('content-type') || '';
    if (type.indexOf('application/json') < 0) {
      if (!res.ok) throw ApiError(res.status, null, null);
      return res;
    }
    return res.json().then(function (body) {
      if (!res.ok) {
        var err = (body && body.error) || {};
        var e = ApiError(res.status, err.code, err.message);
        e.body = body; // lists that come with an error (e.g. photo_errors of a refused import)
        throw e;
      }
      return body;
    });
  }

  // api('GET', '/api/x') or api('POST', '/api/x', {json}) or api('POST', '/api/x', formData).
  function api(method, path, body) {
    var write = method !== 'GET' && method !== 'HEAD';
    return (write ? ensureCsrf() : Promise.resolve()).then(function () {
      var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
      if (write) opts.headers['X-CSRF-Token'] = csrfToken();
      if (body instanceof FormData) opts.body = body;
      else if (body !== undefined) {
        opts.headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
      return fetch(path, opts).then(parse, function () {
        throw ApiError(0, 'network', '网络连接失败，请检查网络后重试');
      });
    });
  }

  // POST a FormData with upload progress (fetch has none); onProgress(fraction 0..1).
  function upload(path, form, onProgress) {
    return ensureCsrf().then(function () {
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open('POST', path);
        xhr.withCredentials = true;
        xhr.setRequestHeader('X-CSRF-Token', csrfToken());
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.upload.onprogress = function (e) { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
        xhr.onerror = function () { reject(ApiError(0, 'network', '网络中断，上传没有完成，请重试')); };
        xhr.ontimeout = xhr.onerror;
        xhr.onload = function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
          if (xhr.status >= 200 && xhr.status < 300) return resolve(body || {});
          var err = (body && body.error) || {};
          reject(ApiError(xhr.status, err.code, err.message));
        };
        xhr.send(form);
      });
    });
  }

  // h('div', {class: 'x', onclick: fn, text: '...'}, child, 'text', [more])
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') el.textContent = v;
      else if (k === 'class') el.className = v;
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) return c.forEach(function (x) { append(el, x); });
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') el.textContent = attrs[k];
      else el.setAttribute(k, String(attrs[k]));
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) el.appendChild(arguments[i]);
    return el;
  }

  function money(fen) { return '¥' + (Number(fen || 0) / 100).toFixed(2); }

  function pad(n) { return n < 10 ? '0' + n : String(n); }
  // Dates in Beijing time whatever the device's zone: the notice speaks Beijing time.
  function bj(ms) { return new Date(Number(ms) + 8 * 3600 * 1000); }
  function date(ms) { if (!ms) return '—'; var d = bj(ms); return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()); }
  function dateTime(ms) { if (!ms) return '—'; var d = bj(ms); return date(ms) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()); }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  // Screen-reader announcements through one polite live region per page.
  function announce(text) {
    var live = document.getElementById('live');
    if (!live) return;
    live.textContent = '';
    setTimeout(function () { live.textContent = text; }, 30);
  }

  // A file download through fetch, so that errors show as messages instead of a broken page.
  function download(path, fallbackName) {
    return fetch(path, { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) return parse(res);
      var cd = res.headers.get('content-disposition') || '';
      var m = cd.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
      var name = m ? decodeURIComponent(m[1]) : fallbackName;
      return res.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = h('a', { href: url, download: name });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        return name;
      });
    });
  }

  window.T = { api: api, upload: upload, h: h, svg: svg, money: money, date: date, dateTime: dateTime,
    clear: clear, announce: announce, download: download, csrfToken: csrfToken, ensureCsrf: ensureCsrf };
})();
