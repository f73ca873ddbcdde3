// The student's workflow API in one place: every request the student pages make goes through here,
// so the screens hold no URLs and a route that changes changes once.
(function () {
  'use strict';
  var T = window.T;
  var id = function (x) { return encodeURIComponent(x); };
  window.StudentFlow = {
    // who and where
    wechatConfig: function () { return T.api('GET', '/api/wechat/config'); },
    me: function () { return T.api('GET', '/api/student/me'); },
    sendOtp: function (phone) { return T.api('POST', '/api/student/otp', { phone: phone }); },
    login: function (phone, code) { return T.api('POST', '/api/student/login', { phone: phone, code: code }); },
    logout: function () { return T.api('POST', '/api/auth/logout'); },
    privacy: function () { return T.api('GET', '/api/student/privacy'); },
    acceptPrivacy: function (version) { return T.api('POST', '/api/student/privacy', { version: version }); },
    // the collection code and the record
    schools: function () { return T.api('GET', '/api/schools'); },
    readCode: function (fd, onProgress) { return T.upload('/api/identity/code', fd, onProgress); },
    confirmClaim: function (claimId) { return T.api('POST', '/api/identity/confirm', { claim_id: claimId }); },
    // orders and payment
    regions: function (parent) { return T.api('GET', '/api/regions' + (parent ? '?parent=' + id(parent) : '')); },
    fees: function () { return T.api('GET', '/api/pay/fees'); },
    currentOrder: function () { return T.api('GET', '/api/orders/current'); },
    placeOrder: function (body) { return T.api('POST', '/api/orders', body); },
    cancelOrder: function (orderId) { return T.api('POST', '/api/orders/' + id(orderId) + '/cancel'); },
    pay: function (orderId, channel) { return T.api('POST', '/api/orders/' + id(orderId) + '/pay', { channel: channel }); },
    // photos and review
    status: function () { return T.api('GET', '/api/status'); },
    upload: function (blob, name, onProgress) {
      var fd = new FormData();
      fd.append('photo', blob, name || 'photo.jpg');
      return T.upload('/api/photos', fd, onProgress);
    },
    attempt: function (attemptId) { return T.api('GET', '/api/photos/attempts/' + id(attemptId)); },
    withdraw: function () { return T.api('POST', '/api/photos/withdraw', {}); },
    submit: function (attemptId, confirmWarnings) {
      return T.api('POST', '/api/photos/submit', { attempt_id: attemptId, confirm_warnings: !!confirmWarnings });
    },
    // messages, support, deletion
    inbox: function () { return T.api('GET', '/api/inbox'); },
    markRead: function (upTo) { return T.api('POST', '/api/inbox/read', { up_to: upTo }); },
    thread: function () { return T.api('GET', '/api/support/messages'); },
    send: function (text, image) {
      var fd = new FormData();
      fd.append('body', text);
      if (image) fd.append('image', image, image.name || 'image.jpg');
      return T.api('POST', '/api/support/messages', fd);
    },
    deletion: function () { return T.api('GET', '/api/student/deletion-request'); },
    askDeletion: function () { return T.api('POST', '/api/student/deletion-request'); }
  };
})();
