// Small SVG charts drawn here rather than pulled from a library: stacked horizontal bars (per
// college) and a multi-series line (per day). Scales with its box (viewBox), readable by screen
// readers through a <title>/<desc> and a data table beside every chart.
(function () {
  'use strict';
  var T = window.T, s = T.svg;

  // rows: [{label, values:[n...]}], series: [{name, color}]
  function stackedBars(rows, series, title) {
    var W = 640, rowH = 26, left = 150, right = 50, top = 28;
    var H = top + rows.length * rowH + 10;
    var max = Math.max(1, Math.max.apply(null, rows.map(function (r) { return r.values.reduce(function (a, b) { return a + b; }, 0); })));
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', class: 'chart', 'aria-label': title }, s('title', { text: title }));
    var lx = 0;
    series.forEach(function (se) {
      svg.appendChild(s('rect', { x: lx, y: 4, width: 12, height: 12, fill: se.color }));
      svg.appendChild(s('text', { x: lx + 16, y: 14, 'font-size': 12, fill: '#1b1f24', text: se.name }));
      lx += 22 + se.name.length * 12 + 8;
    });
    rows.forEach(function (r, i) {
      var y = top + i * rowH, x = left, sum = 0;
      svg.appendChild(s('text', { x: left - 6, y: y + 16, 'text-anchor': 'end', 'font-size': 12, fill: '#1b1f24', text: r.label.length > 11 ? r.label.slice(0, 10) + '…' : r.label }));
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
    var W = 640, H = 240, left = 36, right = 12, top = 28, bottom = 28;
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
    var step = Math.max(1, Math.ceil(days.length / 8));
    days.forEach(function (d, i) {
      if (i % step === 0 || i === days.length - 1) svg.appendChild(s('text', { x: xAt(i), y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#4f5863', text: d.slice(5) }));
    });
    var lx = left;
    series.forEach(function (se) {
      svg.appendChild(s('rect', { x: lx, y: 6, width: 12, height: 4, fill: se.color }));
      svg.appendChild(s('text', { x: lx + 16, y: 12, 'font-size': 12, fill: '#1b1f24', text: se.name }));
      lx += 24 + se.name.length * 12 + 8;
      var pts = se.values.map(function (v, i) { return xAt(i).toFixed(1) + ',' + yAt(v).toFixed(1); }).join(' ');
      if (days.length > 1) svg.appendChild(s('polyline', { points: pts, fill: 'none', stroke: se.color, 'stroke-width': 2.5 }));
      se.values.forEach(function (v, i) { svg.appendChild(s('circle', { cx: xAt(i), cy: yAt(v), r: 3.5, fill: se.color }, s('title', { text: days[i] + ' ' + se.name + '：' + v }))); });
    });
    return svg;
  }

  window.Charts = { stackedBars: stackedBars, lines: lines };
})();
