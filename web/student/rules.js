// The photo rules as the student reads them, with example pictures, and the names of the automatic
// checks with what to do about each, in plain words. Shared by the rules page, the help page and
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
  // Check id -> [name, what to do]. The server's own message is shown first when it has one.
  var checks = {
    single_face: ['只有一个人', '画面里只能有你一个人，请让其他人离开画面'],
    face_size: ['人像大小', '调整距离，让头和肩膀正好落在取景框里'],
    head_pose: ['头部端正', '坐直，正对镜头，头不要偏、不要仰或低'],
    eyes_open: ['睁开眼睛', '自然睁眼，拍摄时不要眨眼'],
    gaze_forward: ['看向镜头', '眼睛平视镜头'],
    mouth_closed: ['闭上嘴', '自然闭嘴，不要露齿笑'],
    mouth_occluded: ['嘴部无遮挡', '不要用手或物品挡住嘴'],
    glasses: ['未戴眼镜', '请摘掉眼镜后重新拍摄'],
    tinted_lenses: ['无有色镜片', '摘掉墨镜或有色镜片'],
    head_covering: ['未戴帽子', '摘掉帽子或头饰'],
    hair_over_eyebrows: ['露出眉毛', '把刘海拨开，露出眉毛和额头'],
    ears_visible: ['露出双耳', '把头发拢到耳后，两只耳朵都要露出来'],
    forehead_visible: ['露出额头', '把刘海拨开，露出额头'],
    earrings: ['无耳饰', '摘掉耳环、耳钉'],
    necklace: ['无项链', '摘掉项链或挂件'],
    neck_visible: ['露出脖子', '不要穿高领衣服，露出脖子'],
    bare_shoulders: ['着装得体', '不要穿吊带或无袖上衣'],
    clothing_color: ['衣服颜色', '换一件与背景颜色差别明显的衣服（避免蓝色、绿色）'],
    clothing_pattern: ['衣服图案', '换一件纯色、无条纹无花纹的衣服'],
    sharpness: ['清晰度', '照片模糊：拿稳手机，对焦在脸上再拍'],
    exposure: ['亮度', '照片太暗或太亮：换到光线充足而不刺眼的地方'],
    illumination_uniformity: ['光线均匀', '一侧脸太暗：面向窗户或灯光，让两侧一样亮'],
    face_shadow: ['脸上无阴影', '脸上有阴影：换个方向站，避免顶光和侧光'],
    red_eye: ['无红眼', '关闭闪光灯重新拍摄'],
    hot_spots: ['无反光', '脸上有反光亮斑：避开直射光，擦掉油光'],
    background_uniformity: ['背景干净', '换到一面纯色墙前，身后不要有物品或影子'],
    recapture: ['不是翻拍', '请直接拍本人，不要翻拍照片或屏幕'],
    retouching: ['未过度修图', '关闭美颜和滤镜，用原图'],
    makeup: ['未化妆', '请卸妆后拍摄，尤其是眼妆'],
    compression: ['图像质量', '照片压缩太重：请用原图，不要用截图或聊天软件转发的图'],
    expression: ['表情自然', '不要笑，保持自然平和的表情，闭上嘴'],
    same_person: ['同一人核验', '必须是本人照片：请本人拍摄，不要用他人照片，不要美颜或滤镜'],
    reference_match: ['与录取照片比对', '要与学校的录取照片是同一个人：请本人拍摄，不要大幅修图，不要美颜、磨皮、大眼或滤镜，用相机原图']
  };
  var statusWords = { pass: '通过', warn: '注意', fail: '不合格' };

  function exampleGrid(T) {
    return T.h('div', { class: 'examples' }, examples.map(function (e) {
      return T.h('figure', { class: e.good ? 'good' : 'bad' },
        T.h('img', { src: '/student/img/' + e.img + '.svg', alt: (e.good ? '合格示例：' : '不合格示例：') + e.text, width: 120, height: 160 }),
        T.h('figcaption', null, T.h('b', { text: (e.good ? '✓ ' : '✗ ') + e.title }), e.text));
    }));
  }
  function ruleList(T) { return T.h('ul', { class: 'rules' }, rules.map(function (r) { return T.h('li', { text: r }); })); }

  window.PhotoRules = { examples: examples, rules: rules, checks: checks, statusWords: statusWords,
    exampleGrid: exampleGrid, ruleList: ruleList };
})();
