// Plain tabs on the Retail Sales Report page: without scripts every section stays visible, one under another.
// A file of its own, not an inline script: the Content-Security-Policy runs only the site's own files.
(function () {
  var tabs = document.querySelectorAll('.report-tabs [role=tab]');
  function show(tab) {
    tabs.forEach(function (other) {
      var on = other === tab;
      other.setAttribute('aria-selected', on ? 'true' : 'false');
      document.getElementById(other.getAttribute('aria-controls')).hidden = !on;
    });
  }
  tabs.forEach(function (tab) { tab.addEventListener('click', function () { show(tab); }); });
  if (tabs.length) { show(tabs[0]); }
})();
