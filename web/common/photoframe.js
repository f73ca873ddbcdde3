// A photo with the automatic checks' regions drawn over it, and zoom onto a region. Regions are in
// the pixel space of the photo they were measured on (the original upload), so the overlay takes
// the picture's natural size once it has loaded.
(function () {
  'use strict';
  var T = window.T, h = T.h;

  function regionFrame(src, alt) {
    var img = h('img', { src: src, alt: alt });
    var overlay = T.svg('svg', { 'aria-hidden': 'true', preserveAspectRatio: 'none' });
    var layer = h('div', { class: 'layer' }, img, overlay);
    var box = h('div', { class: 'zoombox' }, layer);
    var dims = null, waiting = [];
    img.addEventListener('load', function () {
      dims = [img.naturalWidth, img.naturalHeight];
      overlay.setAttribute('viewBox', '0 0 ' + dims[0] + ' ' + dims[1]);
      box.style.aspectRatio = dims[0] + ' / ' + dims[1];
      waiting.splice(0).forEach(function (f) { f(); });
    });
    function ready(f) { if (dims) f(); else waiting.push(f); }
    function valid(r) { return r && r.length === 4 && r[2] > 0 && r[3] > 0; }
    return {
      el: box, img: img, overlay: overlay,
      // marks: [{region, status}] (status fail -> red, warn -> amber, else blue)
      mark: function (marks) {
        ready(function () {
          T.clear(overlay);
          var sw = Math.max(dims[0], dims[1]) / 140;
          marks.filter(function (m) { return valid(m.region); }).forEach(function (m) {
            overlay.appendChild(T.svg('rect', { x: m.region[0], y: m.region[1], width: m.region[2], height: m.region[3], fill: 'none', rx: sw,
              stroke: m.status === 'fail' ? '#ff2d20' : m.status === 'warn' ? '#f5a000' : '#2f8cff', 'stroke-width': sw, 'data-check': m.id || '' }));
          });
        });
      },
      // Zooms so that the region fills most of the frame; null resets.
      zoom: function (r) {
        ready(function () {
          if (!valid(r)) { layer.style.transform = ''; return; }
          var W = dims[0], H = dims[1];
          var s = Math.max(1.5, Math.min(6, 0.8 * Math.min(W / r[2], H / r[3])));
          var cx = (r[0] + r[2] / 2) / W, cy = (r[1] + r[3] / 2) / H;
          var tx = Math.min(0, Math.max(1 - s, 0.5 - s * cx)), ty = Math.min(0, Math.max(1 - s, 0.5 - s * cy));
          layer.style.transform = 'translate(' + (tx * 100).toFixed(2) + '%, ' + (ty * 100).toFixed(2) + '%) scale(' + s.toFixed(3) + ')';
        });
      },
      valid: valid
    };
  }

  window.PhotoFrame = { regionFrame: regionFrame };
})();
