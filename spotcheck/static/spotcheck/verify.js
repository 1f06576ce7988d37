// Verify a spotcheck-draw/1 record in the browser (shared/spec/draw-v1.md §8),
// with Web Crypto's SHA-256 and a sort. Nothing is asked of the server but the record.
(function () {
  "use strict";
  var SPEC = "spotcheck-draw/1";
  var CHECKS = ["commitment", "frame", "pool", "seed", "strata", "selection", "teams"];
  var NAMES = { commitment: "承诺值", frame: "抽查对象范围", pool: "执法人员库", seed: "随机种子",
                strata: "分层与样本量", selection: "抽中名单", teams: "检查组" };
  var encoder = new TextEncoder();

  function utf8(text) { return encoder.encode(String(text).normalize("NFC")); }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function sha256(bytes) { return crypto.subtle.digest("SHA-256", bytes).then(hex); }
  function H(text) { return sha256(utf8(text)); }
  function fromHex(text) {
    if (!/^[0-9a-f]{64}$/.test(text)) { throw new Error("not 64 hex digits"); }
    var out = new Uint8Array(32);
    for (var i = 0; i < 32; i++) { out[i] = parseInt(text.substr(i * 2, 2), 16); }
    return out;
  }
  function compareBytes(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) { if (a[i] !== b[i]) { return a[i] - b[i]; } }
    return a.length - b.length;
  }
  function sortedText(lines) {
    var keyed = lines.map(function (line) { return { line: line, bytes: utf8(line) }; });
    keyed.sort(function (x, y) { return compareBytes(x.bytes, y.bytes); });
    return keyed.map(function (k) { return k.line; }).join("");
  }
  function pairs(list) {
    if (!Array.isArray(list)) { throw new Error("not a list"); }
    return list.map(function (p) {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string") {
        throw new Error("not a pair of text");
      }
      return p;
    });
  }
  // Exact sample size (§4): ratio as a decimal string, computed with BigInt.
  function sampleSize(population, entry) {
    var hasRatio = Object.prototype.hasOwnProperty.call(entry, "ratio");
    var hasCount = Object.prototype.hasOwnProperty.call(entry, "count");
    if (hasRatio === hasCount) { throw new Error("ratio or count"); }
    if (hasCount) {
      if (!Number.isInteger(entry.count) || entry.count < 0) { throw new Error("bad count"); }
      return Math.min(population, entry.count);
    }
    var m = /^(\d+)(?:\.(\d+))?$/.exec(String(entry.ratio));
    if (typeof entry.ratio !== "string" || !m) { throw new Error("bad ratio"); }
    var frac = m[2] || "";
    var num = BigInt(m[1] + frac), den = BigInt("1" + "0".repeat(frac.length));
    if (num > den) { throw new Error("ratio above 1"); }
    var product = BigInt(population) * num;
    var n = product / den + (product % den === 0n ? 0n : 1n);
    return Math.min(population, Number(n));
  }
  function inBatches(items, fn, size) {
    var results = [], index = 0;
    function next() {
      if (index >= items.length) { return Promise.resolve(results); }
      var slice = items.slice(index, index + size);
      index += size;
      return Promise.all(slice.map(fn)).then(function (r) { results = results.concat(r); return next(); });
    }
    return next();
  }

  var checks = {
    commitment: function (r) {
      if (r.spec !== SPEC) { return false; }
      return sha256(fromHex(r.server_secret)).then(function (h) { return h === r.commitment; });
    },
    frame: function (r, s) {
      s.rows = pairs(r.frame.rows);
      var ids = {};
      for (var i = 0; i < s.rows.length; i++) {
        if (ids[s.rows[i][0]]) { return false; }
        ids[s.rows[i][0]] = true;
      }
      if (!s.rows.length || r.frame.count !== s.rows.length) { return false; }
      return H(sortedText(s.rows.map(function (p) { return p[0] + "," + p[1] + "\n"; })))
        .then(function (h) { return h === r.frame.digest; });
    },
    pool: function (r, s) {
      s.inspectors = pairs(r.pool.inspectors);
      s.conflicts = pairs(r.pool.conflicts);
      var seen = {};
      for (var i = 0; i < s.inspectors.length; i++) {
        if (seen[s.inspectors[i][0]]) { return false; }
        seen[s.inspectors[i][0]] = true;
      }
      var lines = s.inspectors.map(function (p) { return "I," + p[0] + "," + p[1] + "\n"; })
        .concat(s.conflicts.map(function (p) { return "C," + p[0] + "," + p[1] + "\n"; }));
      return H(sortedText(lines)).then(function (h) { return h === r.pool.digest; });
    },
    seed: function (r) {
      var entropy = String(r.public_entropy).normalize("NFC");
      if (!entropy.trim() || entropy.trim() !== entropy) { return false; }
      return H(SPEC + "\n" + r.server_secret + "\n" + entropy + "\n" + r.frame.digest + "\n" + r.pool.digest)
        .then(function (h) { return h === r.seed; });
    },
    strata: function (r, s) {
      var populations = {};
      s.rows.forEach(function (p) { populations[p[1]] = (populations[p[1]] || 0) + 1; });
      var names = Object.keys(populations).sort();
      if (!Array.isArray(r.strata) || r.strata.length !== names.length) { return false; }
      s.sizes = {};
      var given = {};
      r.strata.forEach(function (e) { given[e.name] = e; });
      return names.every(function (name) {
        var e = given[name];
        if (!e || ["heightened", "foreign", "general"].indexOf(name) < 0) { return false; }
        var n = sampleSize(populations[name], e);
        s.sizes[name] = n;
        return e.population === populations[name] && e.sample_size === n;
      });
    },
    selection: function (r, s) {
      return inBatches(s.rows, function (p) {
        return H(r.seed + ":" + p[0]).then(function (t) { return { entity: p[0], stratum: p[1], ticket: t }; });
      }, 2000).then(function (tickets) {
        var byStratum = {};
        tickets.forEach(function (t) { (byStratum[t.stratum] = byStratum[t.stratum] || []).push(t); });
        var chosen = [];
        Object.keys(byStratum).forEach(function (name) {
          var list = byStratum[name].sort(function (a, b) { return a.ticket < b.ticket ? -1 : a.ticket > b.ticket ? 1 : 0; });
          chosen = chosen.concat(list.slice(0, s.sizes[name] || 0));
        });
        chosen.sort(function (a, b) { return a.ticket < b.ticket ? -1 : a.ticket > b.ticket ? 1 : 0; });
        s.chosen = chosen;
        if (!Array.isArray(r.selected) || r.selected.length !== chosen.length) { return false; }
        return chosen.every(function (c, i) {
          var g = r.selected[i];
          return g.entity === c.entity && g.stratum === c.stratum && g.ticket === c.ticket;
        });
      });
    },
    teams: function (r, s) {
      var m = r.team_size, cap = r.capacity, required = r.required_departments;
      if (!Number.isInteger(m) || m < 2 || !Number.isInteger(cap) || cap < 1 || !Array.isArray(required)) { return false; }
      if (new Set(required).size !== required.length) { return false; }
      var department = {}, load = {}, forbidden = {};
      s.inspectors.forEach(function (p) { department[p[0]] = p[1]; load[p[0]] = 0; });
      s.conflicts.forEach(function (p) { (forbidden[p[1]] = forbidden[p[1]] || {})[p[0]] = true; });
      var index = 0;
      function nextEntity() {
        if (index >= s.chosen.length) { return Promise.resolve(true); }
        var e = s.chosen[index].entity, given = r.selected[index].team;
        var eligible = s.inspectors.filter(function (p) {
          return !(forbidden[e] && forbidden[e][p[0]]) && load[p[0]] < cap;
        });
        return Promise.all(eligible.map(function (p) {
          return H(r.seed + ":team:" + e + ":" + p[0]).then(function (rank) { return { id: p[0], rank: rank }; });
        })).then(function (ranked) {
          ranked.sort(function (a, b) { return a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0; });
          var team = [];
          for (var d = 0; d < required.length; d++) {
            var member = ranked.find(function (x) { return department[x.id] === required[d] && team.indexOf(x.id) < 0; });
            if (!member) { return false; }
            team.push(member.id);
          }
          for (var k = 0; k < ranked.length && team.length < m; k++) {
            if (team.indexOf(ranked[k].id) < 0) { team.push(ranked[k].id); }
          }
          if (team.length < m || JSON.stringify(team) !== JSON.stringify(given)) { return false; }
          team.forEach(function (id) { load[id] += 1; });
          index += 1;
          return nextEntity();
        });
      }
      return nextEntity();
    }
  };

  // Run the checks in order; resolve to null (valid) or the first failed check's name.
  function verify(record, report) {
    var state = {};
    var i = 0;
    function step() {
      if (i >= CHECKS.length) { return Promise.resolve(null); }
      var name = CHECKS[i];
      report(name, "running");
      return Promise.resolve().then(function () { return checks[name](record, state); })
        .catch(function () { return false; })
        .then(function (ok) {
          report(name, ok ? "ok" : "bad");
          if (!ok) { return name; }
          i += 1;
          return step();
        });
    }
    return step();
  }
  window.spotcheckVerify = verify;

  var box = document.getElementById("verifier");
  if (!box) { return; }
  var status = document.getElementById("verify-status");
  var list = document.getElementById("verify-checks");
  function report(name, state) {
    var item = document.getElementById("check-" + name);
    if (!item) {
      item = document.createElement("li");
      item.id = "check-" + name;
      list.appendChild(item);
    }
    item.className = state;
    item.textContent = NAMES[name] + " (" + name + ")" + (state === "running" ? " …" : state === "ok" ? " 通过" : " 未通过");
  }
  function run(text) {
    list.textContent = "";
    status.className = "";
    status.textContent = "正在验证… / verifying…";
    var record;
    try { record = JSON.parse(text); } catch (e) {
      status.className = "error";
      status.textContent = "不是有效的JSON / not valid JSON";
      return;
    }
    verify(record, report).then(function (failed) {
      status.className = failed ? "error" : "success";
      status.dataset.result = failed ? "invalid:" + failed : "valid";
      status.textContent = failed
        ? "无效：" + NAMES[failed] + "检查未通过 / invalid: check '" + failed + "' failed"
        : "有效：7项检查全部通过 / valid: all 7 checks passed";
    });
  }
  document.getElementById("record-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) { return; }
    var reader = new FileReader();
    reader.onload = function () { run(reader.result); };
    reader.readAsText(file, "utf-8");
  });
  var loader = document.getElementById("load-plan");
  if (loader) {
    loader.addEventListener("click", function () {
      fetch(box.dataset.recordUrl).then(function (r) { return r.text(); }).then(run);
    });
  }
})();
