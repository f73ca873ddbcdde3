// The photo rules as the student reads them, with example pictures, and the names of the automatic
// checks with what to do about each, in plain words (those from the server). Shared by the rules page, the help page and
// the preview.
(function () {
  'use strict';
  var examples = [
    { img: 'good', good: true, title: '合格', text: '浅蓝背景，正面端正，露出眉毛和双耳' },
    { img: 'glasses', title: '戴眼镜', text: '本校要求摘掉眼镜' },
    { img: 'hair', title: '头发遮挡', text: '头发不能遮住眉毛、眼睛和耳朵' },
    { img: 'earrings', title: '佩戴饰品', text: '摘掉耳环、项链等饰品' },
    { img: 'dark', title: '光线不均', text: '脸上不能有阴影，两侧亮度一致' },
    { img: 'tilt', title: '头部歪斜', text: '坐正，头和肩膀保持水平' },
    { img: 'collar', title: '高领遮脖', text: '穿圆领 T 恤或衬衫，露出脖子' },
    { img: 'background', title: '背景杂乱', text: '背后是一面纯色墙，没有其他物品' },
    { img: 'blue-shirt', title: '衣服颜色', text: '不要穿蓝色、绿色或与背景相近的衣服' },
    { img: 'far', title: '离得太远', text: '头和肩膀要占满取景框' }
  ];
  var rules = [
    '请另一个人用手机后置摄像头为你拍摄，不要自拍，不要翻拍已有照片或屏幕。',
    '站或坐在一面浅色纯色墙前（白墙即可，系统会换成学校规定的背景颜色），离墙半米以上，避免身后有影子。',
    '面向窗户或明亮处，脸上光线均匀，不要逆光，不要开美颜、滤镜。',
    '摘掉眼镜、帽子、耳环、项链等饰品；长发拢到耳后，露出额头、眉毛和双耳。',
    '穿圆领 T 恤或衬衫（避免蓝色、绿色、条纹和花纹），不要穿高领或吊带。',
    '不化妆，尤其是眼部；不戴美瞳。',
    '坐直，双肩放平，眼睛平视镜头，自然表情，闭上嘴。',
    '拍摄者与你保持约 1.5 米，手机举到与你眼睛同高，让头和肩膀落在取景框的轮廓里。'
  ];
  // The checks' names, groups and advice come from the server, declared once in C
  // (src/photo/checks/check_catalog.c): each result carries them, and the catalog fills in results
  // stored before they did.
  var catalog = {};
  if (window.fetch) {
    fetch('/api/photo-checks').then(function (r) { return r.ok ? r.json() : { checks: [] }; })
      .then(function (j) { (j.checks || []).forEach(function (d) { catalog[d.id] = d; }); })
      .catch(function () { /* names then fall back to the results' own */ });
  }
  function checkName(c) { return c.name || (catalog[c.id] || {}).name || '检查项'; }
  function checkAdvice(c) { return c.message || c.advice || (catalog[c.id] || {}).advice || ''; }
  function checkGroup(c) { return c.group || (catalog[c.id] || {}).group || ''; }
  var statusWords = { pass: '通过', warn: '注意', fail: '不合格' };

  function exampleGrid(T) {
    return T.h('div', { class: 'examples' }, examples.map(function (e) {
      return T.h('figure', { class: e.good ? 'good' : 'bad' },
        T.h('img', { src: '/student/img/' + e.img + '.svg', alt: (e.good ? '合格示例：' : '不合格示例：') + e.text, width: 120, height: 160 }),
        T.h('figcaption', null, T.h('b', { text: (e.good ? '✓ ' : '✗ ') + e.title }), e.text));
    }));
  }
  function ruleList(T) { return T.h('ul', { class: 'rules' }, rules.map(function (r) { return T.h('li', { text: r }); })); }

  window.PhotoRules = { examples: examples, rules: rules, statusWords: statusWords,
    checkName: checkName, checkAdvice: checkAdvice, checkGroup: checkGroup,
    exampleGrid: exampleGrid, ruleList: ruleList };
})();
