// Save each item's result while the inspector types, so that a poor connection never loses an entry.
//
// Every change is first written to localStorage (keyed by task and item), then sent after a short
// pause to the item's save endpoint, which answers JSON {ok, saved_at, errors}. The draft is removed
// only once the server has saved exactly that version. While offline, or when a request fails, the
// draft stays in the browser and is sent when the `online` event fires or on the next page load.
// Without JavaScript the same forms post normally.
(function () {
  "use strict";
  var PREFIX = "spotcheck:draft:";
  var DELAY = 800;
  var page = document.getElementById("results-page");
  if (!page) { return; }
  var text = page.dataset;
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function token() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function keyOf(form) { return PREFIX + form.dataset.task + ":" + form.dataset.item; }
  function readDraft(key) {
    if (!store) { return null; }
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }
  function writeDraft(key, draft) {
    if (!store) { return; }
    try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* full or refused: the request still goes */ }
  }
  function dropDraft(key, stamp) {
    var draft = readDraft(key);
    if (draft && (stamp === undefined || draft.stamp === stamp)) { store.removeItem(key); }
  }
  function drafts() {
    var keys = [];
    if (!store) { return keys; }
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { keys.push(key); }
    }
    return keys;
  }
  function online() { return navigator.onLine !== false; }

  // --- The form's values, as [name, value] pairs (file inputs are uploaded separately) ---
  function fieldsOf(form) {
    var pairs = [];
    each(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "file" || el.disabled) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      pairs.push([el.name, el.value]);
    });
    return pairs;
  }
  function restore(form, pairs) {
    each(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "file") { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = pairs.some(function (p) { return p[0] === el.name && p[1] === el.value; });
        return;
      }
      for (var i = 0; i < pairs.length; i++) {
        if (pairs[i][0] === el.name) { el.value = pairs[i][1]; return; }
      }
    });
  }

  // --- What the inspector sees ---
  function setStatus(form, kind, label) {
    var status = form.querySelector(".save-status");
    if (!status) { return; }
    status.className = "save-status " + kind;
    status.textContent = label;
    form.dataset.state = kind;
  }
  function showErrors(form, errors) {
    errors = errors || {};
    each(form.querySelectorAll(".field-error[data-field]"), function (el) {
      el.textContent = errors[el.dataset.field] || "";
    });
    each(form.elements, function (el) {
      if (!el.name || el.type === "checkbox") { return; }
      if (errors[el.name]) { el.setAttribute("aria-invalid", "true"); } else { el.removeAttribute("aria-invalid"); }
    });
  }
  function updateMissing(lines) {
    var list = document.getElementById("missing-list");
    var intro = document.getElementById("missing-intro");
    var button = document.getElementById("submit-task");
    if (!list || !button || !lines) { return; }
    list.textContent = "";
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    if (intro) { intro.hidden = lines.length === 0; }
    button.disabled = lines.length > 0;
  }
  function kept() { return online() ? text.msgUnsaved + " · " + text.msgKept : text.msgOffline + " · " + text.msgKept; }

  // --- Sending ---
  function post(draft) {
    var body = new URLSearchParams();
    draft.fields.forEach(function (p) { body.append(p[0], p[1]); });
    return fetch(draft.url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": token(), "Accept": "application/json" }
    }).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      if (r.redirected) { return { status: 401, body: null }; }  // sent to the login page
      if (type.indexOf("application/json") !== 0) { return { status: r.status, body: null }; }
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    });
  }
  // Whether a draft can never be saved (the service refused it: the task was submitted, or is not
  // the user's; or the task is not there): then drop it. A 403 page without JSON is the CSRF check
  // (a stale token after logging in again): keep the draft, the next page load sends it.
  function hopeless(res) {
    return res.status === 404 || (res.body !== null && (res.status === 403 || res.status === 409));
  }

  function save(form) {
    clearTimeout(form.saveTimer);
    var key = keyOf(form);
    var draft = readDraft(key) || form.lastDraft;
    if (!draft) { return; }
    if (!online()) { setStatus(form, "offline", kept()); return; }
    if (form.busy) { form.again = true; return; }
    form.busy = true;
    setStatus(form, "saving", text.msgSaving);
    post(draft).then(function (res) {
      form.busy = false;
      if (res.body && res.body.ok) {
        dropDraft(key, draft.stamp);
        if (form.lastDraft && form.lastDraft.stamp === draft.stamp) { form.lastDraft = null; }
        showErrors(form, {});
        setStatus(form, "saved", text.msgSaved + " " + String(res.body.saved_at).substr(11, 5));
        updateMissing(res.body.missing);
      } else if (res.status === 400 && res.body) {
        showErrors(form, res.body.errors);
        setStatus(form, "unsaved", text.msgUnsaved + (res.body.message ? " · " + res.body.message : ""));
      } else if (res.status === 401 || (res.status === 403 && res.body === null)) {
        setStatus(form, "unsaved", text.msgUnsaved + " · " + text.msgLogin);
      } else if (hopeless(res)) {
        dropDraft(key);
        form.lastDraft = null;
        setStatus(form, "unsaved", text.msgUnsaved + (res.body && res.body.message ? " · " + res.body.message : ""));
      } else {
        setStatus(form, "unsaved", kept());
      }
      if (form.again) { form.again = false; save(form); }
    }, function () {
      form.busy = false;
      form.again = false;
      setStatus(form, online() ? "unsaved" : "offline", kept());
    });
  }

  function changed(form) {
    var draft = { url: form.dataset.autosave, fields: fieldsOf(form), stamp: Date.now() + ":" + Math.random() };
    form.lastDraft = draft;  // kept in memory too, in case the browser refuses localStorage
    writeDraft(keyOf(form), draft);
    setStatus(form, online() ? "unsaved" : "offline", online() ? text.msgUnsaved : kept());
    clearTimeout(form.saveTimer);
    form.saveTimer = setTimeout(function () { save(form); }, DELAY);
  }

  // Drafts of items that are not on this page (another task): send them as they are.
  function sendElsewhere(key) {
    var draft = readDraft(key);
    if (!draft || !draft.url || !online()) { return; }
    post(draft).then(function (res) {
      if ((res.body && res.body.ok) || hopeless(res)) { dropDraft(key, draft.stamp); }
    }, function () { /* still offline: keep it */ });
  }

  var forms = {};
  each(document.querySelectorAll("form.entry[data-autosave]"), function (form) {
    forms[keyOf(form)] = form;
    form.addEventListener("input", function () { changed(form); });
    form.addEventListener("change", function () { changed(form); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      changed(form);
      save(form);
    });
  });

  function flush(restoring) {
    drafts().forEach(function (key) {
      var form = forms[key];
      if (!form) { sendElsewhere(key); return; }
      var draft = readDraft(key);
      if (restoring && draft && draft.fields) {
        restore(form, draft.fields);  // what was typed and not yet saved wins over the page
        setStatus(form, online() ? "unsaved" : "offline", kept());
      }
      save(form);
    });
  }

  window.addEventListener("online", function () {
    flush(false);
    Object.keys(forms).forEach(function (key) {
      if (!readDraft(key) && forms[key].lastDraft) { save(forms[key]); }  // localStorage refused
    });
  });
  window.addEventListener("offline", function () {
    Object.keys(forms).forEach(function (key) {
      if (readDraft(key)) { setStatus(forms[key], "offline", kept()); }
    });
  });
  flush(true);
})();
