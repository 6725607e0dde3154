(function () {
  'use strict';
  function fill(drawer) {
    drawer.querySelectorAll('[data-fill]').forEach(function (slot) {
      if (slot.dataset.filled) { return; }
      var record = document.getElementById('r-' + slot.dataset.fill);
      var body = record && record.querySelector('.result-body');
      if (!body) { return; }
      var copy = body.cloneNode(true);
      copy.querySelectorAll('[id]').forEach(function (el) { el.removeAttribute('id'); });
      // The entry already shows the message above.
      copy.querySelectorAll('.message').forEach(function (el) { el.remove(); });
      slot.replaceChildren(copy);
      slot.dataset.filled = '1';
    });
  }
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.classList.contains('cell-d')) {
      return;
    }
    if (details.open) {
      document.querySelectorAll('details.cell-d[open]').forEach(function (other) {
        if (other !== details) { other.open = false; }
      });
      fill(details.querySelector('.drawer'));
    }
  }, true);
  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    var close = target.closest('button.close');
    if (close) {
      var owner = close.closest('details');
      if (owner) { owner.open = false; owner.querySelector('summary').focus(); }
      return;
    }
    var link = target.closest('a[href^="#r-"]');
    if (link) { openRecord(link.getAttribute('href').slice(1)); }
  });
  function openRecord(id) {
    var record = document.getElementById(id);
    if (record && record.tagName === 'DETAILS') { record.open = true; }
    var drawer = document.querySelector('details.cell-d[open]');
    if (drawer && record) { drawer.open = false; }
  }
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      document.querySelectorAll('details.cell-d[open]').forEach(function (d) { d.open = false; });
    }
  });
  var show = document.getElementById('show');
  var filter = document.getElementById('filter');
  var changed = document.getElementById('changed');
  var status = document.getElementById('status');
  var search = document.getElementById('search');
  var shown = document.getElementById('shown');
  var records = Array.prototype.slice.call(document.querySelectorAll('details.result'));
  // A record's whole text (its step log and logs too, open or not), read once.
  var texts = {};
  function textOf(record) {
    if (texts[record.id] === undefined) { texts[record.id] = record.textContent.toLowerCase(); }
    return texts[record.id];
  }
  // The numbers of the results the status filter and the search keep; null: all of them.
  function matching() {
    var wanted = status ? status.value : '';
    var query = search ? search.value.trim().toLowerCase() : '';
    if (wanted === '' && query === '') { return null; }
    var kept = {};
    records.forEach(function (record) {
      var byState = wanted === '' || record.querySelector('summary').dataset.state === wanted;
      if (byState && (query === '' || textOf(record).indexOf(query) !== -1)) {
        kept[record.id.slice(2)] = true;
      }
    });
    return kept;
  }
  function apply() {
    var level = show ? Number(show.value) : 0;
    var query = filter ? filter.value.trim().toLowerCase() : '';
    var onlyChanged = changed ? changed.checked : false;
    var kept = matching();
    document.querySelectorAll('tbody.section').forEach(function (section) {
      var all = query !== '' && section.dataset.name.indexOf(query) !== -1;
      section.querySelectorAll('tr').forEach(function (row) {
        var byLevel = Number(row.dataset.level) >= level;
        var byName = query === '' || all || row.dataset.name.indexOf(query) !== -1;
        var byChange = !onlyChanged || row.dataset.changed === '1';
        var byResult = kept === null || (row.dataset.results || '').split(' ').some(
          function (n) { return kept[n] === true; });
        row.hidden = !(byLevel && byName && byChange && byResult);
      });
    });
    var count = 0;
    records.forEach(function (record) {
      record.hidden = kept !== null && kept[record.id.slice(2)] !== true;
      if (!record.hidden) { count += 1; }
    });
    if (shown) {
      shown.textContent = kept === null ? '' : count + ' of ' + records.length + ' results';
    }
  }
  [show, changed, status].forEach(function (el) { if (el) { el.addEventListener('change', apply); } });
  [filter, search].forEach(function (el) { if (el) { el.addEventListener('input', apply); } });
  if (location.hash.indexOf('#r-') === 0) { openRecord(location.hash.slice(1)); }
})();
