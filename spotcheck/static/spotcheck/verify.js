// The verify page (/verify/): checks a draw record of either version in the browser.
//
// The work runs in a Web Worker (verify-core.js, from this site: the strict
// Content-Security-Policy allows it), so the tab never freezes; the page shows each check
// with its Chinese name and a progress bar. Without a Worker it runs here, yielding to the
// event loop. ?engine=webcrypto chooses Web Crypto's SHA-256 instead of the (faster)
// synchronous SHA-256 of verify-core.js. Nothing is asked of the server but the record.
(function () {
  "use strict";
  var core = window.SpotcheckVerify;
  var box = document.getElementById("verifier");
  if (!box || !core) { return; }
  var NAMES = core.NAMES;
  var status = document.getElementById("verify-status");
  var list = document.getElementById("verify-checks");
  var progressBox = document.getElementById("verify-progress-box");
  var bar = document.getElementById("verify-progress");
  var barText = document.getElementById("verify-progress-text");
  var query = new URLSearchParams(window.location.search);
  var engine = query.get("engine") || box.dataset.engine || "js";
  if (core.ENGINES.indexOf(engine) < 0) { engine = "js"; }
  var RESULT = { pending: "待检查 / pending", running: "检查中… / checking…", ok: "通过 / passed",
                 bad: "未通过 / failed", skipped: "未进行 / not run" };
  var worker = null, run = 0, started = 0;

  function plan(checks) {
    list.textContent = "";
    checks.forEach(function (name) {
      var item = document.createElement("li");
      item.id = "check-" + name;
      var zh = document.createElement("span");
      zh.className = "check-name";
      zh.textContent = NAMES[name];
      var code = document.createElement("code");
      code.textContent = name;
      var result = document.createElement("span");
      result.className = "check-result";
      item.append(zh, " ", code, " ", result);
      list.appendChild(item);
      mark(name, "pending");
    });
  }
  function mark(name, state) {
    var item = document.getElementById("check-" + name);
    if (!item) { return; }
    item.className = state;
    item.querySelector(".check-result").textContent = RESULT[state];
  }
  function progress(value, name) {
    bar.value = value;
    barText.textContent = Math.round(value * 100) + "%" +
      (name ? " · 正在检查 / checking: " + NAMES[name] + "（" + name + "）" : "");
  }

  function failedDraw(f) {
    var who = f.department ? "部门 " + f.department : "任一部门", whoEn = f.department ? "department " + f.department : "any department";
    return "这是一次失败的抽取：无法为 " + f.entity + " 组成检查组（第" + (Number(f.slot) + 1) + "名组员，" + who +
      "没有可派的检查人员），因此没有抽中任何对象，也没有选派任何人员。记录照样公布，任何人都能核实这次抽取的结果没有被选用。" +
      " / This is a failed draw: no inspector of " + whoEn + " was available for slot " + f.slot + " of " + f.entity +
      ", so nothing was selected and nobody was sent. It is published so that anyone can see it was not chosen.";
  }
  function finish(result, runner) {
    var ms = Math.round(performance.now() - started);
    progressBox.hidden = true;
    result.checks.forEach(function (name) {
      var item = document.getElementById("check-" + name);
      if (item && (item.className === "pending" || item.className === "running")) { mark(name, "skipped"); }
    });
    var n = result.checks.length, text;
    if (!result.failed) {
      text = "有效（" + result.spec + "）：" + n + "项检查全部通过 / valid: all " + n + " checks passed";
      if (result.failure) {
        text += "。" + failedDraw(result.failure);
        status.dataset.draw = "failed";
      }
    } else if (result.notJson) {
      text = "无效：不是JSON对象，规则版本（spec）检查未通过 / invalid: not a JSON object, check 'spec' failed";
    } else {
      text = "无效：" + NAMES[result.failed] + "（" + result.failed + "）检查未通过 / invalid: check '" +
        result.failed + "' failed";
      if (result.failed === "spec") {
        text += "（记录须为 spotcheck-draw/1 或 spotcheck-draw/2 / the record must name spotcheck-draw/1 or /2）";
      }
    }
    status.className = result.failed ? "error" : "success";
    status.textContent = text;
    status.dataset.ms = String(ms);
    status.dataset.engine = engine;
    status.dataset.runner = runner;
    status.dataset.result = result.failed ? "invalid:" + result.failed : "valid";
  }
  function broken(message) {
    progressBox.hidden = true;
    status.className = "error";
    status.textContent = "验证程序出错 / the verifier failed: " + message;
    status.dataset.result = "error";
  }

  // Without a Worker: run here, giving the event loop a turn every 30 ms.
  function inPage(buffer, mine) {
    var last = performance.now();
    core.verifyBytes(buffer, {
      engine: engine,
      onPlan: function (checks) { if (mine === run) { plan(checks); } },
      onCheck: function (name, state) { if (mine === run) { mark(name, state); } },
      onProgress: function (value, name) { if (mine === run) { progress(value, name); } },
      tick: function () {
        if (performance.now() - last < 30) { return undefined; }
        return new Promise(function (resolve) { setTimeout(function () { last = performance.now(); resolve(); }, 0); });
      }
    }).then(function (result) { if (mine === run) { finish(result, "page"); } }, function (e) { broken(String(e)); });
  }

  // A new record: forget the last result at once (before the file is even read).
  function begin() {
    run += 1;
    started = performance.now();
    if (worker) { worker.terminate(); worker = null; }
    delete status.dataset.result;
    delete status.dataset.draw;
    delete status.dataset.ms;
    delete status.dataset.runner;
    status.className = "";
    status.textContent = "正在验证… / verifying…";
    list.textContent = "";
    progressBox.hidden = false;
    progress(0, null);
    return run;
  }

  function start(buffer, mine) {
    if (mine !== run) { return; }
    var url = box.dataset.workerUrl;
    if (!url || typeof Worker === "undefined") { inPage(buffer, mine); return; }
    try {
      worker = new Worker(url);
    } catch (e) {
      inPage(buffer, mine);
      return;
    }
    var current = worker;
    current.onmessage = function (event) {
      if (current !== worker) { return; }
      var m = event.data;
      if (m.type === "plan") { plan(m.checks); }
      else if (m.type === "check") { mark(m.name, m.state); }
      else if (m.type === "progress") { progress(m.value, m.name); }
      else if (m.type === "done") { current.terminate(); worker = null; finish(m.result, "worker"); }
      else if (m.type === "error") { current.terminate(); worker = null; broken(m.message); }
    };
    current.onerror = function (event) { // the Worker could not start: verify here instead
      event.preventDefault();
      if (current !== worker) { return; }
      current.terminate();
      worker = null;
      inPage(buffer, mine);
    };
    current.postMessage({ buffer: buffer, engine: engine });
  }

  document.getElementById("record-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    var mine = begin();
    file.arrayBuffer().then(function (buffer) { start(buffer, mine); }, function (e) { broken(String(e)); });
  });
  var loader = document.getElementById("load-plan");
  if (loader) {
    loader.addEventListener("click", function () {
      var mine = begin();
      fetch(box.dataset.recordUrl).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.arrayBuffer();
      }).then(function (buffer) { start(buffer, mine); }, function (e) { broken(String(e)); });
    });
  }
})();
