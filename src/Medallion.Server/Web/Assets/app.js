// Medallion web UI: the little the server-rendered pages need from a script. No library, nothing fetched from elsewhere.
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'en';
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  // What the server renders and the script completes, in the page and in parts of it fetched again.
  var format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  function complete(root) {
    // Times arrive in UTC; show them in the viewer's own time zone and locale, or in the zone the page names (a job's
    // schedule's), with its name.
    root.querySelectorAll('time[datetime]').forEach(function (time) {
      var at = new Date(time.getAttribute('datetime'));
      var zone = time.getAttribute('data-zone');
      if (isNaN(at)) {
        return;
      }
      time.title = time.textContent;
      if (!zone) {
        time.textContent = format.format(at);
        return;
      }
      try {
        time.textContent = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(at) + ' (' + zone + ')';
      } catch (unknownZone) {
        // A zone the browser does not know: the server's text, already in that zone, stays.
      }
    });

    // Bars whose place and width the page gives as data (inline styles are not allowed by the page's content policy).
    root.querySelectorAll('[data-width]').forEach(function (span) {
      span.style.width = Math.max(1, Number(span.getAttribute('data-width'))) + '%';
    });
    root.querySelectorAll('[data-left]').forEach(function (span) {
      span.style.left = Number(span.getAttribute('data-left')) + '%';
    });
  }
  complete(document);

  // A part of the page about something under way names where to ask for it again (data-live: a URL whose answer holds
  // the part under the same id, rendered as on the page). It is asked for each second and replaced, until the answer no
  // longer names where to ask (what it follows has ended).
  var refreshing = {};
  function refresh(id) {
    var part = document.getElementById(id);
    if (!part || !part.getAttribute('data-live') || refreshing[id]) {
      return refreshing[id];
    }
    refreshing[id] = fetch(part.getAttribute('data-live'), { credentials: 'same-origin', cache: 'no-store' }).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status + ' ' + response.statusText);
      }
      return response.text();
    }).then(function (html) {
      var next = new DOMParser().parseFromString(html, 'text/html').getElementById(id);
      if (next) {
        document.getElementById(id).replaceWith(document.adoptNode(next));
        complete(next);
      }
    }).catch(function (error) {
      notice(String(error));
    }).then(function () {
      refreshing[id] = null;
      var now = document.getElementById(id);
      if (now && now.getAttribute('data-live')) {
        setTimeout(function () { refresh(id); }, 1000);
      }
    });
    return refreshing[id];
  }
  document.querySelectorAll('[data-live][id]').forEach(function (part) {
    setTimeout(function () { refresh(part.id); }, 1000);
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

  // A failure told where it happened: after the form that asked, at the top of the section whose button asked, else
  // at the top of the page. A section's data-failed is the lead of its notices, in the page's language.
  function notice(text, near) {
    var form = near && near.closest('form[data-api]');
    var section = near && near.closest('section[data-failed]');
    var box = form ? form.nextElementSibling : section ? section.querySelector('.notice') : document.getElementById('notice');
    if (!box || !box.classList.contains('notice')) {
      box = document.createElement('p');
      box.className = 'error notice';
      box.setAttribute('role', 'alert');
      if (form) {
        form.after(box);
      } else if (section) {
        section.querySelector('h2').after(box);
      } else {
        box.id = 'notice';
        document.getElementById('main').prepend(box);
      }
    }
    box.textContent = (section ? section.getAttribute('data-failed') + ' ' : '') + text;
  }

  // Calls the REST API with the session cookie and the anti-forgery token; resolves with the answer's JSON (null when
  // it has none), rejects with the problem's detail.
  function call(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Medallion-Antiforgery': token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return (response.status === 204 ? Promise.resolve(null) : response.json()).then(function (answer) {
        if (!response.ok) {
          throw new Error((answer && (answer.detail || answer.error)) || response.status + ' ' + response.statusText);
        }
        return answer;
      });
    });
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
      var body = JSON.parse(button.getAttribute('data-body') || '{}');
      var area = button.getAttribute('data-variables') && document.getElementById(button.getAttribute('data-variables'));
      if (area) {
        body.variables = variables(area);
        if (!body.variables) {
          return;
        }
      }
      if (button.getAttribute('data-confirm') && !window.confirm(button.getAttribute('data-confirm'))) {
        return;
      }
      button.disabled = true;
      call(button.getAttribute('data-method') || 'POST', button.getAttribute('data-action'), body).then(function (answer) {
        if (button.getAttribute('data-then') === 'run' && answer && answer.id) {
          location.assign('/runs/' + encodeURIComponent(answer.id));
        } else if (button.getAttribute('data-then') === 'live' && button.closest('[data-live][id]')) {
          refresh(button.closest('[data-live][id]').id);
        } else {
          location.reload();
        }
      }).catch(function (error) {
        notice(error.message, button);
        button.disabled = false;
      });
    }
  });

  // Forms that name their API and method (the admin page's): their fields as the JSON body (a checkbox as true/false, the fields data-lists names as a
  // list of their non-empty values), {field} in data-api and in data-compose's name=template filled from the fields.
  document.addEventListener('submit', function (event) {
    var form = event.target.closest('form[data-api][data-method]');
    if (!form) {
      return;
    }
    event.preventDefault();
    var lists = (form.getAttribute('data-lists') || '').split(' ');
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name) {
        return;
      }
      var value = field.type === 'checkbox' ? field.checked : field.type === 'password' ? field.value : field.value.trim();
      if (lists.indexOf(field.name) >= 0) {
        fields[field.name] = (fields[field.name] || []).concat(value === '' ? [] : [value]);
      } else {
        fields[field.name] = value;
      }
    });
    function fill(template, encode) {
      return template.replace(/\{(\w+)\}/g, function (hole, name) { return encode ? encodeURIComponent(fields[name]) : fields[name]; });
    }
    // POST /api/users changes the password of a user that exists: a form meant to add one says so instead of posting.
    var fresh = form.getAttribute('data-new');
    var existing = fresh && document.getElementById(form.getAttribute('data-existing'));
    if (existing && Array.prototype.some.call(existing.options, function (option) { return option.value === fields[fresh]; })) {
      notice(form.getAttribute('data-exists').replace('{0}', fields[fresh]), form);
      return;
    }
    var compose = form.getAttribute('data-compose');
    if (compose) {
      fields[compose.slice(0, compose.indexOf('='))] = fill(compose.slice(compose.indexOf('=') + 1), false);
    }
    var submit = form.querySelector('[type=submit]');
    if (submit) {
      submit.disabled = true;
    }
    call(form.getAttribute('data-method') || 'POST', fill(form.getAttribute('data-api'), true), fields).then(function (answer) {
      if (form.getAttribute('data-then') === 'secret') {
        document.getElementById('token-secret-value').textContent = answer.secret;
        document.getElementById('token-secret').hidden = false;
        form.reset();
        if (submit) {
          submit.disabled = false;
        }
      } else {
        location.reload();
      }
    }).catch(function (error) {
      notice(error.message, form);
      if (submit) {
        submit.disabled = false;
      }
    });
  });
  document.querySelectorAll('select[data-autosubmit-api]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.requestSubmit(); });
  });
  document.addEventListener('click', function (event) {
    var copy = event.target.closest && event.target.closest('button[data-copy]');
    if (copy) {
      var text = document.getElementById(copy.getAttribute('data-copy'));
      // The clipboard may be refused (no permission, no HTTPS): then the text is selected, for Ctrl+C.
      (navigator.clipboard ? navigator.clipboard.writeText(text.textContent) : Promise.reject(new Error('no clipboard'))).then(function () {
        copy.textContent = copy.getAttribute('data-copied');
      }).catch(function () {
        window.getSelection().selectAllChildren(text);
      });
    } else if (event.target.closest && event.target.closest('button[data-reload]')) {
      location.reload();
    }
  });

  // Docs forms put only the fields changed: a field left as it was is not an edit, and one emptied goes back to the
  // project files' value.
  document.querySelectorAll('form.docs-form').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = {};
      Array.prototype.forEach.call(form.querySelectorAll('[name]'), function (field) {
        if (field.value !== field.defaultValue) {
          body[field.name] = field.value.trim() || null;
        }
      });
      if (Object.keys(body).length === 0) {
        notice(form.getAttribute('data-unchanged'));
        return;
      }
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      call('PUT', form.getAttribute('data-api'), body).then(function () {
        location.reload();
      }).catch(function (error) {
        notice(error.message);
        button.disabled = false;
      });
    });
  });

  // Backfill dialogs: a preview is the API's dry run of the same request; the start queues it and shows the runs.
  document.querySelectorAll('form.backfill-form').forEach(function (form) {
    var dayFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    var states = JSON.parse(form.getAttribute('data-states') || '{}');
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
      return call('POST', form.getAttribute('data-api'), body);
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
          [dayFormat.format(new Date(interval.start)), dayFormat.format(new Date(interval.end)), states[interval.last_status] || interval.last_status || '–',
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

  // The jobs file editor: Review asks the server to check the text as a load would and shows the lines a save would
  // change (or the error, with the editor taken to its line); Save writes exactly the text reviewed, against the version
  // of the file that was opened, and any edit after the review asks for a new one.
  var editor = document.getElementById('job-editor');
  if (editor) {
    var area = editor.elements.text, review = document.getElementById('job-review');
    var saveButton = editor.querySelector('[data-editor="save"]');
    var reviewed = null;
    function fileName() {
      var input = editor.elements.name;
      if (input.type !== 'hidden' && !input.reportValidity()) {
        return null;
      }
      return input.value;
    }
    function showError(text) {
      review.replaceChildren();
      var pre = document.createElement('pre');
      pre.className = 'error';
      pre.textContent = text;
      review.append(pre);
      // "jobs/x.yml:7:5: ...": select that line, so the editor shows where the problem is.
      var place = /\.yml:(\d+)(?::(\d+))?/.exec(text);
      if (place) {
        var lines = area.value.split('\n'), line = Math.min(Number(place[1]), lines.length) - 1, start = 0;
        for (var i = 0; i < line; i++) {
          start += lines[i].length + 1;
        }
        area.focus();
        area.setSelectionRange(start, start + lines[line].length);
      }
    }
    function showDiff(check) {
      review.replaceChildren();
      var jobs = document.createElement('p');
      jobs.textContent = editor.getAttribute('data-defines') + ' ' + check.jobs.join(', ');
      review.append(jobs);
      var changed = check.diff.filter(function (line) { return line.change !== 'same'; }).length;
      if (!changed) {
        var none = document.createElement('p');
        none.className = 'muted';
        none.textContent = editor.getAttribute('data-no-change');
        review.append(none);
        return;
      }
      var pre = document.createElement('pre');
      pre.className = 'diff';
      check.diff.forEach(function (line) {
        var row = document.createElement('span');
        row.className = 'diff-' + line.change;
        row.textContent = (line.change === 'added' ? '+ ' : line.change === 'removed' ? '- ' : '  ') + line.text + '\n';
        pre.append(row);
      });
      review.append(pre);
    }
    editor.querySelector('[data-editor="review"]').addEventListener('click', function () {
      var name = fileName();
      if (name === null) {
        return;
      }
      var text = area.value;
      saveButton.disabled = true;
      call('POST', '/api/job-files/' + encodeURIComponent(name) + '/check', { text: text }).then(function (check) {
        // A new file must not exist yet; an open one must still be the version the editor read.
        if (editor.getAttribute('data-version') === 'new' && check.version !== 'new') {
          showError(check.path + ': ' + editor.getAttribute('data-exists'));
          return;
        }
        showDiff(check);
        reviewed = { name: name, text: text };
        saveButton.disabled = false;
      }).catch(function (error) { showError(error.message); });
    });
    area.addEventListener('input', function () {
      if (reviewed) {
        reviewed = null;
        saveButton.disabled = true;
        var stale = document.createElement('p');
        stale.className = 'muted';
        stale.textContent = editor.getAttribute('data-changed');
        review.prepend(stale);
      }
    });
    saveButton.addEventListener('click', function () {
      if (!reviewed) {
        return;
      }
      saveButton.disabled = true;
      call('PUT', '/api/job-files/' + encodeURIComponent(reviewed.name), { text: reviewed.text, version: editor.getAttribute('data-version') }).then(function (saved) {
        if (!saved.reload.ok) {
          showError(editor.getAttribute('data-reload-failed') + ' ' + saved.reload.error);
        } else {
          location.assign('/jobs' + (saved.jobs.length ? '#job-' + encodeURIComponent(saved.jobs[0]) : ''));
        }
      }).catch(function (error) { showError(error.message); });
    });
  }

  // A run's log: stored lines, then new ones as they are written (server-sent events), until the run ends. The
  // filters above it hide lines of other models or of lower levels, those already shown and those still to come.
  var log = document.getElementById('log');
  if (log && log.getAttribute('data-stream')) {
    // The lines are the platform's English; the page gives the patterns of their fixed words in its language (none in
    // English). A group of a pattern is a word of the page's or a message of its own (the reason a step was skipped).
    var messages = JSON.parse(log.getAttribute('data-messages') || '{}');
    var patterns = (messages.patterns || []).map(function (pair) { return [new RegExp(pair[0]), pair[1]]; });
    var words = messages.words || {};
    var translate = function (text) {
      if (!text || !patterns.length) {
        return text;
      }
      if (Object.prototype.hasOwnProperty.call(words, text)) {
        return words[text];
      }
      for (var i = 0; i < patterns.length; i++) {
        var match = patterns[i][0].exec(text);
        if (match) {
          return patterns[i][1].replace(/\{(\d)\}/g, function (hole, group) { return translate(match[Number(group)]); });
        }
      }
      return text;
    };
    var levels = { info: 0, warning: 1, error: 2 };
    var byModel = document.getElementById('log-model');
    var byLevel = document.getElementById('log-level');
    var hiddenCount = document.getElementById('log-hidden');
    var shows = function (row) {
      if (row.classList.contains('end')) {
        return true;
      }
      var model = byModel.value, level = levels[row.getAttribute('data-level')];
      return (model === '' || row.getAttribute('data-model') === model) && (level === undefined || level >= levels[byLevel.value]);
    };
    var filter = function () {
      var hidden = 0;
      log.querySelectorAll('.line').forEach(function (row) {
        row.hidden = !shows(row);
        hidden += row.hidden ? 1 : 0;
      });
      hiddenCount.textContent = hidden === 0 ? '' : hiddenCount.getAttribute('data-text') + ' ' + hidden;
    };
    byModel.addEventListener('change', filter);
    byLevel.addEventListener('change', filter);
    log.textContent = log.getAttribute('data-waiting');
    var first = true;
    var append = function (row) {
      if (first) {
        log.textContent = '';
        first = false;
      }
      log.appendChild(row);
      filter();
      log.scrollTop = log.scrollHeight;
    };
    var stream = new EventSource(log.getAttribute('data-stream'));
    stream.addEventListener('log', function (event) {
      var line = JSON.parse(event.data);
      // The API writes a table name as {namespace, name}; a model met for the first time joins the model filter.
      var model = line.model ? line.model.namespace + '.' + line.model.name : '-';
      if (!byModel.querySelector('option[value="' + CSS.escape(model) + '"]')) {
        var option = document.createElement('option');
        option.value = option.textContent = model;
        byModel.appendChild(option);
      }
      var row = document.createElement('span');
      row.className = 'line level-' + line.level;
      row.setAttribute('data-model', model);
      row.setAttribute('data-level', line.level);
      // The message names its model itself: the line is its time, level and message.
      row.textContent = new Date(line.logged_at).toLocaleTimeString(lang) + '  ' + translate(line.level.toUpperCase()).padEnd(8) + translate(line.message) + '\n';
      append(row);
    });
    stream.addEventListener('end', function (event) {
      stream.close();
      var end = JSON.parse(event.data);
      var row = document.createElement('span');
      row.className = 'line end state-' + end.status;
      row.textContent = (log.getAttribute('data-end-' + end.status) || end.status) + '\n';
      append(row);
      // The page was rendered while the run was under way: show its final state, models and attempts now.
      refresh('run-live');
    });
  }

  // The SQL page: the schema browser, completions, history, saved queries and the chart of a result.
  var sqlForm = document.getElementById('sql-form');
  if (sqlForm) {
    sqlPage(sqlForm);
  }

  function sqlPage(form) {
    var editor = document.getElementById('sql');
    var tree = document.getElementById('schema-tree');
    var tables = Array.prototype.map.call(tree.querySelectorAll('li[data-table]'), function (item) { return item.getAttribute('data-table'); });
    var namespaces = Array.prototype.map.call(tree.querySelectorAll('li[data-namespace]'), function (item) { return item.getAttribute('data-namespace'); });
    var columnsByTable = {};

    // A name as SQL needs it: plain lower-case words as they are, anything else in double quotes.
    function quote(name) {
      return /^[a-z_][a-z0-9_]*$/.test(name) ? name : '"' + name.replace(/"/g, '""') + '"';
    }
    function qualified(table) {
      var dot = table.indexOf('.');
      return quote(table.slice(0, dot)) + '.' + quote(table.slice(dot + 1));
    }
    function span(className, text) {
      var made = document.createElement('span');
      made.className = className;
      made.textContent = text;
      return made;
    }
    function columnsOf(table) {
      if (!columnsByTable[table]) {
        columnsByTable[table] = fetch(tree.getAttribute('data-columns') + '?table=' + encodeURIComponent(table), { credentials: 'same-origin' })
          .then(function (response) {
            if (!response.ok) {
              throw new Error(tree.getAttribute('data-failed'));
            }
            return response.json();
          });
        columnsByTable[table].catch(function () { delete columnsByTable[table]; });
      }
      return columnsByTable[table];
    }

    // Replaces the text between start and end with text, as typing would (so undo takes it back), and leaves the cursor after it.
    var replacing = false;
    function replace(start, end, text) {
      editor.focus();
      editor.setSelectionRange(start, end);
      replacing = true;
      try {
        if (!document.execCommand('insertText', false, text)) {
          editor.setRangeText(text, start, end, 'end');
        }
      } finally {
        replacing = false;
      }
    }
    function insertAtCursor(text) {
      var start = editor.selectionStart, end = editor.selectionEnd;
      var before = editor.value.slice(0, start);
      replace(start, end, (before === '' || /[\s(,]$/.test(before) ? '' : ' ') + text);
      closeCompletions();
    }

    // The schema browser: names insert themselves at the cursor; a table's toggle loads and shows its columns.
    tree.addEventListener('click', function (event) {
      var insert = event.target.closest('button.insert');
      if (insert) {
        insertAtCursor(insert.hasAttribute('data-column') ? quote(insert.getAttribute('data-insert')) : qualified(insert.getAttribute('data-insert')));
        return;
      }
      var toggle = event.target.closest('button.toggle');
      if (!toggle) {
        return;
      }
      var item = toggle.closest('li[data-table]');
      var list = item.querySelector('ul.columns');
      var open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      list.hidden = !open;
      if (!open || list.getAttribute('data-loaded')) {
        return;
      }
      list.textContent = '';
      var loading = document.createElement('li');
      loading.className = 'muted small';
      loading.textContent = tree.getAttribute('data-loading');
      list.appendChild(loading);
      columnsOf(item.getAttribute('data-table')).then(function (columns) {
        list.textContent = '';
        list.setAttribute('data-loaded', 'true');
        columns.forEach(function (column) {
          var entry = document.createElement('li');
          entry.className = 'column';
          var name = document.createElement('button');
          name.type = 'button';
          name.className = 'insert';
          name.setAttribute('data-insert', column.name);
          name.setAttribute('data-column', '');
          name.textContent = column.name;
          entry.appendChild(name);
          entry.appendChild(span('type', column.type));
          if (column.masked) {
            entry.appendChild(span('tag masked', tree.getAttribute('data-masked')));
          }
          list.appendChild(entry);
        });
      }).catch(function (error) {
        loading.textContent = error.message;
      });
    });
    document.getElementById('schema-filter').addEventListener('input', function (event) {
      var words = event.target.value.trim().toLowerCase();
      tree.querySelectorAll('li[data-namespace]').forEach(function (ns) {
        var shown = 0;
        ns.querySelectorAll('li[data-table]').forEach(function (item) {
          var match = item.getAttribute('data-table').toLowerCase().indexOf(words) >= 0;
          item.hidden = !match;
          shown += match ? 1 : 0;
        });
        ns.hidden = shown === 0;
      });
    });

    // Completions: tables (namespace.table) anywhere, columns of the tables the query names (or of the one before a dot).
    var list = document.getElementById('sql-completions');
    var offered = [], active = -1, word = null, request = 0;
    var keywords = /^(where|join|on|group|order|limit|left|right|inner|outer|full|cross|using|union|natural|having|window|qualify|as|at|select|from|and|or|not|set|except|intersect)$/i;

    function namedTables(sql) {
      var named = {};
      tables.forEach(function (table) {
        var pattern = new RegExp('(^|[^\\w."])' + table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?![\\w"])(?:\\s+(?:as\\s+)?([A-Za-z_]\\w*))?', 'gi');
        var match;
        while ((match = pattern.exec(sql)) !== null) {
          named[table.toLowerCase()] = table;
          if (match[2] && !keywords.test(match[2])) {
            named[match[2].toLowerCase()] = table;
          }
        }
      });
      return named;
    }
    // The word being typed before the cursor: its start, the part before its last dot (a namespace, table or alias) and after.
    function wordAtCursor() {
      var before = editor.value.slice(0, editor.selectionStart);
      var match = /[A-Za-z0-9_.]*$/.exec(before);
      var text = match[0];
      var dot = text.lastIndexOf('.');
      return { start: before.length - text.length, end: editor.selectionStart, qualifier: dot < 0 ? null : text.slice(0, dot), prefix: (dot < 0 ? text : text.slice(dot + 1)).toLowerCase(), text: text };
    }
    function candidates(at) {
      var named = namedTables(editor.value);
      var found = [];
      if (at.qualifier !== null) {
        var qualifier = at.qualifier.toLowerCase();
        if (namespaces.some(function (ns) { return ns.toLowerCase() === qualifier; })) {
          tables.forEach(function (table) {
            var dot = table.indexOf('.');
            if (table.slice(0, dot).toLowerCase() === qualifier && table.slice(dot + 1).toLowerCase().indexOf(at.prefix) === 0) {
              found.push({ label: table, insert: qualified(table), start: at.start, kind: 'table' });
            }
          });
          return Promise.resolve(found);
        }
        var table = named[qualifier] || tables.filter(function (t) { return t.toLowerCase() === qualifier; })[0];
        if (!table) {
          return Promise.resolve(found);
        }
        return columnsOf(table).then(function (columns) {
          return columns.filter(function (c) { return c.name.toLowerCase().indexOf(at.prefix) === 0; })
            .map(function (c) { return { label: c.name, insert: quote(c.name), start: at.end - at.prefix.length, kind: c.type }; });
        });
      }
      tables.forEach(function (table) {
        var name = table.slice(table.indexOf('.') + 1).toLowerCase();
        if (table.toLowerCase().indexOf(at.prefix) === 0 || name.indexOf(at.prefix) === 0) {
          found.push({ label: table, insert: qualified(table), start: at.start, kind: 'table' });
        }
      });
      var distinct = {};
      Object.keys(named).forEach(function (key) { distinct[named[key]] = true; });
      return Promise.all(Object.keys(distinct).map(function (table) {
        return columnsOf(table).catch(function () { return []; });
      })).then(function (all) {
        var seen = {};
        all.forEach(function (columns) {
          columns.forEach(function (c) {
            if (c.name.toLowerCase().indexOf(at.prefix) === 0 && !seen[c.name]) {
              seen[c.name] = true;
              found.push({ label: c.name, insert: quote(c.name), start: at.start, kind: c.type });
            }
          });
        });
        // Columns first once the query names a table: that is what is typed most after FROM.
        return found.filter(function (c) { return c.kind !== 'table'; }).concat(found.filter(function (c) { return c.kind === 'table'; }));
      });
    }
    function closeCompletions() {
      list.hidden = true;
      list.textContent = '';
      offered = [];
      active = -1;
      editor.setAttribute('aria-expanded', 'false');
      editor.removeAttribute('aria-activedescendant');
    }
    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute('aria-selected', String(i === index));
        if (i === index) {
          option.scrollIntoView({ block: 'nearest' });
        }
      });
      editor.setAttribute('aria-activedescendant', 'completion-' + index);
    }
    function accept(index) {
      var chosen = offered[index];
      var at = word;
      closeCompletions();
      replace(chosen.start, at.end, chosen.insert);
    }
    // Where the cursor is in the editor, in pixels: a hidden copy of the text up to it, styled alike, measured.
    function caretPosition() {
      var mirror = document.createElement('div');
      var style = getComputedStyle(editor);
      ['fontFamily', 'fontSize', 'fontWeight', 'lineHeight', 'letterSpacing', 'paddingTop', 'paddingLeft', 'paddingRight', 'borderTopWidth', 'borderLeftWidth', 'boxSizing', 'width', 'tabSize']
        .forEach(function (property) { mirror.style[property] = style[property]; });
      mirror.className = 'caret-mirror';
      mirror.textContent = editor.value.slice(0, editor.selectionStart);
      var marker = document.createElement('span');
      marker.textContent = '\u200b';
      mirror.appendChild(marker);
      editor.parentNode.appendChild(mirror);
      var position = { top: marker.offsetTop - editor.scrollTop + (parseFloat(style.lineHeight) || 20), left: marker.offsetLeft - editor.scrollLeft };
      mirror.remove();
      return position;
    }
    function complete(forced) {
      var at = wordAtCursor();
      if (!forced && at.text.length < 2 && at.text.slice(-1) !== '.') {
        closeCompletions();
        return;
      }
      var asked = ++request;
      candidates(at).then(function (found) {
        if (asked !== request) {
          return;
        }
        word = at;
        offered = found.slice(0, 50);
        list.textContent = '';
        // A word typed in full needs no list (and Enter then starts a new line, as expected).
        if (offered.length === 0 || (offered.length === 1 && offered[0].insert === editor.value.slice(offered[0].start, at.end))) {
          closeCompletions();
          return;
        }
        offered.forEach(function (candidate, i) {
          var option = document.createElement('li');
          option.id = 'completion-' + i;
          option.setAttribute('role', 'option');
          option.className = candidate.kind === 'table' ? 'table' : 'column';
          option.appendChild(span('label', candidate.label));
          option.appendChild(span('kind', candidate.kind));
          option.addEventListener('mousedown', function (event) {
            event.preventDefault();
            accept(i);
          });
          list.appendChild(option);
        });
        var position = caretPosition();
        list.hidden = false;
        list.style.top = Math.min(position.top, editor.offsetHeight) + 'px';
        list.style.left = Math.max(0, Math.min(position.left, editor.offsetWidth - list.offsetWidth)) + 'px';
        editor.setAttribute('aria-expanded', 'true');
        highlight(0);
      });
    }
    editor.addEventListener('keydown', function (event) {
      if (event.key === ' ' && event.ctrlKey) {
        event.preventDefault();
        complete(true);
        return;
      }
      if (list.hidden || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        highlight((active + (event.key === 'ArrowDown' ? 1 : offered.length - 1)) % offered.length);
      } else if (event.key === 'Tab' || event.key === 'Enter') {
        event.preventDefault();
        accept(active);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        closeCompletions();
      }
    });
    editor.addEventListener('input', function (event) {
      if (replacing) {
        return;
      }
      if (event.inputType === 'insertText' || event.inputType === 'deleteContentBackward') {
        complete(false);
      } else {
        closeCompletions();
      }
    });
    editor.addEventListener('blur', closeCompletions);
    editor.addEventListener('click', closeCompletions);

    // History: kept in this browser under the signed-in user's name (so were saved queries, once; see moveSaved).
    var user = form.getAttribute('data-user');
    var prefix = 'medallion.sql.' + user + '.';
    function load(name) {
      try {
        return JSON.parse(localStorage.getItem(prefix + name)) || [];
      } catch (error) {
        return [];
      }
    }
    function store(name, items) {
      try {
        localStorage.setItem(prefix + name, JSON.stringify(items));
      } catch (error) {
        status(error.message, true);
      }
    }
    // What the last save, open or delete did, beside the save button; a failure in the colour of failures.
    function status(text, failed) {
      var box = document.getElementById('save-status');
      box.textContent = text;
      box.classList.toggle('failed', !!failed);
    }
    var when = new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' });
    function runAgain(sql) {
      editor.value = sql;
      form.requestSubmit(form.querySelector('button[value=html]'));
    }
    function button(className, text, title, click) {
      var made = document.createElement('button');
      made.type = 'button';
      made.className = className;
      made.title = title;
      made.textContent = text;
      made.addEventListener('click', click);
      return made;
    }
    // Fills a list with one item per entry (its parts made by entry), and shows its note when it is empty.
    function show(items, listId, emptyId, entry) {
      var target = document.getElementById(listId);
      target.textContent = '';
      items.forEach(function (item) {
        var row = document.createElement('li');
        entry(item).forEach(function (part) { row.appendChild(part); });
        target.appendChild(row);
      });
      document.getElementById(emptyId).hidden = items.length > 0;
    }
    function showHistory() {
      var items = load('history');
      show(items, 'query-history', 'history-empty', function (item) {
        return [button('query-run', item.sql.replace(/\s+/g, ' '), form.getAttribute('data-run-again') + ': ' + item.sql, function () { runAgain(item.sql); }),
          span('muted small', when.format(new Date(item.at)))];
      });
      document.getElementById('history-clear').hidden = items.length === 0;
    }
    form.addEventListener('submit', function () {
      var sql = editor.value.trim();
      if (sql === '') {
        return;
      }
      var items = load('history').filter(function (item) { return item.sql !== sql; });
      items.unshift({ sql: sql, at: new Date().toISOString() });
      store('history', items.slice(0, 50));
    });
    document.getElementById('history-clear').addEventListener('click', function () {
      store('history', []);
      showHistory();
    });
    showHistory();

    // Saved queries: kept on the server (/api/saved-queries), the user's own first, then those others shared.
    var nameBox = document.getElementById('save-name');
    var sharedBox = document.getElementById('save-shared');
    var saved = [];
    function queryUrl(owner, name) {
      return '/api/saved-queries/' + encodeURIComponent(owner) + '/' + encodeURIComponent(name);
    }
    function mineNamed(name) {
      return saved.filter(function (item) { return item.owner === user && item.name.toLowerCase() === name.toLowerCase(); })[0];
    }
    function showSaved(items) {
      saved = items;
      show(items, 'saved-queries', 'saved-empty', function (item) {
        var mine = item.owner === user;
        var byOwner = form.getAttribute('data-by') + ' ' + item.owner;
        var open = button('query-open', item.name, (item.description ? item.description + '\n\n' : '') + item.sql, function () {
          editor.value = item.sql;
          nameBox.value = item.name;
          sharedBox.checked = mine && item.shared;
          status(form.getAttribute('data-opened') + ': ' + item.name + (mine ? '' : ' (' + byOwner + ')'));
          editor.focus();
        });
        if (!mine) {
          return [open, span('muted small query-owner', byOwner)];
        }
        var remove = button('query-delete', '×', form.getAttribute('data-delete'), function () {
          call('DELETE', queryUrl(item.owner, item.name)).then(loadSaved).catch(function (error) {
            status(form.getAttribute('data-not-deleted') + ' ' + error.message, true);
          });
        });
        remove.setAttribute('aria-label', form.getAttribute('data-delete') + ' ' + item.name);
        return (item.shared ? [open, span('muted small query-shared', form.getAttribute('data-shared'))] : [open]).concat([remove]);
      });
    }
    function loadSaved() {
      return call('GET', '/api/saved-queries').then(showSaved);
    }
    document.getElementById('save-query').addEventListener('click', function (event) {
      var name = nameBox.value.trim();
      if (name === '' || editor.value.trim() === '') {
        status(event.target.getAttribute('data-required'));
        (name === '' ? nameBox : editor).focus();
        return;
      }
      // Saving over one of the user's own keeps its description, which this page does not edit.
      var previous = mineNamed(name);
      call('PUT', queryUrl(user, name), { sql: editor.value, description: previous ? previous.description : null, shared: sharedBox.checked }).then(function (query) {
        status(event.target.getAttribute('data-saved') + ': ' + query.name);
        return loadSaved();
      }).catch(function (error) {
        status(event.target.getAttribute('data-not-saved') + ' ' + error.message, true);
      });
    });
    // Queries saved in this browser before the server kept them move there once, then leave the browser. One whose name
    // the user already has on the server for other SQL moves under that name followed by "(this browser)"; one the
    // server refuses stays here, said why, and is tried again on the next visit.
    function moveSaved(items) {
      saved = items;
      var local = load('saved');
      if (local.length === 0) {
        return items;
      }
      var kept = [];
      var suffix = ' (' + form.getAttribute('data-this-browser') + ')';
      return local.reduce(function (done, item) {
        return done.then(function () {
          if (typeof item.name !== 'string' || typeof item.sql !== 'string') {
            return null;
          }
          var name = item.name.replace(/[\/\u0000-\u001f\u007f-\u009f]/g, '-').trim();
          var taken = mineNamed(name);
          if (taken && taken.sql === item.sql) {
            return null;
          }
          return call('PUT', queryUrl(user, taken ? name.slice(0, nameBox.maxLength - suffix.length) + suffix : name), { sql: item.sql, shared: false }).catch(function (error) {
            kept.push(item);
            status(form.getAttribute('data-not-moved') + ' ' + item.name + ': ' + error.message, true);
          });
        });
      }, Promise.resolve()).then(function () {
        if (kept.length > 0) {
          store('saved', kept);
        } else {
          try {
            localStorage.removeItem(prefix + 'saved');
          } catch (error) {
            status(error.message, true);
          }
        }
        return call('GET', '/api/saved-queries');
      });
    }
    call('GET', '/api/saved-queries').then(moveSaved).then(showSaved).catch(function (error) {
      status(form.getAttribute('data-unread') + ' ' + error.message, true);
    });

    var chart = document.getElementById('result-chart');
    if (chart) {
      chart.addEventListener('toggle', function () {
        if (chart.open) {
          drawChart();
        }
      });
      ['chart-kind', 'chart-x', 'chart-y'].forEach(function (id) { document.getElementById(id).addEventListener('change', drawChart); });
      window.addEventListener('resize', function () {
        if (chart.open) {
          drawChart();
        }
      });
    }
  }

  // The chart of a result: the rows shown, X as the cells read, Y from the numbers' invariant values; axes labelled.
  function drawChart() {
    var svgNs = 'http://www.w3.org/2000/svg';
    var svg = document.getElementById('chart');
    var kind = document.getElementById('chart-kind').value;
    var xi = Number(document.getElementById('chart-x').value), yi = Number(document.getElementById('chart-y').value);
    var headers = document.querySelectorAll('#query-result table.result thead th');
    var points = [];
    document.querySelectorAll('#query-result table.result tbody tr').forEach(function (row) {
      var value = row.children[yi].getAttribute('data-value');
      if (value !== null && isFinite(Number(value))) {
        points.push({ x: row.children[xi].textContent, y: Number(value) });
      }
    });
    var width = Math.max(280, Math.min(960, svg.parentNode.clientWidth - 16)), height = 320;
    var left = 72, right = 12, top = 12, bottom = 64;
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.textContent = '';
    function add(name, attributes, text) {
      var element = document.createElementNS(svgNs, name);
      Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
      if (text !== undefined) {
        element.textContent = text;
      }
      svg.appendChild(element);
      return element;
    }
    var number = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    var low = Math.min.apply(null, [0].concat(points.map(function (p) { return p.y; })));
    var high = Math.max.apply(null, [0].concat(points.map(function (p) { return p.y; })));
    if (low === high) {
      high = low + 1;
    }
    // Ticks at a round step (1, 2 or 5 times a power of ten), about five of them.
    var raw = (high - low) / 5, magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * magnitude; }).filter(function (s) { return s >= raw; })[0];
    low = Math.floor(low / step) * step;
    high = Math.ceil(high / step) * step;
    function y(value) { return top + (high - value) * (height - top - bottom) / (high - low); }
    for (var tick = low; tick <= high + step / 2; tick += step) {
      add('line', { class: 'grid', x1: left, x2: width - right, y1: y(tick), y2: y(tick) });
      add('text', { class: 'label end', x: left - 6, y: y(tick) + 4 }, number.format(tick));
    }
    add('line', { class: 'axis', x1: left, x2: left, y1: top, y2: height - bottom });
    add('line', { class: 'axis', x1: left, x2: width - right, y1: y(0), y2: y(0) });
    var band = (width - left - right) / Math.max(1, points.length);
    var every = Math.max(1, Math.ceil(points.length * 56 / (width - left - right)));
    points.forEach(function (point, i) {
      var center = left + band * (i + 0.5);
      var tip = point.x + ': ' + number.format(point.y);
      if (kind === 'bar') {
        // A few groups get bars of a readable width, centred in their band, not walls across the chart.
        var barWidth = Math.max(1, Math.min(band * 0.8, 64));
        var bar = add('rect', { class: 'bar', x: center - barWidth / 2, width: barWidth, y: Math.min(y(point.y), y(0)), height: Math.max(1, Math.abs(y(point.y) - y(0))) });
        bar.appendChild(document.createElementNS(svgNs, 'title')).textContent = tip;
      } else {
        add('circle', { class: 'point', cx: center, cy: y(point.y), r: 3 }).appendChild(document.createElementNS(svgNs, 'title')).textContent = tip;
      }
      if (i % every === 0) {
        var label = point.x.length > 10 ? point.x.slice(0, 9) + '…' : point.x;
        add('text', { class: 'label tick-x', x: center, y: height - bottom + 16 }, label);
      }
    });
    if (kind === 'line' && points.length > 0) {
      var line = add('polyline', { class: 'series', points: points.map(function (point, i) { return (left + band * (i + 0.5)) + ',' + y(point.y); }).join(' ') });
      svg.insertBefore(line, svg.querySelector('circle'));
    }
    add('text', { class: 'axis-title', x: left + (width - left - right) / 2, y: height - 8 }, headers[xi].textContent);
    add('text', { class: 'axis-title', x: 14, y: top + (height - top - bottom) / 2, transform: 'rotate(-90 14 ' + (top + (height - top - bottom) / 2) + ')' }, headers[yi].textContent);
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
      link.href = '/tables/' + encodeURIComponent(table) + (selected.getAttribute('data-query') || '');
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
