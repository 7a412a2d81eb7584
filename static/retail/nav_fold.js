/* Below 1600 px the application menu starts folded (its «»» opens it, and the choice is kept): lists and
   documents need the width, and the home page lists every section anyway. Loaded without «defer», before
   Django's deferred nav_sidebar.js reads the choice; a file, not inline code (the pages' CSP allows no inline
   script). */
try {
  if (window.innerWidth < 1600 && localStorage.getItem('django.admin.navSidebarIsOpen') === null) {
    localStorage.setItem('django.admin.navSidebarIsOpen', 'false');
  }
} catch (e) { /* storage off: Django's default */ }
