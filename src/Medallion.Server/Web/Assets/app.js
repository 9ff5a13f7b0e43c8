// Medallion web UI: the little the server-rendered pages need from a script. No library, nothing fetched from elsewhere.
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'en';
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  // What the server renders and the script completes, in the page and in parts of it fetched again.
  var format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  function complete(root) {
    // Times arrive in UTC; show them in the viewer's own time zone and locale.
    root.querySelectorAll('time[datetime]').forEach(function (time) {
      var at = new Date(time.getAttribute('datetime'));
      if (!isNaN(at)) {
        time.title = time.textContent;
        time.textContent = format.format(at);
      }
    });

    // Bars whose width the page gives as data (inline styles are not allowed by the page's content policy).
    root.querySelectorAll('[data-width]').forEach(function (span) {
      span.style.width = Math.max(1, Number(span.getAttribute('data-width'))) + '%';
    });
  }
  complete(document);

  // A part of the page about something under way (data-refresh-every, in ms) is fetched again and replaced, until the
  // page the server renders no longer asks for it (what it follows has ended).
  document.querySelectorAll('[data-refresh-every][id]').forEach(function (part) {
    function refresh() {
      fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (text) {
        var fresh = text && new DOMParser().parseFromString(text, 'text/html').getElementById(part.id);
        if (fresh) {
          part.innerHTML = fresh.innerHTML;
          complete(part);
          if (!fresh.hasAttribute('data-refresh-every')) {
            return;
          }
        }
        setTimeout(refresh, Number(part.getAttribute('data-refresh-every')));
      }).catch(function () {
        setTimeout(refresh, Number(part.getAttribute('data-refresh-every')));
      });
    }
    setTimeout(refresh, Number(part.getAttribute('data-refresh-every')));
  });

  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  document.querySelectorAll('textarea[data-submit-on-ctrl-enter]').forEach(function (area) {
    area.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        area.form.querySelector('button[type="submit"]').click();
      }
    });
  });

  function notice(text) {
    var box = document.getElementById('notice');
    if (!box) {
      box = document.createElement('p');
      box.id = 'notice';
      box.className = 'error';
      box.setAttribute('role', 'alert');
      document.getElementById('main').prepend(box);
    }
    box.textContent = text;
  }

  // Operators' actions call the REST API with the session cookie and the anti-forgery token.
  // A trigger's variables: one name=value per line (blank lines skipped); null after telling what line is wrong.
  function variables(area) {
    var found = {};
    var lines = area.value.split('\n');
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (line === '') {
        continue;
      }
      var eq = line.indexOf('=');
      if (eq <= 0) {
        notice(area.getAttribute('data-bad-line') + ' ' + (i + 1) + ': ' + line);
        return null;
      }
      found[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    return found;
  }

  // Listened for on the document, so buttons in a part fetched again work too.
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-action]');
    if (button) {
      var body = {};
      var area = button.getAttribute('data-variables') && document.getElementById(button.getAttribute('data-variables'));
      if (area) {
        body.variables = variables(area);
        if (!body.variables) {
          return;
        }
      }
      button.disabled = true;
      fetch(button.getAttribute('data-action'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Medallion-Antiforgery': token },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (!answer.ok) {
          notice(answer.body.error || 'failed');
          button.disabled = false;
        } else if (button.getAttribute('data-then') === 'run' && answer.body.id) {
          location.assign('/runs/' + encodeURIComponent(answer.body.id));
        } else {
          location.reload();
        }
      }).catch(function (error) {
        notice(String(error));
        button.disabled = false;
      });
    }
  });

  // Backfill dialogs: a preview is the API's dry run of the same request; the start queues it and shows the runs.
  document.querySelectorAll('form.backfill-form').forEach(function (form) {
    var dayFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    function request(dryRun) {
      var from = form.elements.from.value, to = form.elements.to.value;
      if (!from || !to) {
        form.reportValidity();
        return null;
      }
      // The dates are the viewer's days: from the first one's start to the last one's end, in local time.
      return {
        from: new Date(from + 'T00:00:00').toISOString(),
        to: new Date(to + 'T23:59:59').toISOString(),
        reprocess: form.elements.reprocess.value,
        max_active: Number(form.elements.max_active.value) || 1,
        dry_run: dryRun
      };
    }
    function post(body) {
      return fetch(form.getAttribute('data-api'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Medallion-Antiforgery': token },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            throw new Error(answer.error || 'failed');
          }
          return answer;
        });
      });
    }
    form.querySelector('[data-backfill="preview"]').addEventListener('click', function () {
      var body = request(true);
      if (!body) {
        return;
      }
      post(body).then(function (plan) {
        var rows = form.querySelector('.backfill-preview tbody');
        rows.textContent = '';
        var running = 0;
        plan.intervals.forEach(function (interval) {
          var row = document.createElement('tr');
          [dayFormat.format(new Date(interval.start)), dayFormat.format(new Date(interval.end)), interval.last_status || '–',
            form.getAttribute(interval.will_run ? 'data-will-run' : 'data-skipped')].forEach(function (text) {
            var cell = document.createElement('td');
            cell.textContent = text;
            row.appendChild(cell);
          });
          running += interval.will_run ? 1 : 0;
          rows.appendChild(row);
        });
        form.querySelector('.backfill-preview').hidden = false;
        form.querySelector('.backfill-summary').textContent = plan.intervals.length + ' ' + form.getAttribute('data-summary') + ' ' + running;
      }).catch(function (error) { notice(error.message); });
    });
    form.querySelector('[data-backfill="start"]').addEventListener('click', function (event) {
      var body = request(false);
      if (!body) {
        return;
      }
      event.target.disabled = true;
      post(body).then(function (answer) {
        location.assign(answer.backfill ? '/backfills/' + encodeURIComponent(answer.backfill.id) : '/runs');
      }).catch(function (error) {
        notice(error.message);
        event.target.disabled = false;
      });
    });
  });

  // A run's log: stored lines, then new ones as they are written (server-sent events), until the run ends.
  var log = document.getElementById('log');
  if (log && log.getAttribute('data-stream')) {
    log.textContent = log.getAttribute('data-waiting');
    var first = true;
    var stream = new EventSource(log.getAttribute('data-stream'));
    stream.addEventListener('log', function (event) {
      var line = JSON.parse(event.data);
      if (first) {
        log.textContent = '';
        first = false;
      }
      var time = new Date(line.logged_at).toLocaleTimeString(lang);
      // The API writes a table name as {namespace, name}.
      var model = line.model ? line.model.namespace + '.' + line.model.name + ': ' : '';
      var text = time + '  ' + line.level.toUpperCase().padEnd(7) + model + line.message + '\n';
      var row = document.createElement('span');
      row.className = 'line level-' + line.level;
      row.textContent = text;
      log.appendChild(row);
      log.scrollTop = log.scrollHeight;
    });
    stream.addEventListener('end', function (event) {
      stream.close();
      var end = JSON.parse(event.data);
      var row = document.createElement('span');
      row.className = 'line end';
      row.textContent = log.getAttribute('data-finished') + ' ' + end.status + (end.error ? ' — ' + end.error : '') + '\n';
      if (first) {
        log.textContent = '';
      }
      log.appendChild(row);
      // The page was rendered while the run was under way: show its final models, rows and durations.
      if (!document.querySelector('#run-status .state-' + end.status)) {
        setTimeout(function () { location.reload(); }, 300);
      }
    });
  }

  // The lineage graph: selecting a table highlights everything upstream and downstream of it.
  var graph = document.getElementById('lineage-graph');
  if (graph) {
    var edges = Array.prototype.slice.call(graph.querySelectorAll('path.edge'));
    var nodes = Array.prototype.slice.call(graph.querySelectorAll('g.node'));
    var selected = document.getElementById('lineage-selected');
    var walk = function (start, from, to) {
      var seen = {}, queue = [start];
      seen[start] = true;
      while (queue.length) {
        var table = queue.shift();
        edges.forEach(function (edge) {
          if (edge.getAttribute(from) === table && !seen[edge.getAttribute(to)]) {
            seen[edge.getAttribute(to)] = true;
            queue.push(edge.getAttribute(to));
          }
        });
      }
      return seen;
    };
    var select = function (node) {
      var table = node.getAttribute('data-table');
      var down = walk(table, 'data-from', 'data-to'), up = walk(table, 'data-to', 'data-from');
      graph.classList.add('focused');
      nodes.forEach(function (other) {
        var name = other.getAttribute('data-table');
        other.classList.toggle('lit', !!(up[name] || down[name]));
        other.classList.toggle('chosen', name === table);
      });
      edges.forEach(function (edge) {
        var a = edge.getAttribute('data-from'), b = edge.getAttribute('data-to');
        edge.classList.toggle('lit', !!((up[a] && up[b]) || (down[a] && down[b])));
      });
      selected.textContent = '';
      var link = document.createElement('a');
      link.href = '/tables/' + encodeURIComponent(table);
      link.textContent = selected.getAttribute('data-open') + ' ' + table;
      selected.appendChild(link);
    };
    // Zoom and pan by changing the view box: the buttons and the wheel zoom (around the pointer), dragging the
    // background pans; a graph of hundreds of tables stays one SVG.
    var fit = graph.getAttribute('viewBox').split(' ').map(Number);
    var view = fit.slice();
    var show = function () { graph.setAttribute('viewBox', view.join(' ')); };
    var zoom = function (factor, cx, cy) {
      var w = Math.min(fit[2] * 4, Math.max(fit[2] / 20, view[2] * factor));
      var h = w * fit[3] / fit[2];
      view = [cx - (cx - view[0]) * w / view[2], cy - (cy - view[1]) * h / view[3], w, h];
      show();
    };
    var toGraph = function (event) {
      var box = graph.getBoundingClientRect();
      return [view[0] + (event.clientX - box.left) * view[2] / box.width, view[1] + (event.clientY - box.top) * view[3] / box.height];
    };
    document.querySelectorAll('button[data-zoom]').forEach(function (button) {
      button.addEventListener('click', function () {
        var kind = button.getAttribute('data-zoom');
        if (kind === 'fit') {
          view = fit.slice();
          show();
        } else {
          zoom(kind === 'in' ? 0.8 : 1.25, view[0] + view[2] / 2, view[1] + view[3] / 2);
        }
      });
    });
    graph.addEventListener('wheel', function (event) {
      event.preventDefault();
      var at = toGraph(event);
      zoom(event.deltaY < 0 ? 0.9 : 1 / 0.9, at[0], at[1]);
    }, { passive: false });
    var drag = null;
    graph.addEventListener('pointerdown', function (event) {
      if (event.target.closest('g.node')) {
        return;
      }
      drag = { x: event.clientX, y: event.clientY, view: view.slice() };
      graph.setPointerCapture(event.pointerId);
    });
    graph.addEventListener('pointermove', function (event) {
      if (drag) {
        var box = graph.getBoundingClientRect();
        view = [drag.view[0] - (event.clientX - drag.x) * view[2] / box.width, drag.view[1] - (event.clientY - drag.y) * view[3] / box.height, view[2], view[3]];
        show();
      }
    });
    graph.addEventListener('pointerup', function () { drag = null; });

    nodes.forEach(function (node) {
      node.addEventListener('click', function () { select(node); });
      node.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          select(node);
        }
      });
    });
  }
})();
