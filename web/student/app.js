// The student app's start: sign out, follow the hash, find where the student stands and show it.
// The screens are in screens/*.js (one file each), the shared core in core.js, every request in
// flow.js.
(function (A) {
  'use strict';
  var T = window.T;
  document.getElementById('logout').addEventListener('click', function () {
    A.Flow.logout().catch(function () { /* session already gone */ }).then(function () {
      ['signedIn', 'claim', 'payDraft', 'attempt', 'retake'].forEach(A.store.del);
      location.hash = '#/login';
      location.reload();
    });
  });

  window.addEventListener('hashchange', A.route);
  T.ensureCsrf().then(A.wechatState).then(A.refresh).then(A.route, A.showFatal);
})(window.Student);
