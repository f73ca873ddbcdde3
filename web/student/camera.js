// The in-page camera: rear camera through getUserMedia, a head-and-shoulders outline over the live
// view, and light live hints from a quick look at small frames (skin-tone area for size, position
// and tilt, mean brightness for darkness). The real checks run on the server after the shot; these
// hints only help the photographer frame it.
(function () {
  'use strict';
  var T = window.T;

  function supported() { return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia); }

  function outline() {
    var s = T.svg;
    // Viewbox 300x400 (3:4 like the standard photo): the head where the standard wants it.
    return s('svg', { class: 'outline', viewBox: '0 0 300 400', preserveAspectRatio: 'xMidYMid slice', 'aria-hidden': 'true' },
      s('path', { d: 'M0 0 H300 V400 H0 Z M150 52 C112 52 90 86 90 146 C90 200 112 236 128 252 L126 286 C86 292 46 320 40 400 H260 C254 320 214 292 174 286 L172 252 C188 236 210 200 210 146 C210 86 188 52 150 52 Z',
        fill: 'rgba(0,0,0,0.35)', 'fill-rule': 'evenodd' }),
      s('ellipse', { cx: 150, cy: 146, rx: 60, ry: 94, fill: 'none', stroke: '#fff', 'stroke-width': 3, 'stroke-dasharray': '10 6' }),
      s('path', { d: 'M40 400 C46 320 92 290 150 288 C208 290 254 320 260 400', fill: 'none', stroke: '#fff', 'stroke-width': 3, 'stroke-dasharray': '10 6' }),
      s('line', { x1: 150, y1: 40, x2: 150, y2: 60, stroke: '#fff', 'stroke-width': 2 }));
  }

  // One look at a frame: returns {ok, text}. Works on a 60x80 sample of the centre 3:4 crop.
  function assess(video, canvas) {
    var vw = video.videoWidth, vh = video.videoHeight;
    if (!vw || !vh) return { ok: false, text: '正在打开摄像头…' };
    var cw = Math.min(vw, vh * 3 / 4), ch = cw * 4 / 3;
    var W = 60, H = 80;
    canvas.width = W; canvas.height = H;
    var ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, (vw - cw) / 2, (vh - ch) / 2, cw, ch, 0, 0, W, H);
    var d = ctx.getImageData(0, 0, W, H).data;
    var sum = 0, n = 0, m00 = 0, m10 = 0, m01 = 0, m20 = 0, m02 = 0, m11 = 0, minX = W, maxX = 0, minY = H, maxY = 0;
    for (var y = 0; y < H; y++) for (var x = 0; x < W; x++) {
      var i = (y * W + x) * 4, r = d[i], g = d[i + 1], b = d[i + 2];
      var Y = 0.299 * r + 0.587 * g + 0.114 * b;
      sum += Y; n++;
      var cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
      // Skin in YCbCr, upper two thirds only (the face, not the hands or a skin-coloured shirt).
      if (y < H * 0.66 && Y > 40 && cb > 77 && cb < 127 && cr > 133 && cr < 173) {
        m00++; m10 += x; m01 += y; m20 += x * x; m02 += y * y; m11 += x * y;
        if (x < minX) minX = x; if (x > maxX) maxX = x; if (y < minY) minY = y; if (y > maxY) maxY = y;
      }
    }
    var mean = sum / n;
    if (mean < 60) return { ok: false, text: '光线太暗：请到明亮处，面向光源' };
    if (m00 < W * H * 0.02) return { ok: false, text: '没有看到人脸：请让头部进入取景框' };
    var cx = m10 / m00, cy = m01 / m00;
    var width = Math.sqrt(m00 / (Math.PI * 0.75)) * 2 / W; // ellipse with height/width 4:3 -> face width share
    if (width < 0.28) return { ok: false, text: '离得太远：请靠近一些' };
    if (width > 0.62) return { ok: false, text: '离得太近：请退后一些' };
    if (Math.abs(cx / W - 0.5) > 0.12) return { ok: false, text: cx / W < 0.5 ? '人像偏左：请把手机向左移' : '人像偏右：请把手机向右移' };
    var mu20 = m20 / m00 - cx * cx, mu02 = m02 / m00 - cy * cy, mu11 = m11 / m00 - cx * cy;
    var angle = 0.5 * Math.atan2(2 * mu11, mu20 - mu02) * 180 / Math.PI; // major axis: ±90 is upright
    var tilt = 90 - Math.abs(angle);
    if (mu02 > mu20 * 1.15 && tilt > 10) return { ok: false, text: '头部歪斜：请坐正，头保持竖直' };
    if (maxY - minY > 0 && minY < H * 0.05) return { ok: false, text: '头顶太靠上：请把手机稍稍抬高或后退' };
    return { ok: true, text: '位置合适，可以拍摄' };
  }

  // open(container, {onHint}) -> Promise<{capture(): Promise<Blob>, stop()}>
  function open(container, opts) {
    opts = opts || {};
    var video = T.h('video', { autoplay: true, playsinline: true, muted: true, 'aria-label': '摄像头实时画面' });
    var hint = T.h('p', { class: 'live-hint', role: 'status', text: '正在打开摄像头…' });
    var box = T.h('div', { class: 'camera' }, video, outline(), hint);
    container.appendChild(box);
    var canvas = document.createElement('canvas');
    var timer = null, stream = null, lastText = '';
    return navigator.mediaDevices.getUserMedia({ audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1440 } } })
      .then(function (s) {
        stream = s;
        video.muted = true;
        video.srcObject = s;
        return video.play().catch(function () { /* autoplay will start it */ });
      })
      .then(function () {
        var look = function () {
          if (!stream) return;
          var a = assess(video, canvas);
          hint.textContent = a.text;
          hint.className = 'live-hint' + (a.ok ? ' good' : '');
          if (a.text !== lastText && opts.onHint) opts.onHint(a);
          lastText = a.text;
        };
        timer = setInterval(look, 400);
        // The first look as soon as a frame shows, not 400 ms later ("opening" over a live picture).
        video.addEventListener('playing', look);
        look();
        return {
          video: video,
          capture: function () {
            var vw = video.videoWidth, vh = video.videoHeight;
            var c = document.createElement('canvas');
            c.width = vw; c.height = vh;
            c.getContext('2d').drawImage(video, 0, 0, vw, vh);
            return new Promise(function (resolve, reject) {
              c.toBlob(function (b) { if (b) resolve(b); else reject(new Error('拍摄失败，请重试')); }, 'image/jpeg', 0.92);
            });
          },
          stop: stop
        };
      }, function (e) {
        stop();
        box.remove();
        var why = e && e.name === 'NotAllowedError' ? '没有获得摄像头权限' : '无法打开摄像头';
        throw new Error(why + '：可以改用“从相册选择照片”。');
      });
    function stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
    }
  }

  window.Camera = { supported: supported, open: open, assess: assess };
})();
