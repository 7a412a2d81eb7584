/* A list keeps its key columns in sight (number, date, amount, posted state, as a 1C user expects them):
   when the table is wider than its place, the lesser columns are hidden, least important first, and named
   above the table; what still does not fit scrolls inside the table's own box, never the page.
   Priorities come from the list's admin (json_script «list-column-priorities»): 1 is never hidden. */
(function () {
  'use strict';
  var node = document.getElementById('list-column-priorities');
  var table = document.getElementById('result_list');
  if (!node || !table) { return; }
  var priorities = JSON.parse(node.textContent);
  var box = table.closest('.results') || table.parentElement;
  var note = document.createElement('p');
  note.className = 'hidden-columns';
  note.id = 'hidden-columns';
  box.parentNode.insertBefore(note, box);

  function columns() {
    return Array.prototype.map.call(table.tHead.rows[0].cells, function (th, index) {
      var name = '';
      th.classList.forEach(function (cls) { if (cls.indexOf('column-') === 0) { name = cls.slice(7); } });
      if (th.classList.contains('action-checkbox-column')) { name = 'action_checkbox'; }
      return {index: index, name: name, th: th, priority: priorities[name] || 2};
    });
  }

  function show(column, visible) {
    column.th.classList.toggle('column-hidden', !visible);
    Array.prototype.forEach.call(table.tBodies[0] ? table.tBodies[0].rows : [], function (row) {
      if (row.cells.length > column.index && row.cells.length === table.tHead.rows[0].cells.length) {
        row.cells[column.index].classList.toggle('column-hidden', !visible);
      }
    });
  }

  function fit() {
    var all = columns();
    all.forEach(function (column) { show(column, true); });
    var hideable = all.filter(function (column) { return column.priority > 1; })
      .sort(function (a, b) { return b.priority - a.priority || b.index - a.index; });
    var hidden = [];
    while (table.scrollWidth > box.clientWidth + 1 && hideable.length) {
      var column = hideable.shift();
      show(column, false);
      hidden.push(column);
    }
    hidden.sort(function (a, b) { return a.index - b.index; });
    note.textContent = hidden.length ? 'Не помещаются на экране и скрыты: ' + hidden.map(function (column) {
      return column.th.textContent.trim();
    }).join(', ') + '.' : '';
  }

  var pending = null;
  window.addEventListener('resize', function () {
    if (pending) { window.cancelAnimationFrame(pending); }
    pending = window.requestAnimationFrame(fit);
  });
  fit();
})();
