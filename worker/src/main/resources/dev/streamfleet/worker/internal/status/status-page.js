// The leader's page: draws itself from the status document embedded in the page, then from
// /api/status every 5 s, replacing only what it draws so that the scroll position, the filter and
// the sort order stay as the reader left them. Text goes in as text, never as markup. Numbers are
// written with toFixed, which does not follow the reader's locale.
(function () {
  'use strict';

  var REFRESH_MS = 5000;
  var SVG = 'http://www.w3.org/2000/svg';
  var SERIES = [
    {key: 'recordsPerSecond', title: 'Records processed', unit: 'records/s', color: '#1f77b4', always: true},
    {key: 'maxMillisBehindLatest', title: 'Kinesis: largest lag behind the newest record', unit: 'ms', color: '#d62728'},
    {key: 'offsetLag', title: 'Kafka: records not read yet, all partitions', unit: 'records', color: '#9467bd'}
  ];
  var UNIT_COLUMNS = [
    {key: 'unit', title: 'unit'},
    {key: 'source', title: 'source'},
    {key: 'owner', title: 'owner'},
    {key: 'epoch', title: 'epoch', numeric: true},
    {key: 'position', title: 'position'},
    {key: 'lag', title: 'lag', numeric: true},
    {key: 'recordsPerSecond', title: 'records/s', numeric: true},
    {key: 'state', title: 'state'}
  ];

  var view = {status: null, sortKey: null, ascending: true, filter: '', attentionOnly: false, silentSince: null};

  function byId(id) {
    return document.getElementById(id);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, String(attributes[name]));
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function row(cells) {
    var tr = element('tr');
    cells.forEach(function (cell) {
      tr.appendChild(cell);
    });
    return tr;
  }

  function time(iso) {
    return typeof iso === 'string' && iso.length >= 19 ? iso.substring(11, 19) : '';
  }

  // Failed units first, then stalled or retrying ones (a stream or the checkpoint table out of reach) and ones whose
  // reads skipped records the stream no longer retained, then the rest: what needs an operator leads.
  function attention(unit) {
    return unit.state === 'FAILED' ? 0 : unit.stalled !== undefined || unit.retrying !== undefined
      || unit.retentionSkipped !== undefined ? 1 : 2;
  }

  function lagValue(unit) {
    if (unit.millisBehindLatest !== undefined) {
      return unit.millisBehindLatest;
    }
    return unit.offsetLag !== undefined ? unit.offsetLag : null;
  }

  function lagText(unit) {
    if (unit.millisBehindLatest !== undefined) {
      return unit.millisBehindLatest + ' ms';
    }
    return unit.offsetLag !== undefined ? unit.offsetLag + ' records' : '-';
  }

  function sortValue(unit, key) {
    if (key === 'lag') {
      return lagValue(unit);
    }
    if (key === 'epoch') {
      return unit.epoch === null || unit.epoch === undefined ? null : Number(unit.epoch);
    }
    var value = unit[key];
    return value === undefined ? null : value;
  }

  function compare(a, b) {
    if (a === b) {
      return 0;
    }
    if (a === null) {
      return 1;
    }
    if (b === null) {
      return -1;
    }
    return a < b ? -1 : 1;
  }

  function shorten(position) {
    return position.length <= 28 ? position : position.substring(0, 12) + '\u2026' + position.substring(position.length - 12);
  }

  // Rounds a chart's top up to 1, 2 or 5 times a power of ten.
  function niceMax(value) {
    if (!(value > 0)) {
      return 1;
    }
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (value <= steps[i] * power) {
        return steps[i] * power;
      }
    }
    return 10 * power;
  }

  function label(value) {
    return value >= 100 || value === Math.round(value) ? value.toFixed(0) : value.toFixed(1);
  }

  function chart(series, points) {
    var width = 560, height = 150, left = 56, right = 12, top = 10, bottom = 24;
    var plotWidth = width - left - right, plotHeight = height - top - bottom;
    var max = 0;
    points.forEach(function (point) {
      max = Math.max(max, point[series.key]);
    });
    var scale = niceMax(max);
    var box = element('div', 'chart');
    box.id = 'chart-' + series.key;
    box.appendChild(element('h3', null, series.title + ' (' + series.unit + ')'));
    var drawing = svg('svg', {width: width, height: height, viewBox: '0 0 ' + width + ' ' + height});
    [0, 0.5, 1].forEach(function (share) {
      var y = top + plotHeight * (1 - share);
      drawing.appendChild(svg('line', {'class': share === 0 ? 'axis' : 'grid', x1: left, x2: width - right,
        y1: y.toFixed(1), y2: y.toFixed(1)}));
      drawing.appendChild(svg('text', {x: left - 6, y: (y + 4).toFixed(1), 'text-anchor': 'end'}, label(scale * share)));
    });
    drawing.appendChild(svg('line', {'class': 'axis', x1: left, x2: left, y1: top, y2: top + plotHeight}));
    var middle = (top + plotHeight / 2).toFixed(1);
    drawing.appendChild(svg('text', {x: 12, y: middle, 'text-anchor': 'middle', transform: 'rotate(-90 12 ' + middle + ')'},
      series.unit));
    var first = Date.parse(points[0].at), last = Date.parse(points[points.length - 1].at);
    var span = Math.max(1, last - first);
    [0, points.length - 1].concat(points.length > 2 ? [Math.floor((points.length - 1) / 2)] : []).forEach(function (i) {
      var x = left + plotWidth * (Date.parse(points[i].at) - first) / span;
      var anchor = i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle';
      drawing.appendChild(svg('text', {x: x.toFixed(1), y: height - 6, 'text-anchor': anchor}, time(points[i].at) + ' UTC'));
    });
    var coordinates = points.map(function (point) {
      var x = left + plotWidth * (Date.parse(point.at) - first) / span;
      var y = top + plotHeight * (1 - point[series.key] / scale);
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    drawing.appendChild(svg('polyline', {fill: 'none', stroke: series.color, 'stroke-width': 2,
      points: coordinates.join(' ')}));
    box.appendChild(drawing);
    return box;
  }

  function renderCharts(history) {
    var charts = [];
    SERIES.forEach(function (series) {
      var points = history.filter(function (point) {
        return typeof point[series.key] === 'number';
      });
      if (points.length >= 2) {
        charts.push(chart(series, points));
      } else if (series.always) {
        charts.push(element('p', null, '(collecting: a point every 5 s from every worker)'));
      }
    });
    byId('charts').replaceChildren.apply(byId('charts'), charts);
  }

  function renderWorkers(workers) {
    var heaviest = 0;
    workers.forEach(function (worker) {
      heaviest = Math.max(heaviest, (worker.load || 0) / Math.max(1, worker.capacity || 1));
    });
    var rows = workers.map(function (worker) {
      var capacity = Math.max(1, worker.capacity || 1);
      var load = worker.load || 0;
      var rate = worker.reachable ? element('td', 'num', (worker.recordsPerSecond || 0).toFixed(1))
        : worker.statusSkipped ? element('td', 'bad', 'not asked: ' + worker.statusSkipped)
        : element('td', 'num bad', 'unreachable');
      var bar = element('span', 'bar');
      bar.style.width = (heaviest > 0 ? Math.round(100 * load / capacity / heaviest) : 0) + 'px';
      var loadCell = element('td');
      loadCell.appendChild(bar);
      loadCell.appendChild(document.createTextNode(' ' + load.toFixed(2) + ' (capacity ' + capacity + ')'));
      var tr = row([element('td', null, worker.id), element('td', null, worker.host),
        element('td', 'num', (worker.uptimeSeconds || 0) + ' s'), element('td', 'num', worker.units), rate, loadCell]);
      tr.className = 'worker';
      return tr;
    });
    byId('workers').tBodies[0].replaceChildren.apply(byId('workers').tBodies[0], rows);
  }

  function renderSkipped(skipped) {
    var box = byId('skipped');
    var items = skipped.map(function (node) {
      var item = element('li');
      item.appendChild(element('code', null, node.node));
      item.appendChild(document.createTextNode(': ' + node.reason));
      return item;
    });
    var list = element('ul');
    list.replaceChildren.apply(list, items);
    box.replaceChildren(element('p', null, 'ZooKeeper nodes skipped, as this version cannot read them (written by'
      + ' another version, a tool or by hand); the rest of the fleet goes on:'), list);
    box.hidden = items.length === 0;
  }

  function matches(unit) {
    if (view.attentionOnly && attention(unit) === 2) {
      return false;
    }
    if (!view.filter) {
      return true;
    }
    var needle = view.filter.toLowerCase();
    return [unit.unit, unit.source, unit.owner, unit.state, unit.failure, unit.stalled, unit.retrying,
      unit.retentionSkipped].some(function (text) {
      return typeof text === 'string' && text.toLowerCase().indexOf(needle) >= 0;
    });
  }

  function renderUnits(units) {
    var shown = units.filter(matches);
    var order = shown.map(function (unit, index) {
      return {unit: unit, index: index};
    });
    order.sort(function (a, b) {
      var byAttention = attention(a.unit) - attention(b.unit);
      if (byAttention !== 0) {
        return byAttention;
      }
      if (view.sortKey) {
        var byKey = compare(sortValue(a.unit, view.sortKey), sortValue(b.unit, view.sortKey));
        if (byKey !== 0) {
          return view.ascending ? byKey : -byKey;
        }
      }
      return a.index - b.index;
    });
    var rows = order.map(function (entry) {
      var unit = entry.unit;
      var bad = attention(unit) < 2 || (unit.state === 'NOT READING' && !unit.owner);
      var state = unit.state;
      if (unit.inFlight !== undefined) {
        state += ' (' + unit.inFlight + ' in flight, ' + unit.busyLanes + ' keys busy)';
      }
      if (unit.deadLettered !== undefined) {
        state += ' (' + unit.deadLettered + ' dead-lettered)';
      }
      if (unit.stalled !== undefined) {
        state += ' (STALLED: ' + unit.stalled + ')';
      }
      if (unit.retrying !== undefined) {
        state += ' (retrying: ' + unit.retrying + ')';
      }
      if (unit.retentionSkipped !== undefined) {
        state += ' (' + unit.retentionSkipped + ')';
      }
      if (unit.failure !== undefined) {
        state += ': ' + unit.failure;
      }
      var position = element('td', null, unit.position ? shorten(unit.position) : '-');
      position.title = unit.position || '';
      var tr = row([element('td', null, unit.unit), element('td', null, unit.source),
        element('td', null, unit.owner || '-'), element('td', null, unit.epoch || '-'), position,
        element('td', 'num', lagText(unit)),
        element('td', 'num', unit.recordsPerSecond !== undefined ? unit.recordsPerSecond.toFixed(1) : '-'),
        element('td', bad ? 'bad state' : 'state', state)]);
      tr.className = 'unit';
      return tr;
    });
    byId('units').tBodies[0].replaceChildren.apply(byId('units').tBodies[0], rows);
    byId('shown').textContent = shown.length === units.length ? '\u00b7 ' + units.length + ' units'
      : '\u00b7 ' + shown.length + ' of ' + units.length + ' units shown';
    Array.prototype.forEach.call(byId('units').tHead.rows[0].cells, function (th) {
      var key = th.getAttribute('data-key');
      var column = UNIT_COLUMNS.filter(function (c) {
        return c.key === key;
      })[0];
      th.textContent = column.title + (view.sortKey === key ? (view.ascending ? ' \u25b2' : ' \u25bc') : '');
    });
  }

  function renderRebalances(rebalances) {
    var rows = rebalances.map(function (rebalance) {
      var moved = String(rebalance.moved);
      var units = rebalance.movedUnits || [];
      if (units.length > 0) {
        moved += ' (' + units.slice(0, 5).join(', ') + (units.length > 5 ? ', \u2026' : '') + ')';
      }
      return row([element('td', null, rebalance.generation), element('td', null, rebalance.at),
        element('td', 'num', rebalance.workers), element('td', 'num', rebalance.units), element('td', 'num', moved),
        element('td', 'num', rebalance.writes), element('td', 'num', rebalance.tookMillis + ' ms'),
        element('td', 'num', typeof rebalance.settledMillis === 'number' ? rebalance.settledMillis + ' ms' : 'pending'),
        element('td', null, rebalance.reason)]);
    });
    byId('rebalances').tBodies[0].replaceChildren.apply(byId('rebalances').tBodies[0], rows);
  }

  function render(status) {
    view.status = status;
    document.title = 'streamfleet ' + status.application;
    byId('application').textContent = status.application;
    byId('leader').textContent = status.leader || 'none';
    byId('generation').textContent = String(status.generation);
    byId('generatedAt').textContent = status.generatedAt;
    renderCharts(status.history || []);
    renderWorkers(status.workers || []);
    renderSkipped(status.skipped || []);
    renderUnits(status.units || []);
    renderRebalances(status.rebalances || []);
  }

  function problem(message, links) {
    var box = byId('problem');
    if (!message) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    var parts = [document.createTextNode(message)];
    (links || []).forEach(function (url, i) {
      parts.push(document.createTextNode(i === 0 ? ' Other workers\u2019 pages (they lead to the new leader): ' : ', '));
      var link = element('a', null, url);
      link.href = url + '/';
      parts.push(link);
    });
    box.replaceChildren.apply(box, parts);
    box.hidden = false;
  }

  function otherWorkers() {
    var workers = view.status && view.status.workers ? view.status.workers : [];
    return workers.map(function (worker) {
      return worker.statusUrl;
    }).filter(function (url) {
      return url && url !== location.origin;
    });
  }

  function refresh() {
    fetch('/api/status', {cache: 'no-store', redirect: 'manual'}).then(function (response) {
      if (response.type === 'opaqueredirect') {
        // This worker no longer leads; its page redirects to the one that does.
        location.replace('/');
        return null;
      }
      if (!response.ok) {
        return response.text().then(function (reason) {
          problem('The page is not current: ' + (reason || 'HTTP ' + response.status) + ' (retrying every 5 s).');
        });
      }
      return response.json().then(function (status) {
        try {
          render(status);
        } catch (error) {
          problem('The page could not draw the fleet\u2019s status: ' + error.message + '. Read /api/status.');
          return;
        }
        problem(null);
        view.silentSince = null;
        byId('refreshed').textContent = 'updated ' + time(new Date().toISOString()) + ' UTC, every 5 s';
      });
    }, function (error) {
      view.silentSince = view.silentSince || time(new Date().toISOString());
      problem('The leader at ' + location.origin + ' does not answer since ' + view.silentSince
        + ' UTC (' + error.message + '); retrying every 5 s.', otherWorkers());
    }).catch(function (error) {
      problem('The page could not read the fleet\u2019s status: ' + error.message + ' (retrying every 5 s).');
    }).then(function () {
      setTimeout(refresh, REFRESH_MS);
    });
  }

  function start() {
    var head = byId('units').tHead.rows[0];
    UNIT_COLUMNS.forEach(function (column) {
      var th = element('th', null, column.title);
      th.setAttribute('data-key', column.key);
      th.title = 'sort by ' + column.title + ' (failed, stalled and retrying units stay first)';
      th.addEventListener('click', function () {
        if (view.sortKey === column.key) {
          view.ascending = !view.ascending;
        } else {
          view.sortKey = column.key;
          view.ascending = !column.numeric;
        }
        renderUnits(view.status.units || []);
      });
      head.appendChild(th);
    });
    byId('filter').addEventListener('input', function (event) {
      view.filter = event.target.value;
      renderUnits(view.status.units || []);
    });
    byId('attention').addEventListener('change', function (event) {
      view.attentionOnly = event.target.checked;
      renderUnits(view.status.units || []);
    });
    render(JSON.parse(byId('status-data').textContent));
    byId('refreshed').textContent = 'updates every 5 s';
    setTimeout(refresh, REFRESH_MS);
  }

  start();
}());
