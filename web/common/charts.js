// Small SVG charts drawn here rather than pulled from a library: stacked horizontal bars (per
// college) and a multi-series line (per day). Scales with its box (viewBox), readable by screen
// readers through a <title>/<desc> and a data table beside every chart.
(function () {
  'use strict';
  var T = window.T, s = T.svg;

  // rows: [{label, values:[n...]}], series: [{name, color}]
  // Phones get a narrower drawing, so that the text stays readable once scaled to the screen.
  function narrow() { return document.documentElement.clientWidth < 600; }

  // A legend that wraps; returns the height it took.
  function legend(svg, series, W, y0, swatchH) {
    var lx = 0, y = y0;
    series.forEach(function (se) {
      var w = 22 + se.name.length * 12 + 8;
      if (lx + w > W) { lx = 0; y += 18; }
      svg.appendChild(s('rect', { x: lx, y: y, width: 12, height: swatchH, fill: se.color }));
      svg.appendChild(s('text', { x: lx + 16, y: y + 10, 'font-size': 12, fill: '#1b1f24', text: se.name }));
      lx += w;
    });
    return y - y0 + 18;
  }

  function stackedBars(rows, series, title) {
    var W = narrow() ? 340 : 640, rowH = 26, left = narrow() ? 92 : 150, right = 40;
    var probe = s('svg');
    var top = legend(probe, series, W, 4, 12) + 8;
    var H = top + rows.length * rowH + 10;
    var max = Math.max(1, Math.max.apply(null, rows.map(function (r) { return r.values.reduce(function (a, b) { return a + b; }, 0); })));
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', class: 'chart', 'aria-label': title }, s('title', { text: title }));
    legend(svg, series, W, 4, 12);
    rows.forEach(function (r, i) {
      var y = top + i * rowH, x = left, sum = 0;
      var maxChars = Math.floor((left - 8) / 12);
      svg.appendChild(s('text', { x: left - 6, y: y + 16, 'text-anchor': 'end', 'font-size': 12, fill: '#1b1f24', text: r.label.length > maxChars ? r.label.slice(0, maxChars - 1) + '…' : r.label }, s('title', { text: r.label })));
      r.values.forEach(function (v, k) {
        var w = (W - left - right) * v / max;
        if (w > 0) svg.appendChild(s('rect', { x: x, y: y + 3, width: w, height: rowH - 8, fill: series[k].color }, s('title', { text: r.label + ' ' + series[k].name + '：' + v })));
        x += w; sum += v;
      });
      svg.appendChild(s('text', { x: x + 4, y: y + 16, 'font-size': 12, fill: '#4f5863', text: String(sum) }));
    });
    return svg;
  }

  // days: ['YYYY-MM-DD'...], series: [{name, color, values:[n per day]}]
  function lines(days, series, title) {
    var W = narrow() ? 340 : 640, H = narrow() ? 220 : 240, left = 36, right = 12, bottom = 28;
    var top = legend(s('svg'), series, W - left, 4, 4) + 10;
    var max = Math.max(1, Math.max.apply(null, series.map(function (se) { return Math.max.apply(null, se.values.concat([0])); })));
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', class: 'chart', 'aria-label': title }, s('title', { text: title }));
    var pw = W - left - right, ph = H - top - bottom;
    var xAt = function (i) { return left + (days.length <= 1 ? pw / 2 : pw * i / (days.length - 1)); };
    var yAt = function (v) { return top + ph - ph * v / max; };
    for (var g = 0; g <= 4; g++) {
      var v = Math.round(max * g / 4), y = yAt(v);
      svg.appendChild(s('line', { x1: left, x2: W - right, y1: y, y2: y, stroke: '#d5dbe1' }));
      svg.appendChild(s('text', { x: left - 4, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#4f5863', text: String(v) }));
    }
    var step = Math.max(1, Math.ceil(days.length / (narrow() ? 4 : 8)));
    days.forEach(function (d, i) {
      if (i % step === 0 || i === days.length - 1) svg.appendChild(s('text', { x: xAt(i), y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#4f5863', text: d.slice(5) }));
    });
    var key = s('g', { transform: 'translate(' + left + ' 0)' });
    legend(key, series, W - left, 4, 4);
    svg.appendChild(key);
    series.forEach(function (se) {
      var pts = se.values.map(function (v, i) { return xAt(i).toFixed(1) + ',' + yAt(v).toFixed(1); }).join(' ');
      if (days.length > 1) svg.appendChild(s('polyline', { points: pts, fill: 'none', stroke: se.color, 'stroke-width': 2.5 }));
      se.values.forEach(function (v, i) { svg.appendChild(s('circle', { cx: xAt(i), cy: yAt(v), r: 3.5, fill: se.color }, s('title', { text: days[i] + ' ' + se.name + '：' + v }))); });
    });
    return svg;
  }

  window.Charts = { stackedBars: stackedBars, lines: lines };
})();
