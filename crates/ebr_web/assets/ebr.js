// ebr pages: every change is a call of the JSON API (/api/v1), so the
// pages obey exactly the API's rules. This script turns forms into those
// calls, asks for the signature, shows what the server answered in the
// person's language, keeps what was typed when a session ends, and lets a
// barcode scanner's Enter move to the next field.
(function () {
  'use strict';
  var $ = function (s, r) { return (r || document).querySelector(s); };
  var $$ = function (s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); };
  var messagesEl = $('#messages');
  var msgs = {};
  try { msgs = JSON.parse(messagesEl ? messagesEl.textContent : '{}'); } catch (e) { msgs = {}; }
  function m(key, fallback) { return msgs[key] || fallback || key; }
  var csrfMeta = $('meta[name=csrf-token]');
  var csrf = csrfMeta ? csrfMeta.content : '';
  var body = document.body;
  var person = body.dataset.person || '';
  var here = location.pathname + location.search;

  // ---- flash messages across a reload ----
  function flash(text, kind) {
    var box = $('#flash');
    if (!box || !text) return;
    box.textContent = text;
    box.className = 'flash ' + (kind || 'ok');
    box.hidden = false;
  }
  try {
    var pending = sessionStorage.getItem('ebr-flash');
    if (pending) { sessionStorage.removeItem('ebr-flash'); flash(pending, 'ok'); }
  } catch (e) { /* storage unavailable */ }

  // ---- drafts: what was typed survives an ended session ----
  function draftKey(form) { return 'ebr-draft:' + location.pathname + '#' + form.id; }
  function saveDraft(form) {
    if (!form.id || form.dataset.draft === undefined) return;
    var values = {};
    $$('input, select, textarea', form).forEach(function (el) {
      if (!el.name || el.type === 'password' || el.type === 'hidden') return;
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) values[el.name + '=' + el.value] = true;
      } else if (el.value !== '') {
        values[el.name] = el.value;
      }
    });
    try {
      if (Object.keys(values).length === 0) sessionStorage.removeItem(draftKey(form));
      else sessionStorage.setItem(draftKey(form), JSON.stringify({ person: person, values: values }));
    } catch (e) { /* storage full or unavailable */ }
  }
  function saveAllDrafts() { $$('form[data-draft]').forEach(saveDraft); }
  function clearDraft(form) { try { sessionStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ } }
  function restoreDrafts() {
    var restored = false;
    $$('form[data-draft]').forEach(function (form) {
      var raw = null;
      try { raw = sessionStorage.getItem(draftKey(form)); } catch (e) { raw = null; }
      if (!raw) return;
      var draft;
      try { draft = JSON.parse(raw); } catch (e) { return; }
      if (!draft || draft.person !== person) return; // never show one person's typing to another
      $$('input, select, textarea', form).forEach(function (el) {
        if (!el.name || el.type === 'password' || el.type === 'hidden') return;
        if (el.type === 'checkbox' || el.type === 'radio') {
          if (draft.values[el.name + '=' + el.value]) el.checked = true;
        } else if (Object.prototype.hasOwnProperty.call(draft.values, el.name)) {
          el.value = draft.values[el.name];
        }
      });
      var details = form.closest('details');
      if (details) details.open = true;
      restored = true;
    });
    if (restored) flash(m('js.draft_restored'), 'notice');
  }
  document.addEventListener('input', function (ev) {
    var form = ev.target.form || (ev.target.closest && ev.target.closest('form'));
    if (form) saveDraft(form);
  });
  document.addEventListener('change', function (ev) {
    var form = ev.target.form || (ev.target.closest && ev.target.closest('form'));
    if (form) saveDraft(form);
  });

  function toLogin(expired) {
    saveAllDrafts();
    location.assign('/login?next=' + encodeURIComponent(here) + (expired ? '&expired=1' : ''));
  }

  // ---- idle: the server ends the session; keep the typing and go to login ----
  var idleSeconds = parseInt(body.dataset.idleSeconds || '0', 10);
  var lastContact = Date.now();
  if (person && idleSeconds > 0) {
    setInterval(function () {
      if ((Date.now() - lastContact) / 1000 > idleSeconds) toLogin(true);
    }, 5000);
  }

  // ---- the API ----
  function api(method, url, payload) {
    var init = {
      method: method,
      credentials: 'same-origin',
      headers: { 'accept': 'application/json', 'x-csrf-token': csrf }
    };
    if (payload !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    return fetch(url, init).then(function (res) {
      lastContact = Date.now();
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: res.ok, status: res.status, data: data };
      });
    }, function () {
      return { ok: false, status: 0, data: { code: 'network_unreachable' } };
    });
  }
  var sessionEnded = ['session_expired', 'session_invalid', 'authentication_required'];

  function problemText(problem) {
    if (!problem) return m('error.internal');
    var code = problem.code;
    return (code && msgs['error.' + code]) || problem.detail || m('error.internal');
  }
  function showError(box, problem) {
    if (!box) { flash(problemText(problem), 'error'); return; }
    box.innerHTML = '';
    var p = document.createElement('p');
    p.textContent = problemText(problem);
    box.appendChild(p);
    if (problem && problem.code) {
      var code = document.createElement('p');
      code.className = 'code';
      code.textContent = m('js.rule') + ' ' + problem.code;
      box.appendChild(code);
    }
    if (problem && problem.problems && problem.problems.length) {
      var ul = document.createElement('ul');
      problem.problems.forEach(function (item) {
        var li = document.createElement('li');
        var label = item.code ? (msgs['finding.' + item.code] || item.code) + ': ' : '';
        li.textContent = label + (item.path ? item.path + ' — ' : '') + item.message;
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = false;
    box.setAttribute('tabindex', '-1');
    box.focus();
  }

  // ---- forms → JSON ----
  function setPath(obj, path, value) {
    var parts = path.split('.');
    var cur = obj;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof cur[parts[i]] !== 'object' || cur[parts[i]] === null) cur[parts[i]] = {};
      cur = cur[parts[i]];
    }
    cur[parts[parts.length - 1]] = value;
  }
  function convert(el, raw) {
    switch (el.dataset.json) {
      case 'bool': return raw === true || raw === 'true';
      case 'numbers': return String(raw).split(',').map(function (x) { return parseInt(x.trim(), 10); });
      case 'lines': return String(raw).split(/\r?\n/).map(function (x) { return x.trim(); }).filter(function (x) { return x !== ''; });
      case 'datetime': {
        var d = new Date(raw);
        return isNaN(d.getTime()) ? raw : d.toISOString();
      }
      default: return raw;
    }
  }
  function collect(form) {
    var out = {};
    $$('input, select, textarea', form).forEach(function (el) {
      if (!el.name || el.disabled || el.dataset.skip !== undefined) return;
      if (el.type === 'radio') {
        if (el.checked) setPath(out, el.name, convert(el, el.value));
        return;
      }
      if (el.type === 'checkbox') {
        if (el.dataset.json === 'bool') setPath(out, el.name, el.checked);
        else if (el.checked) setPath(out, el.name, el.value);
        return;
      }
      if (el.value === '') return;
      setPath(out, el.name, convert(el, el.value));
    });
    return out;
  }
  function busy(form, on) {
    $$('button', form).forEach(function (b) { b.disabled = on; });
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  }
  function succeeded(form, res) {
    clearDraft(form);
    try { if (form.dataset.done) sessionStorage.setItem('ebr-flash', form.dataset.done); } catch (e) { /* ignore */ }
    if (form.id === 'login') {
      // The lockout alert: the login itself never says an account is
      // locked; the person is told here, after an administrator unlocked it.
      try { if (res.data && res.data.security_notice) sessionStorage.setItem('ebr-flash', res.data.security_notice); } catch (e) { /* ignore */ }
      var next = form.dataset.next || '/';
      location.assign(res.data && res.data.must_change_password ? '/account' : next);
      return;
    }
    if (form.dataset.reveal && res.data && Array.isArray(res.data[form.dataset.reveal])) {
      // Shown once (e.g. recovery codes): list them in place of the form.
      var box = document.getElementById(form.dataset.revealInto);
      var list = document.createElement('ol');
      res.data[form.dataset.reveal].forEach(function (item) {
        var li = document.createElement('li');
        var code = document.createElement('code');
        code.textContent = item;
        li.appendChild(code);
        list.appendChild(li);
      });
      box.appendChild(list);
      box.hidden = false;
      form.hidden = true;
      return;
    }
    if (form.dataset.open && res.data && res.data.id) location.assign(form.dataset.open.replace('{id}', res.data.id));
    else if (form.dataset.next) location.assign(form.dataset.next);
    else location.assign(location.pathname + location.search);
  }
  function failed(form, res) {
    var code = res.data && res.data.code;
    if (res.status === 401 && sessionEnded.indexOf(code) >= 0) { toLogin(true); return; }
    if (res.status === 403 && code === 'password_change_required') { location.assign('/account'); return; }
    showError($('.form-error', form), res.data);
  }
  function mismatch(form) {
    var bad = $$('[data-must-match]', form).filter(function (el) {
      var other = form.querySelector('#' + el.dataset.mustMatch);
      return other && other.value !== el.value;
    });
    if (bad.length) { showError($('.form-error', form), { code: 'passwords_differ', detail: m('error.passwords_differ') }); return true; }
    return false;
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches('form[data-api]')) return;
    ev.preventDefault();
    if (mismatch(form)) return;
    var errorBox = $('.form-error', form);
    if (errorBox) errorBox.hidden = true;
    var payload = collect(form);
    if (form.dataset.sign) { openSignature(form, payload); return; }
    if (form.dataset.download) { download(form, payload); return; }
    busy(form, true);
    api(form.dataset.method || 'POST', form.dataset.api, payload).then(function (res) {
      busy(form, false);
      if (res.ok) succeeded(form, res); else failed(form, res);
    });
  });

  // A file chosen for upload (a temperature-logger export) is read as text
  // into the form's hidden fields, so it is sent, as uploaded, with the JSON.
  document.addEventListener('change', function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches('input[type=file][data-read-text]')) return;
    var form = input.form;
    var text = form.querySelector('input[name="' + input.dataset.readText + '"]');
    var name = form.querySelector('input[name="' + input.dataset.readName + '"]');
    var file = input.files && input.files[0];
    if (!file) { text.value = ''; name.value = ''; return; }
    var reader = new FileReader();
    reader.onload = function () { text.value = reader.result; name.value = file.name; };
    reader.readAsText(file);
  });

  // A form whose answer is a document (a label sheet): the document is
  // saved as the browser's download, then the page reloads to show what
  // the request recorded. Refusals are shown like any other form's.
  function download(form, payload) {
    busy(form, true);
    fetch(form.dataset.api, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'accept': 'application/pdf, application/json', 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(payload)
    }).then(function (res) {
      lastContact = Date.now();
      if (!res.ok) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          busy(form, false);
          failed(form, { ok: false, status: res.status, data: data });
        });
      }
      return res.blob().then(function (blob) {
        var link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = form.dataset.download;
        document.body.appendChild(link);
        link.click();
        link.remove();
        busy(form, false);
        setTimeout(function () { succeeded(form, { ok: true, data: null }); }, 300);
      });
    }, function () {
      busy(form, false);
      failed(form, { ok: false, status: 0, data: { code: 'network_unreachable' } });
    });
  }

  // ---- the signature ceremony ----
  var dialog = $('#sign-dialog');
  function openSignature(form, payload) {
    if (!dialog) return;
    var f = $('#sign-form');
    f.reset();
    $('#sign-meaning').textContent = form.dataset.statement || '';
    $('#sign-subject').textContent = form.dataset.subject || '';
    var userRow = $('#sign-username-row');
    var needUser = body.dataset.needsUsername === 'true';
    userRow.hidden = !needUser;
    $('#sign-username').required = needUser;
    var err = $('#sign-error');
    err.hidden = true;
    f.onsubmit = function (e) {
      e.preventDefault();
      var password = $('#sign-password').value;
      if (!password) { showError(err, { code: 'password_required', detail: m('error.password_required') }); return; }
      var request = { meaning: form.dataset.sign, password: password };
      if (!userRow.hidden) request.username = $('#sign-username').value.trim();
      var otp = $('#sign-otp');
      if (otp) request.otp = otp.value.trim();
      var comment = $('#sign-comment').value;
      if (comment.trim()) request.comment = comment;
      Object.keys(payload).forEach(function (k) { request[k] = payload[k]; });
      busy(f, true);
      api('POST', form.dataset.api, request).then(function (res) {
        busy(f, false);
        if (res.ok) { dialog.close(); succeeded(form, res); return; }
        var code = res.data && res.data.code;
        if (code === 'two_components_required') {
          userRow.hidden = false;
          $('#sign-username').required = true;
          body.dataset.needsUsername = 'true';
        }
        if (['second_factor_required', 'second_factor_invalid', 'second_factor_reused'].indexOf(code) >= 0) {
          $('#sign-otp').value = '';
          showError(err, res.data);
          $('#sign-otp').focus();
          return;
        }
        if (['password_incorrect', 'two_components_required', 'signer_not_session_user'].indexOf(code) >= 0) {
          $('#sign-password').value = '';
          showError(err, res.data);
          (userRow.hidden ? $('#sign-password') : ($('#sign-username').value ? $('#sign-password') : $('#sign-username'))).focus();
          return;
        }
        dialog.close();
        failed(form, res);
      });
    };
    dialog.showModal();
    (needUser ? $('#sign-username') : $('#sign-password')).focus();
  }
  if (dialog) {
    $('#sign-cancel').addEventListener('click', function () { dialog.close(); });
  }

  // ---- immediate evaluation of a value against its limits ----
  function previewField(el) {
    var form = el.form;
    if (!form || !form.dataset.previewUrl) return;
    var field = el.dataset.preview;
    var hintId = 'hint-' + (el.type === 'radio' ? el.closest('fieldset').id : el.id);
    var hint = document.getElementById(hintId);
    if (!hint) return;
    if (el.value === '') { hint.textContent = ''; hint.className = 'hint eval'; return; }
    var value = el.dataset.json === 'bool' ? el.value === 'true' : el.value;
    api('POST', form.dataset.previewUrl, { field: field, value: value }).then(function (res) {
      if (res.ok) {
        var ev = res.data && res.data.evaluation;
        hint.className = 'hint eval ev-' + (ev || 'none');
        hint.textContent = ev ? m('js.eval.' + ev) : '';
      } else if (res.status === 401) {
        toLogin(true);
      } else {
        hint.className = 'hint eval ev-invalid';
        hint.textContent = problemText(res.data);
      }
    });
  }
  document.addEventListener('change', function (ev) {
    if (ev.target.dataset && ev.target.dataset.preview !== undefined) previewField(ev.target);
  });

  // ---- scanners and keyboards: Enter moves to the next field ----
  document.addEventListener('keydown', function (ev) {
    var el = ev.target;
    if (ev.key !== 'Enter' || el.tagName !== 'INPUT') return;
    var form = el.form;
    if (!form) return;
    if (el.dataset.scan === undefined && form.dataset.enterAdvances === undefined) return;
    ev.preventDefault();
    if (el.dataset.preview !== undefined) previewField(el);
    var fields = $$('input:not([type=hidden]):not([disabled]), select, textarea, button[type=submit]', form)
      .filter(function (x) { return x.offsetParent !== null; });
    var next = fields[fields.indexOf(el) + 1];
    if (next) next.focus();
  });

  // ---- header: language and logout ----
  var lang = $('#language');
  if (lang) {
    lang.addEventListener('change', function () {
      api('POST', '/api/v1/session/language', { language: lang.value }).then(function (res) {
        if (res.ok) location.reload(); else flash(problemText(res.data), 'error');
      });
    });
  }
  var logout = $('#logout');
  if (logout) {
    logout.addEventListener('click', function () {
      api('DELETE', '/api/v1/session').then(function () { location.assign('/login'); });
    });
  }

  // ---- on load ----
  restoreDrafts();
  var first = $('form[data-draft] input[data-scan], form#entry-form input, form#entry-form select');
  if (first && !document.querySelector('[autofocus]')) first.focus();
})();
