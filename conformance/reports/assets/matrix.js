(function () {
  'use strict';
  // The page's data (conformance/reports/matrix_data.py): read at load, small. The records
  // (step logs, logs, artifacts) are parsed the first time one is needed.
  var data = JSON.parse(document.getElementById('mmr-data').textContent);
  var results = data.results; // [test, status, state, title, flaky]
  var recordsData = null;
  function records() {
    if (recordsData === null) {
      recordsData = JSON.parse(document.getElementById('mmr-details').textContent);
    }
    return recordsData;
  }
  // Every value reaches the page as text (textContent), never as markup.
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i += 1) {
      var child = arguments[i];
      if (child === null || child === undefined) { continue; }
      parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return parent;
  }
  function link(href, text) {
    var a = el('a', '', text);
    a.setAttribute('href', href);
    return a;
  }
  function chip(state) {
    var c = data.chips[state];
    var sym = el('span', 'sym', c[1]);
    sym.setAttribute('aria-hidden', 'true');
    return add(el('span', 'chip ' + c[0]), sym, ' ' + c[2]);
  }
  function stateClass(n) { return data.chips[results[n][2]][0]; }
  // A result's line: status, chip, its id (a link, or bold in its own record), flaky, title.
  function head(parent, n, asLink) {
    var r = results[n];
    add(parent, el('span', 'status', r[1]), ' ', chip(r[2]), ' ',
        asLink ? link('#r-' + n, r[0]) : el('b', '', r[0]));
    if (r[4]) {
      var badge = el('span', 'flk', 'flaky: ' + r[4]);
      badge.title = r[4];
      add(parent, ' ', badge);
    }
    if (r[3]) { add(parent, ' ', el('span', 'title', r[3])); }
    return parent;
  }
  function stepsTable(steps, href) {
    var table = el('table', 'steps');
    var headRow = add(el('tr'));
    ['#', 'kind', 'line', 'time', 'outcome', 'message'].forEach(function (name) {
      add(headRow, el('th', '', name));
    });
    var body = el('tbody');
    steps.forEach(function (s) {
      var row = el('tr', 'step-' + s[4]);
      var line = el('td', 'num');
      if (href && s[2]) {
        var a = link(href, s[2]);
        a.title = 'line ' + s[2] + ' of the scenario file';
        add(line, a);
      } else {
        line.textContent = String(s[2]);
      }
      add(row, el('td', 'num', s[0]), el('td', '', s[1]), line, el('td', 'num', s[3]),
          el('td', '', s[4]), el('td', '', s[5]));
      add(body, row);
    });
    return add(table, add(el('thead'), headRow), body);
  }
  function logList(parent, title, entries, count) {
    if (!entries) { return; }
    var list = el('ol', 'log');
    entries.forEach(function (e) {
      var item = el('li');
      if (e[0]) { add(item, el('span', 'lvl lvl-' + e[1], e[0]), ' '); }
      add(list, add(item, el('span', 'txt', e[2])));
    });
    add(parent, el('h4', '', title + ' (' + count + ')'), list);
    if (count > data.logLimit) {
      add(parent, el('p', 'note', (count - data.logLimit) + ' more entries in results.json.'));
    }
  }
  function artifacts(parent, items) {
    if (!items) { return; }
    var list = el('ul', 'plain');
    items.forEach(function (a) {
      var item = add(el('li'), el('b', '', a[0]), ': ', a[2] ? link(a[2], a[1]) : el('code', '', a[1]));
      if (a[3]) { add(item, el('br'), el('span', 'note', 'open with'), ' ', el('code', 'cmd', a[3])); }
      add(list, item);
    });
    add(parent, el('h4', '', 'Artifacts'), list);
  }
  // A result's full record; withMessage false where the entry shows the message above.
  function recordBody(n, withMessage) {
    var d = records()[n];
    var body = el('div', 'result-body');
    var facts = el('dl', 'facts');
    d.f.forEach(function (f) {
      var value = el('dd');
      if (f[0] === 'file' && d.h) { add(value, link(d.h, f[1])); } else { value.textContent = f[1]; }
      add(facts, el('dt', '', f[0]), value);
    });
    add(body, facts);
    if (withMessage && d.m) {
      add(body, add(el('div', 'message'), el('h4', '', 'Message'), el('pre', 'msg', d.m)));
    }
    if (d.s) { add(body, el('h4', '', 'Step log (' + d.s.length + ')'), stepsTable(d.s, d.h)); }
    logList(body, 'Console', d.c, d.cn);
    logList(body, 'mmrExtensionLog', d.x, d.xn);
    artifacts(body, d.a);
    return body;
  }
  // One result in a cell's panel: its line, limitation, message; the record when opened.
  function entry(n) {
    var d = records()[n];
    var item = el('li', 'entry ' + stateClass(n));
    add(item, head(el('div', 'entry-head'), n, true));
    if (d.l) {
      var lim = add(el('p', 'lim'), d.l[0] + ' ', el('b', '', d.l[1]));
      if (d.l[2]) { add(lim, ': ' + d.l[2]); }
      add(item, lim);
    }
    if (d.m) { add(item, el('pre', 'msg', d.m)); }
    var more = el('details', 'more');
    more.dataset.record = String(n);
    add(more, el('summary', '', 'Step log, logs and artifacts'));
    // Open for results that did not simply pass: those are what the reader came for.
    if (results[n][2] !== 'pass') { fillMore(more); more.open = true; }
    return add(item, more);
  }
  function fillMore(more) {
    if (more.dataset.filled) { return; }
    more.dataset.filled = '1';
    add(more, add(el('div', 'full'), recordBody(Number(more.dataset.record), false)));
  }
  // A cell's panel lists this many entries, then offers the rest.
  var ENTRIES = 100;
  function fillCell(list, from) {
    var numbers = data.cells[Number(list.dataset.cell)];
    var until = Math.min(numbers.length, from + ENTRIES);
    for (var i = from; i < until; i += 1) { add(list, entry(numbers[i])); }
    if (until < numbers.length) {
      var more = el('button', 'more-entries', 'Show ' + Math.min(ENTRIES, numbers.length - until) +
                    ' more of ' + (numbers.length - until));
      more.type = 'button';
      more.addEventListener('click', function () { more.remove(); fillCell(list, until); });
      add(list, more);
    }
  }
  function resultItem(n) {
    var item = el('details', 'result ' + stateClass(n));
    item.id = 'r-' + n;
    var summary = head(el('summary'), n, false);
    summary.dataset.state = results[n][2];
    return add(item, summary);
  }
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) { return; }
    if (details.classList.contains('result') && !details.querySelector('.result-body')) {
      add(details, recordBody(Number(details.id.slice(2)), true));
    } else if (details.classList.contains('more')) {
      fillMore(details);
    } else if (details.classList.contains('cell-d')) {
      document.querySelectorAll('details.cell-d[open]').forEach(function (other) {
        if (other !== details) { other.open = false; }
      });
      var list = details.querySelector('ol.entries');
      if (list && !list.dataset.filled) { list.dataset.filled = '1'; fillCell(list, 0); }
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
    var a = target.closest('a[href^="#r-"]');
    if (a) { openRecord(a.getAttribute('href').slice(1)); }
  });
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
  var pager = document.getElementById('pager');
  var list = document.getElementById('records');
  var sections = Array.prototype.slice.call(document.querySelectorAll('tbody.section'));
  var rows = sections.map(function (section) {
    return Array.prototype.slice.call(section.querySelectorAll('tr')).map(function (tr) {
      var numbers = tr.dataset.results ? tr.dataset.results.split(' ').map(Number) : [];
      return {tr: tr, numbers: numbers, name: tr.dataset.name, level: Number(tr.dataset.level)};
    });
  });
  // Each result's whole text, lower case, for the search: built a slice at a time once the
  // page has loaded (the page stays responsive), the rest at once if the search comes first.
  var texts = [];
  function textOf(r, d) {
    var parts = [r[0], r[1], data.chips[r[2]][2], r[3], r[4]];
    d.f.forEach(function (f) { parts.push(f[0], f[1]); });
    if (d.m) { parts.push(d.m); }
    if (d.l) { parts.push(d.l.join(' ')); }
    (d.s || []).forEach(function (s) { parts.push(s.join(' ')); });
    (d.c || []).concat(d.x || []).forEach(function (e) { parts.push(e[0], e[2]); });
    (d.a || []).forEach(function (a) { parts.push(a[0], a[1], a[3] || ''); });
    return parts.join('\n').toLowerCase();
  }
  function buildTexts(until) {
    var all = records();
    for (var n = texts.length; n < Math.min(until, results.length); n += 1) {
      texts.push(textOf(results[n], all[n]));
    }
  }
  function searchText() {
    buildTexts(results.length);
    return texts;
  }
  window.addEventListener('load', function () {
    (function slice() {
      if (texts.length >= results.length) { return; }
      buildTexts(texts.length + 1000);
      setTimeout(slice, 0);
    })();
  });
  // The results holding the last query: a query that extends it (typing on) only needs
  // to look among those.
  var lastQuery = null;
  var lastFound = null;
  function found(query) {
    var all = searchText();
    var among = lastQuery !== null && query.indexOf(lastQuery) !== -1 ? lastFound : null;
    var hits = [];
    var count = among === null ? all.length : among.length;
    for (var i = 0; i < count; i += 1) {
      var n = among === null ? i : among[i];
      if (all[n].indexOf(query) !== -1) { hits.push(n); }
    }
    lastQuery = query;
    lastFound = hits;
    return hits;
  }
  // The numbers of the results the status filter and the search keep; null: all of them.
  function matching() {
    var wanted = status ? status.value : '';
    var query = search ? search.value.trim().toLowerCase() : '';
    if (wanted === '' && query === '') { return null; }
    var candidates = query === '' ? null : found(query);
    var kept = [];
    var count = candidates === null ? results.length : candidates.length;
    for (var i = 0; i < count; i += 1) {
      var n = candidates === null ? i : candidates[i];
      if (wanted === '' || results[n][2] === wanted) { kept.push(n); }
    }
    return kept;
  }
  var listed = null; // the numbers the list shows; null: all
  var page = 0;
  function count() { return listed === null ? results.length : listed.length; }
  function renderList() {
    var pages = Math.max(1, Math.ceil(count() / data.perPage));
    page = Math.min(page, pages - 1);
    var first = page * data.perPage;
    var last = Math.min(count(), first + data.perPage);
    var items = document.createDocumentFragment();
    for (var i = first; i < last; i += 1) { add(items, resultItem(listed === null ? i : listed[i])); }
    list.replaceChildren(items);
    pager.replaceChildren();
    if (count() === 0) { add(pager, el('span', 'note', 'No result matches.')); return; }
    add(pager, el('span', 'note', 'Results ' + (first + 1) + '\u2013' + last + ' of ' + count()));
    if (pages > 1) {
      [['\u2039 previous', page - 1, page === 0], ['next \u203a', page + 1, page === pages - 1]]
        .forEach(function (b) {
          var button = el('button', 'page', b[0]);
          button.type = 'button';
          button.disabled = b[2];
          button.addEventListener('click', function () { page = b[1]; renderList(); });
          add(pager, button);
        });
      add(pager, el('span', 'note', 'page ' + (page + 1) + ' of ' + pages));
    }
  }
  function apply() {
    var level = show ? Number(show.value) : 0;
    var query = filter ? filter.value.trim().toLowerCase() : '';
    var onlyChanged = changed ? changed.checked : false;
    var kept = matching();
    var keep = null;
    if (kept !== null) {
      keep = new Uint8Array(results.length);
      kept.forEach(function (n) { keep[n] = 1; });
    }
    rows.forEach(function (section, s) {
      var all = query !== '' && sections[s].dataset.name.indexOf(query) !== -1;
      section.forEach(function (row) {
        var byName = query === '' || all || row.name.indexOf(query) !== -1;
        var visible = row.level >= level && byName &&
          (!onlyChanged || row.tr.dataset.changed === '1') &&
          (keep === null || row.numbers.some(function (n) { return keep[n] === 1; }));
        if (row.tr.hidden === visible) { row.tr.hidden = !visible; }
      });
    });
    if (kept !== listed && (kept === null || listed === null || kept.join() !== listed.join())) {
      listed = kept;
      page = 0;
      renderList();
    }
    if (shown) {
      shown.textContent = kept === null ? '' : kept.length + ' of ' + results.length + ' results';
    }
  }
  // Shows result `id` (r-<number>) in the list, opens it, and closes the open cell panel.
  function openRecord(id) {
    var n = Number(id.slice(2));
    if (!(n >= 0 && n < results.length)) { return; }
    var at = listed === null ? n : listed.indexOf(n);
    if (at === -1) { // filtered out: show every result again
      if (status) { status.value = ''; }
      if (search) { search.value = ''; }
      apply();
      at = n;
    }
    if (Math.floor(at / data.perPage) !== page || !document.getElementById(id)) {
      page = Math.floor(at / data.perPage);
      renderList();
    }
    var record = document.getElementById(id);
    if (record) { record.open = true; }
    var drawer = document.querySelector('details.cell-d[open]');
    if (drawer && record) { drawer.open = false; }
  }
  [show, changed, status].forEach(function (e) { if (e) { e.addEventListener('change', apply); } });
  [filter, search].forEach(function (e) { if (e) { e.addEventListener('input', apply); } });
  window.addEventListener('hashchange', function () {
    if (location.hash.indexOf('#r-') === 0) { openRecord(location.hash.slice(1)); }
  });
  renderList();
  if (location.hash.indexOf('#r-') === 0) {
    openRecord(location.hash.slice(1));
    var target = document.getElementById(location.hash.slice(1));
    if (target) { target.scrollIntoView(); }
  }
})();
