// tokenkeeper console: keeps the "in 1 h 12 min" texts current. The pages work without it.
(function () {
  'use strict';
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d > 0) { return d + ' d' + (h > 0 ? ' ' + h + ' h' : ''); }
    if (h > 0) { return h + ' h' + (m > 0 ? ' ' + m + ' min' : ''); }
    if (m > 0) { return m + ' min'; }
    return s > 0 ? s + ' s' : '';
  }
  function update() {
    var now = Date.now();
    document.querySelectorAll('.rel[data-at]').forEach(function (el) {
      var at = Date.parse(el.getAttribute('data-at'));
      if (isNaN(at)) { return; }
      var text = span(at - now);
      el.textContent = '(' + (text === '' ? 'now' : (at >= now ? 'in ' + text : text + ' ago')) + ')';
    });
  }
  setInterval(update, 15000);
})();
