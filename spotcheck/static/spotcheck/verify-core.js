// The draw verifier's core (shared/spec/draw-v1.md and draw-v2.md §8): no DOM, no server.
//
// It gives the same answer as the Python reference (spotcheck.draw.verify) on every record:
// valid, or the same first failed check. To that end it reads JSON as Python's json module
// does (integers exact, floats kept apart from integers, NaN and Infinity accepted) and
// mirrors Python's semantics where a record is malformed (a mistyped field fails the first
// check that reads it).
//
// Two hash engines: "js", a synchronous SHA-256 written here (the ticket and team hashes
// share the seed's 64-byte first block, so each costs one compression), and "webcrypto",
// crypto.subtle.digest (one promise per hash). Loaded by the page (window.SpotcheckVerify),
// as a Web Worker (it then answers messages: see the end of this file), or by Node (tests).
(function (root) {
  "use strict";

  var V1 = "spotcheck-draw/1", V2 = "spotcheck-draw/2";
  var CHECKS_V1 = ["commitment", "frame", "pool", "seed", "strata", "selection", "teams"];
  var CHECKS_V2 = ["spec", "commitment", "frame", "pool", "params", "seed", "strata", "selection", "teams"];
  var NAMES = {
    spec: "规则版本", commitment: "承诺值", frame: "抽查对象范围", pool: "执法人员库", params: "抽取参数",
    seed: "随机种子", strata: "分层与样本量", selection: "抽中名单", teams: "检查组"
  };
  var STRATA = ["heightened", "foreign", "general"];

  // --- SHA-256 (FIPS 180-4), synchronous -------------------------------------------------

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var IV = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  ]);
  var W = new Int32Array(64);

  // Compress the 64-byte block at bytes[off] into the state st (Int32Array of 8).
  function compress(st, bytes, off) {
    var w = W, i, x, y;
    for (i = 0; i < 16; i++, off += 4) {
      w[i] = (bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3];
    }
    for (i = 16; i < 64; i++) {
      x = w[i - 15]; y = w[i - 2];
      w[i] = (w[i - 16] + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[i - 7] +
              (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) | 0;
    }
    var a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7], t1, t2;
    for (i = 0; i < 64; i++) {
      t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
            ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
            ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    st[0] = (st[0] + a) | 0; st[1] = (st[1] + b) | 0; st[2] = (st[2] + c) | 0; st[3] = (st[3] + d) | 0;
    st[4] = (st[4] + e) | 0; st[5] = (st[5] + f) | 0; st[6] = (st[6] + g) | 0; st[7] = (st[7] + h) | 0;
  }

  var pad = new Uint8Array(192), finishState = new Int32Array(8);

  // Make room for n message bytes (and their padding) in pad, keeping what is there.
  function padRoom(n) {
    if (n + 72 > pad.length) {
      var bigger = new Uint8Array(Math.ceil((n + 72) / 64) * 64 + 64);
      bigger.set(pad);
      pad = bigger;
    }
  }

  // Finish a hash whose first `done` bytes (a multiple of 64) are compressed into st0, with its
  // last `n` bytes already written at pad[0..n). The digest's eight words go to out[at..at+8).
  function finish(st0, done, n, out, at) {
    var s = finishState;
    s.set(st0);
    padRoom(n);
    var end = Math.ceil((n + 9) / 64) * 64;
    pad[n] = 0x80;
    for (var i = n + 1; i < end - 8; i++) { pad[i] = 0; }
    var bits = (done + n) * 8, hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
    pad[end - 8] = hi >>> 24; pad[end - 7] = hi >>> 16; pad[end - 6] = hi >>> 8; pad[end - 5] = hi;
    pad[end - 4] = lo >>> 24; pad[end - 3] = lo >>> 16; pad[end - 2] = lo >>> 8; pad[end - 1] = lo;
    for (var b = 0; b < end; b += 64) { compress(s, pad, b); }
    for (var j = 0; j < 8; j++) { out[at + j] = s[j]; }
  }

  function sha256Words(bytes) {
    var st = new Int32Array(IV), full = bytes.length - (bytes.length % 64);
    for (var off = 0; off < full; off += 64) { compress(st, bytes, off); }
    var rest = bytes.length - full;
    padRoom(rest);
    for (var i = 0; i < rest; i++) { pad[i] = bytes[full + i]; }
    var out = new Int32Array(8);
    finish(st, full, rest, out, 0);
    return out;
  }

  var HEX = [];
  for (var hx = 0; hx < 256; hx++) { HEX.push((hx < 16 ? "0" : "") + hx.toString(16)); }
  function wordsHex(words, at) {
    var s = "";
    for (var i = 0; i < 8; i++) {
      var w = words[at + i];
      s += HEX[(w >>> 24) & 255] + HEX[(w >>> 16) & 255] + HEX[(w >>> 8) & 255] + HEX[w & 255];
    }
    return s;
  }
  function bytesHex(buffer) {
    var b = new Uint8Array(buffer), s = "";
    for (var i = 0; i < b.length; i++) { s += HEX[b[i]]; }
    return s;
  }

  // --- Python-like values -----------------------------------------------------------------
  // JSON objects are Maps (insertion order, like a dict), integers are Numbers (BigInt beyond
  // 2^53), floats are PyFloat, so that "count": 5.0 is not an integer, as in Python.

  function PyFloat(v) { this.v = v; }
  function PyError(what) { this.message = what; }
  PyError.prototype = Object.create(Error.prototype);
  function TeamError(entity, department, slot) { this.entity = entity; this.department = department; this.slot = slot; }
  TeamError.prototype = Object.create(Error.prototype);
  function raise(what) { throw new PyError(what); }

  function isMap(v) { return v instanceof Map; }
  function isStr(v) { return typeof v === "string"; }
  function isInt(v) { return typeof v === "number" || typeof v === "bigint"; }

  function get(o, key) {
    if (!(o instanceof Map)) { raise("TypeError: not subscriptable by text"); }
    if (!o.has(key)) { raise("KeyError: " + key); }
    return o.get(key);
  }
  // Python's iteration: a list's items, a dict's keys, a string's code points.
  function iter(v) {
    if (Array.isArray(v)) { return v; }
    if (v instanceof Map) { return Array.from(v.keys()); }
    if (typeof v === "string") { return Array.from(v); }
    return raise("TypeError: not iterable");
  }
  function len(v) {
    if (Array.isArray(v)) { return v.length; }
    if (v instanceof Map) { return v.size; }
    if (typeof v === "string") { var n = 0; for (var _ of v) { n++; } return n; } // eslint-disable-line no-unused-vars
    return raise("TypeError: no len()");
  }
  function numeric(v) {
    return typeof v === "number" || typeof v === "bigint" || typeof v === "boolean" || v instanceof PyFloat;
  }
  // Python's ==.
  function eq(a, b) {
    if (typeof a === "string" || typeof b === "string") { return a === b; }
    if (a === null || b === null) { return a === b; }
    if (numeric(a) && numeric(b)) {
      var fa = a instanceof PyFloat, fb = b instanceof PyFloat;
      if (fa && fb) { return a.v === b.v; }
      if (fa || fb) {
        var f = fa ? a.v : b.v, i = fa ? b : a;
        if (!Number.isInteger(f)) { return false; }
        return BigInt(f) === BigInt(i === true ? 1 : i === false ? 0 : i);
      }
      return BigInt(a === true ? 1 : a === false ? 0 : a) === BigInt(b === true ? 1 : b === false ? 0 : b);
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) { return false; }
      for (var k = 0; k < a.length; k++) { if (!eq(a[k], b[k])) { return false; } }
      return true;
    }
    if (a instanceof Map && b instanceof Map) {
      if (a.size !== b.size) { return false; }
      for (var entry of a) { if (!b.has(entry[0]) || !eq(entry[1], b.get(entry[0]))) { return false; } }
      return true;
    }
    return false;
  }
  // A key for Python's hash equality (1 == 1.0 == True); lists and dicts are unhashable.
  var nanCount = 0;
  function hashKey(v) {
    if (typeof v === "string") { return "s" + v; }
    if (v === null) { return "None"; }
    if (typeof v === "boolean") { return "n" + (v ? 1 : 0); }
    if (typeof v === "number" || typeof v === "bigint") { return "n" + String(v); }
    if (v instanceof PyFloat) {
      if (Number.isInteger(v.v)) { return "n" + BigInt(v.v).toString(); }
      return v.v !== v.v ? "nan" + (nanCount++) : "f" + String(v.v);
    }
    return raise("TypeError: unhashable");
  }
  function distinctCount(values) {
    var seen = new Set();
    for (var i = 0; i < values.length; i++) { seen.add(hashKey(values[i])); }
    return seen.size;
  }
  function pyStr(v) { return typeof v === "bigint" ? v.toString() : String(v); } // integers only

  // Text order of Python (code points), which is the order of the UTF-8 bytes.
  function cmpCodePoints(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x !== y) {
        if (x >= 0xd800 && y >= 0xd800) { // surrogates (astral) sort above U+E000–U+FFFF
          x = x < 0xe000 ? x + 0x2000 : x; y = y < 0xe000 ? y + 0x2000 : y;
        }
        return x - y;
      }
    }
    return a.length - b.length;
  }
  var ASTRAL = /[\ud800-\udfff]/;
  function sortText(list) {
    list.sort();
    for (var i = 0; i < list.length; i++) {
      if (ASTRAL.test(list[i])) { list.sort(cmpCodePoints); break; }
    }
    return list;
  }
  function sortBy(list, key) {
    var keyed = list.map(function (v, i) { return { k: key(v), v: v, i: i }; });
    keyed.sort(function (x, y) { return cmpCodePoints(x.k, y.k) || x.i - y.i; });
    return keyed.map(function (x) { return x.v; });
  }

  // Python's str.strip() (white space by str.isspace).
  var SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var STRIP = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
  function pyStrip(s) { return s.replace(STRIP, ""); }

  var LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;
  function wellFormed(s) { return typeof s.isWellFormed === "function" ? s.isWellFormed() : !LONE.test(s); }
  var encoder = new TextEncoder();
  // UTF-8, refusing lone surrogates as Python's encode does.
  function utf8(s) {
    if (!wellFormed(s)) { raise("UnicodeEncodeError"); }
    return encoder.encode(s);
  }
  function nfcBytes(text) { return utf8(text.normalize("NFC")); }

  // bytes.fromhex(text): pairs of hex digits, ASCII white space between pairs.
  function fromHex(text) {
    if (typeof text !== "string") { raise("TypeError"); }
    var out = [], i = 0, n = text.length;
    function digit(c) {
      if (c >= 48 && c <= 57) { return c - 48; }
      if (c >= 97 && c <= 102) { return c - 87; }
      if (c >= 65 && c <= 70) { return c - 55; }
      return -1;
    }
    for (;;) {
      while (i < n && (text.charCodeAt(i) === 32 || (text.charCodeAt(i) >= 9 && text.charCodeAt(i) <= 13))) { i++; }
      if (i >= n) { break; }
      var top = digit(text.charCodeAt(i)), bot = i + 1 < n ? digit(text.charCodeAt(i + 1)) : -1;
      if (top < 0 || bot < 0) { raise("ValueError: non-hexadecimal number found in fromhex()"); }
      out.push(top * 16 + bot);
      i += 2;
    }
    return new Uint8Array(out);
  }

  // --- JSON as Python's json.loads reads it -----------------------------------------------

  var NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
  function parseJSON(text) {
    var i = 0, n = text.length;
    function fail() { throw new SyntaxError("not JSON at " + i); }
    function ws() {
      for (;;) {
        var c = text.charCodeAt(i);
        if (c === 32 || c === 10 || c === 13 || c === 9) { i++; } else { return; }
      }
    }
    function string() {
      var start = ++i, out = "";
      for (;;) {
        var c = text.charCodeAt(i);
        if (c === 34) { out += text.slice(start, i); i++; return out; }
        if (c === 92) {
          out += text.slice(start, i);
          var e = text.charCodeAt(i + 1);
          if (e === 117) {
            var h4 = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(h4)) { fail(); }
            out += String.fromCharCode(parseInt(h4, 16));
            i += 6;
          } else {
            var m = { 34: "\"", 92: "\\", 47: "/", 98: "\b", 102: "\f", 110: "\n", 114: "\r", 116: "\t" }[e];
            if (m === undefined) { fail(); }
            out += m;
            i += 2;
          }
          start = i;
          continue;
        }
        if (!(c >= 32)) { fail(); } // a control character, or the end of the text
        i++;
      }
    }
    function value() {
      ws();
      var c = text.charCodeAt(i);
      if (c === 34) { return string(); }
      if (c === 123) {
        var map = new Map();
        i++; ws();
        if (text.charCodeAt(i) === 125) { i++; return map; }
        for (;;) {
          ws();
          if (text.charCodeAt(i) !== 34) { fail(); }
          var key = string();
          ws();
          if (text.charCodeAt(i) !== 58) { fail(); }
          i++;
          map.set(key, value());
          ws();
          c = text.charCodeAt(i++);
          if (c === 125) { return map; }
          if (c !== 44) { fail(); }
        }
      }
      if (c === 91) {
        var list = [];
        i++; ws();
        if (text.charCodeAt(i) === 93) { i++; return list; }
        for (;;) {
          list.push(value());
          ws();
          c = text.charCodeAt(i++);
          if (c === 93) { return list; }
          if (c !== 44) { fail(); }
        }
      }
      switch (c) {
        case 110: if (text.startsWith("null", i)) { i += 4; return null; } break;
        case 116: if (text.startsWith("true", i)) { i += 4; return true; } break;
        case 102: if (text.startsWith("false", i)) { i += 5; return false; } break;
        case 78: if (text.startsWith("NaN", i)) { i += 3; return new PyFloat(NaN); } break;
        case 73: if (text.startsWith("Infinity", i)) { i += 8; return new PyFloat(Infinity); } break;
        case 45: if (text.startsWith("-Infinity", i)) { i += 9; return new PyFloat(-Infinity); } break;
      }
      NUMBER.lastIndex = i;
      var num = NUMBER.exec(text);
      if (!num) { fail(); }
      i = NUMBER.lastIndex;
      if (num[1] !== undefined || num[2] !== undefined) { return new PyFloat(Number(num[0])); }
      var digits = num[0].replace(/^-/, "");
      if (digits.length > 4300) { fail(); } // Python's limit on integer digits
      var v = Number(num[0]);
      return Number.isSafeInteger(v) ? (v === 0 ? 0 : v) : BigInt(num[0]);
    }
    var result = value();
    ws();
    if (i !== n) { fail(); }
    return result;
  }

  // --- Hash engines -----------------------------------------------------------------------
  // Each returns plain values ("js") or promises ("webcrypto"); the checks await either.

  function asciiInto(s, at) { // write s at pad[at..]; return the new end, or -1 if not ASCII
    padRoom(at + s.length);
    for (var j = 0; j < s.length; j++) {
      var c = s.charCodeAt(j);
      if (c >= 0x80) { return -1; }
      pad[at + j] = c;
    }
    return at + s.length;
  }
  function bytesInto(bytes, at) {
    padRoom(at + bytes.length);
    pad.set(bytes, at);
    return at + bytes.length;
  }
  function seedBlock(seed) { // the seed is 64 hex digits: exactly the first block
    var b = encoder.encode(seed);
    if (b.length !== 64) { raise("ValueError: seed"); }
    return b;
  }

  var jsEngine = {
    name: "js",
    text: function (text) { return wordsHex(sha256Words(nfcBytes(text)), 0); },
    bytes: function (bytes) { return wordsHex(sha256Words(bytes), 0); },
    // Tickets H(seed + ":" + id) of ids[k] into words[8k..8k+8) (ids as UTF-8, not normalized,
    // as the reference does); tick(done) between chunks.
    tickets: function (seed, ids, words, tick) {
      var st = new Int32Array(IV);
      compress(st, seedBlock(seed), 0);
      var total = ids.length;
      return (function run(from) {
        var to = Math.min(total, from + 8192);
        for (var k = from; k < to; k++) {
          pad[0] = 58;
          var end = asciiInto(ids[k], 1);
          if (end < 0) { end = bytesInto(utf8(ids[k]), 1); }
          finish(st, 64, end, words, 8 * k);
        }
        if (to >= total) { return words; }
        var t = tick(to / total);
        return t && t.then ? t.then(function () { return run(to); }) : run(to);
      })(0);
    },
    // The prefix H state for seed + ":team:" + entity + ":" and the tail bytes after the seed.
    teamPrefix: function (seed, entity) {
      var st = new Int32Array(IV);
      compress(st, seedBlock(seed), 0);
      return { st: st, tail: utf8(":team:" + entity + ":") };
    },
    // H(prefix + suffix) as 8 words (suffix ASCII text).
    teamWords: function (prefix, suffix, out) {
      var end = bytesInto(prefix.tail, 0);
      end = asciiInto(suffix, end);
      if (end < 0) { end = bytesInto(utf8(suffix), bytesInto(prefix.tail, 0)); }
      finish(prefix.st, 64, end, out, 0);
      return out;
    },
    // H(prefix + ids[k]) for each k, into words (v1 ranks).
    teamMany: function (prefix, ids, words) {
      var base = bytesInto(prefix.tail, 0);
      for (var k = 0; k < ids.length; k++) {
        var end = asciiInto(ids[k], base);
        if (end < 0) { end = bytesInto(utf8(ids[k]), bytesInto(prefix.tail, 0)); }
        finish(prefix.st, 64, end, words, 8 * k);
      }
      return words;
    }
  };

  function subtle() {
    var c = (typeof crypto !== "undefined" && crypto.subtle) ? crypto.subtle : null;
    if (!c) { throw new Error("Web Crypto unavailable (needs a secure context)"); }
    return c;
  }
  function wordsOf(buffer, out, at) {
    var v = new DataView(buffer);
    for (var j = 0; j < 8; j++) { out[at + j] = v.getInt32(4 * j); }
  }
  function joinBytes(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a); out.set(b, a.length);
    return out;
  }
  var webcryptoEngine = {
    name: "webcrypto",
    text: function (text) { return subtle().digest("SHA-256", nfcBytes(text)).then(bytesHex); },
    bytes: function (bytes) { return subtle().digest("SHA-256", bytes).then(bytesHex); },
    tickets: function (seed, ids, words, tick) {
      var head = encoder.encode(seed + ":"), total = ids.length, s = subtle();
      return (function run(from) {
        var to = Math.min(total, from + 4096), jobs = [];
        for (var k = from; k < to; k++) {
          jobs.push(s.digest("SHA-256", joinBytes(head, utf8(ids[k]))));
        }
        return Promise.all(jobs).then(function (buffers) {
          for (var k = from; k < to; k++) { wordsOf(buffers[k - from], words, 8 * k); }
          if (to >= total) { return words; }
          return Promise.resolve(tick(to / total)).then(function () { return run(to); });
        });
      })(0);
    },
    teamPrefix: function (seed, entity) { return { head: utf8(seed + ":team:" + entity + ":") }; },
    teamWords: function (prefix, suffix, out) {
      return subtle().digest("SHA-256", joinBytes(prefix.head, utf8(suffix))).then(function (b) {
        wordsOf(b, out, 0);
        return out;
      });
    },
    teamMany: function (prefix, ids, words) {
      var s = subtle();
      return Promise.all(ids.map(function (id) {
        return s.digest("SHA-256", joinBytes(prefix.head, utf8(id)));
      })).then(function (buffers) {
        buffers.forEach(function (b, k) { wordsOf(b, words, 8 * k); });
        return words;
      });
    }
  };
  var ENGINES = { js: jsEngine, webcrypto: webcryptoEngine };

  function cmpWords(t, a, b) { // unsigned compare of digests a and b (indices) in t
    var i = 8 * a, j = 8 * b;
    for (var k = 0; k < 8; k++) {
      var x = t[i + k] >>> 0, y = t[j + k] >>> 0;
      if (x !== y) { return x < y ? -1 : 1; }
    }
    return 0;
  }

  // --- What both versions share (§§1, 2, 4, 5) --------------------------------------------

  // A list of two-text items, as the reference's pairs() accepts them.
  function pairs(value) {
    var items = iter(value), out = new Array(items.length);
    for (var k = 0; k < items.length; k++) {
      var item = items[k];
      if (!Array.isArray(item) || item.length !== 2) { item = iter(item); }
      if (item.length !== 2) { raise("ValueError: unpack"); }
      if (typeof item[0] !== "string" || typeof item[1] !== "string") { raise("TypeError: ids are text"); }
      out[k] = item;
    }
    return out;
  }

  function frameText(rows) {
    var lines = new Array(rows.length);
    for (var k = 0; k < rows.length; k++) { lines[k] = rows[k][0] + "," + rows[k][1] + "\n"; }
    return sortText(lines).join("");
  }
  function poolText(inspectors, conflicts) {
    var lines = [];
    inspectors.forEach(function (p) { lines.push("I," + p[0] + "," + p[1] + "\n"); });
    conflicts.forEach(function (p) { lines.push("C," + p[0] + "," + p[1] + "\n"); });
    return sortText(lines).join("");
  }

  var RATIO = /^[0-9]+(\.[0-9]+)?$/;
  // The ratio as an exact fraction [numerator, denominator] (BigInt); at most 1.
  function parseRatio(text) {
    if (typeof text !== "string" || !RATIO.test(text)) { raise("DrawError: ratio"); }
    var dot = text.indexOf("."), whole = dot < 0 ? text : text.slice(0, dot), frac = dot < 0 ? "" : text.slice(dot + 1);
    var num = BigInt(whole + frac), den = 10n ** BigInt(frac.length);
    if (num > den) { raise("DrawError: ratio above 1"); }
    return [num, den];
  }
  function sampleSize(population, rule) {
    if (rule.has("ratio") === rule.has("count")) { raise("DrawError: ratio or count"); }
    if (rule.has("count")) {
      var count = rule.get("count");
      if (!isInt(count) || count < 0) { raise("DrawError: count"); }
      return count < population ? Number(count) : population;
    }
    var r = parseRatio(rule.get("ratio"));
    var product = BigInt(population) * r[0];
    var n = product / r[1] + (product % r[1] === 0n ? 0n : 1n);
    return n < BigInt(population) ? Number(n) : population;
  }

  // The reference's strata_table: [{name, population, sample_size, ratio|count}] by name.
  function strataTable(rows, rules) {
    var populations = new Map();
    rows.forEach(function (p) { populations.set(p[1], (populations.get(p[1]) || 0) + 1); });
    return sortText(Array.from(populations.keys())).map(function (name) {
      if (STRATA.indexOf(name) < 0) { raise("DrawError: unknown stratum"); }
      if (!rules.has("s" + name)) { raise("DrawError: no rule"); }
      var rule = rules.get("s" + name);
      var entry = new Map([["name", name], ["population", populations.get(name)],
                           ["sample_size", sampleSize(populations.get(name), rule)]]);
      ["ratio", "count"].forEach(function (k) { if (rule.has(k)) { entry.set(k, rule.get(k)); } });
      return entry;
    });
  }

  // The reference's strata_match: the sample sizes (a Map) when the entries are right, else null.
  function strataMatch(given, rows) {
    var rules = new Map(), entries = iter(given);
    for (var k = 0; k < entries.length; k++) {
      var entry = entries[k];
      if (!(entry instanceof Map)) { raise("TypeError: a stratum entry is an object"); }
      var rule = new Map();
      if (entry.has("ratio")) { rule.set("ratio", entry.get("ratio")); }
      if (entry.has("count")) { rule.set("count", entry.get("count")); }
      var key = hashKey(get(entry, "name"));
      if (rules.has(key)) { return null; }
      rules.set(key, rule);
    }
    var expected = strataTable(rows, rules);
    if (expected.length !== len(given)) { return null; }
    var names = entries.map(function (e) { return get(e, "name"); });
    if (!names.every(isStr)) { raise("TypeError: names of mixed types"); }
    var ordered = sortBy(entries, function (e) { return e.get("name"); });
    for (var j = 0; j < ordered.length; j++) { if (!eq(ordered[j], expected[j])) { return null; } }
    var sizes = new Map();
    expected.forEach(function (e) { sizes.set(e.get("name"), e.get("sample_size")); });
    return sizes;
  }

  // §5: the selected entities in draw order, [{entity, stratum, ticket}].
  function select(ctx, seed, rows, sizes) {
    var ids = [], strata = [];
    rows.forEach(function (p) {
      if ((sizes.get(p[1]) || 0) > 0) { ids.push(p[0]); strata.push(p[1]); }
    });
    var words = new Int32Array(8 * ids.length);
    return Promise.resolve(ctx.engine.tickets(seed, ids, words, function (f) { return ctx.tick(f * 0.9); }))
      .then(function () {
        var by = new Map();
        strata.forEach(function (s, k) { if (!by.has(s)) { by.set(s, []); } by.get(s).push(k); });
        var chosen = [];
        by.forEach(function (list, s) {
          list.sort(function (a, b) { return cmpWords(words, a, b); });
          var n = sizes.get(s);
          for (var k = 0; k < n && k < list.length; k++) { chosen.push(list[k]); }
        });
        chosen.sort(function (a, b) { return cmpWords(words, a, b) || cmpCodePoints(ids[a], ids[b]); });
        return chosen.map(function (k) { return { entity: ids[k], stratum: strata[k], ticket: wordsHex(words, 8 * k) }; });
      });
  }

  function selectionMatches(given, chosen) {
    if (len(given) !== chosen.length) { return false; }
    var items = iter(given);
    for (var k = 0; k < chosen.length; k++) {
      var g = items[k], c = chosen[k];
      if (!(eq(get(g, "entity"), c.entity) && eq(get(g, "stratum"), c.stratum) && eq(get(g, "ticket"), c.ticket))) {
        return false;
      }
    }
    return true;
  }

  // --- Version 1 (draw-v1.md) -------------------------------------------------------------

  function normalizeEntropy(text) {
    if (typeof text !== "string") { raise("TypeError"); }
    var value = pyStrip(text.normalize("NFC"));
    if (!value) { raise("DrawError: empty entropy"); }
    return value;
  }
  function commitment(ctx, secret) {
    var raw = fromHex(secret);
    if (raw.length !== 32) { raise("DrawError: secret of 32 bytes"); }
    return ctx.engine.bytes(raw);
  }

  async function assignTeamsV1(ctx, seed, entities, inspectors, conflicts, teamSize, required, capacity) {
    if (teamSize < 2) { raise("DrawError: team size"); }
    if (capacity < 1) { raise("DrawError: capacity"); }
    var departmentOf = new Map(), load = new Map(), forbidden = new Map();
    inspectors.forEach(function (p) { departmentOf.set(p[0], p[1]); load.set(p[0], 0); });
    conflicts.forEach(function (p) {
      if (!forbidden.has(p[1])) { forbidden.set(p[1], new Set()); }
      forbidden.get(p[1]).add(p[0]);
    });
    var ids = Array.from(departmentOf.keys()), departments = iter(required), teams = [];
    var words = new Int32Array(8 * ids.length), none = new Set();
    for (var x = 0; x < entities.length; x++) {
      var entity = entities[x], blocked = forbidden.get(entity) || none;
      var eligible = ids.filter(function (i) { return !blocked.has(i) && load.get(i) < capacity; });
      var prefix = ctx.engine.teamPrefix(seed, entity);
      await ctx.engine.teamMany(prefix, eligible, words);
      var index = eligible.map(function (_, k) { return k; });
      index.sort(function (a, b) { return cmpWords(words, a, b) || cmpCodePoints(eligible[a], eligible[b]); });
      var order = index.map(function (k) { return eligible[k]; });
      var team = [];
      for (var d = 0; d < departments.length; d++) {
        var member = null;
        for (var o = 0; o < order.length; o++) {
          if (eq(departmentOf.get(order[o]), departments[d]) && team.indexOf(order[o]) < 0) { member = order[o]; break; }
        }
        if (member === null) { throw new TeamError(entity, departments[d], null); }
        team.push(member);
      }
      for (var q = 0; q < order.length && team.length < teamSize; q++) {
        if (team.indexOf(order[q]) < 0) { team.push(order[q]); }
      }
      if (team.length < teamSize) { throw new TeamError(entity, null, null); }
      team.forEach(function (i) { load.set(i, load.get(i) + 1); });
      teams.push(team);
      if ((x & 31) === 31) { await ctx.tick(x / entities.length); }
    }
    return teams;
  }

  var V1_CHECKS = {
    commitment: async function (ctx, r) {
      return eq(await commitment(ctx, get(r, "server_secret")), get(r, "commitment"));
    },
    frame: async function (ctx, r, s) {
      var frame = get(r, "frame");
      var rows = s.rows = pairs(get(frame, "rows"));
      if (!rows.length || !eq(get(frame, "count"), rows.length)) { return false; }
      if (new Set(rows.map(function (p) { return p[0]; })).size !== rows.length) { return false; }
      var text = frameText(rows);
      await ctx.tick(0.5);
      return eq(await ctx.engine.text(text), get(frame, "digest"));
    },
    pool: async function (ctx, r, s) {
      var pool = get(r, "pool");
      s.inspectors = pairs(get(pool, "inspectors"));
      s.conflicts = pairs(get(pool, "conflicts"));
      var ids = s.inspectors.map(function (p) { return p[0]; });
      if (new Set(ids).size !== ids.length) { return false; }
      return eq(await ctx.engine.text(poolText(s.inspectors, s.conflicts)), get(pool, "digest"));
    },
    seed: async function (ctx, r) {
      var entropy = get(r, "public_entropy");
      if (!eq(entropy, normalizeEntropy(entropy))) { return false; }
      var text = V1 + "\n" + get(r, "server_secret") + "\n" + normalizeEntropy(entropy) + "\n" +
        get(get(r, "frame"), "digest") + "\n" + get(get(r, "pool"), "digest");
      return eq(await ctx.engine.text(text), get(r, "seed"));
    },
    strata: async function (ctx, r, s) {
      s.sizes = strataMatch(get(r, "strata"), s.rows);
      return s.sizes !== null;
    },
    selection: async function (ctx, r, s) {
      s.chosen = await select(ctx, get(r, "seed"), s.rows, s.sizes);
      return selectionMatches(get(r, "selected"), s.chosen);
    },
    teams: async function (ctx, r, s) {
      var teamSize = get(r, "team_size"), capacity = get(r, "capacity"), required = get(r, "required_departments");
      if (!(isInt(teamSize) && isInt(capacity))) { return false; }
      var listed = iter(required);
      if (distinctCount(listed) !== len(required)) { return false; }
      var teams;
      try {
        teams = await assignTeamsV1(ctx, get(r, "seed"), s.chosen.map(function (c) { return c.entity; }),
          s.inspectors, s.conflicts, teamSize, required, capacity);
      } catch (e) {
        if (e instanceof TeamError) { return false; }
        throw e;
      }
      var given = iter(get(r, "selected"));
      for (var k = 0; k < teams.length; k++) { if (!eq(get(given[k], "team"), teams[k])) { return false; } }
      return true;
    }
  };

  // --- Version 2 (draw-v2.md) -------------------------------------------------------------

  function cleanId(v) { return v.length > 0 && !/[,\n\r]/.test(v); }

  function paramsText(strata, teamSize, required, capacity) {
    var rules = sortBy(strata, function (e) { return e.get("name"); }).map(function (e) {
      if (e.has("ratio") === e.has("count")) { raise("DrawError: ratio or count"); }
      var kind = e.has("ratio") ? "ratio" : "count";
      return e.get("name") + "=" + kind + ":" + pyStr(e.get(kind));
    });
    var departments = sortText(Array.from(capacity.keys()));
    return "strata:" + rules.join(";") + "\n" +
      "team_size:" + pyStr(teamSize) + "\n" +
      "required:" + required.join(",") + "\n" +
      "capacity:" + departments.map(function (d) { return d + "=" + pyStr(capacity.get(d)); }).join(";") + "\n";
  }

  function wellFormedRule(entry) {
    if (typeof get(entry, "name") !== "string" || entry.has("ratio") === entry.has("count")) { return false; }
    if (entry.has("ratio")) {
      parseRatio(entry.get("ratio")); // not a decimal string, or above 1: the check fails
      return true;
    }
    var count = entry.get("count");
    return isInt(count) && count >= 0;
  }

  async function assignTeamsV2(ctx, seed, entities, inspectors, conflicts, teamSize, required, capacity) {
    if (!isInt(teamSize) || teamSize < 2) { raise("DrawError: team size"); }
    if (!Array.isArray(required) || distinctCount(required) !== required.length || required.length > teamSize) {
      raise("DrawError: required departments");
    }
    var departmentOf = new Map();
    inspectors.forEach(function (p) { departmentOf.set(p[0], p[1]); });
    new Set(departmentOf.values()).forEach(function (d) {
      var cap = capacity.get(d);
      if (!isInt(cap) || cap < 1) { raise("DrawError: capacity"); }
    });
    var everyone = sortText(Array.from(departmentOf.keys()));
    var membersOf = new Map([[null, everyone]]);
    everyone.forEach(function (i) {
      var d = departmentOf.get(i);
      if (!membersOf.has(d)) { membersOf.set(d, []); }
      membersOf.get(d).push(i);
    });
    var below = new Map();
    membersOf.forEach(function (members, key) { below.set(key, members.length); });
    var forbidden = new Map();
    conflicts.forEach(function (p) {
      if (!departmentOf.has(p[0])) { return; }
      if (!forbidden.has(p[1])) { forbidden.set(p[1], new Set()); }
      forbidden.get(p[1]).add(p[0]);
    });
    var load = new Map(), capOf = new Map();
    departmentOf.forEach(function (d, i) { load.set(i, 0); capOf.set(i, Number(capacity.get(d))); });
    var teams = [], none = new Set(), out = new Int32Array(8), empty = [];
    for (var x = 0; x < entities.length; x++) {
      var entity = entities[x], blocked = forbidden.get(entity) || none;
      var prefix = ctx.engine.teamPrefix(seed, entity);
      var team = [];
      for (var slot = 0; slot < teamSize; slot++) {
        var department = slot < required.length ? required[slot] : null;
        var candidates = membersOf.get(department) || empty;
        var taken = 0, barred = 0;
        team.forEach(function (i) { if (department === null || departmentOf.get(i) === department) { taken++; } });
        blocked.forEach(function (i) {
          if (team.indexOf(i) < 0 && load.get(i) < capOf.get(i) &&
              (department === null || departmentOf.get(i) === department)) { barred++; }
        });
        if ((below.get(department) || 0) - taken - barred <= 0) { throw new TeamError(entity, department, slot); }
        var n = BigInt(candidates.length);
        for (var k = 0; ; k++) {
          var words = await ctx.engine.teamWords(prefix, slot + ":" + k, out);
          var pick = candidates[Number(BigInt("0x" + wordsHex(words, 0)) % n)];
          if (team.indexOf(pick) < 0 && !blocked.has(pick) && load.get(pick) < capOf.get(pick)) {
            team.push(pick);
            break;
          }
        }
      }
      team.forEach(function (i) {
        load.set(i, load.get(i) + 1);
        if (load.get(i) === capOf.get(i)) {
          below.set(null, below.get(null) - 1);
          below.set(departmentOf.get(i), below.get(departmentOf.get(i)) - 1);
        }
      });
      teams.push(team);
      if ((x & 255) === 255) { await ctx.tick(x / entities.length); }
    }
    return teams;
  }

  var V2_CHECKS = {
    spec: async function (ctx, r) { return r instanceof Map && r.get("spec") === V2; },
    commitment: async function (ctx, r) {
      var secret = get(r, "server_secret");
      if (typeof secret !== "string" || !/^[0-9a-f]{64}$/.test(secret)) { return false; }
      return eq(await commitment(ctx, secret), get(r, "commitment"));
    },
    frame: async function (ctx, r, s) {
      var frame = get(r, "frame");
      var rows = s.rows = pairs(get(frame, "rows"));
      if (!rows.length) { return false; }
      for (var k = 0; k < rows.length; k++) { if (!cleanId(rows[k][0]) || !cleanId(rows[k][1])) { return false; } }
      var count = get(frame, "count");
      if (!isInt(count) || !eq(count, rows.length)) { return false; }
      if (new Set(rows.map(function (p) { return p[0]; })).size !== rows.length) { return false; }
      var text = frameText(rows);
      await ctx.tick(0.5);
      return eq(await ctx.engine.text(text), get(frame, "digest"));
    },
    pool: async function (ctx, r, s) {
      var pool = get(r, "pool");
      s.inspectors = pairs(get(pool, "inspectors"));
      s.conflicts = pairs(get(pool, "conflicts"));
      var ids = s.inspectors.map(function (p) { return p[0]; });
      if (new Set(ids).size !== ids.length) { return false; }
      if (!s.inspectors.concat(s.conflicts).every(function (p) { return cleanId(p[0]) && cleanId(p[1]); })) {
        return false;
      }
      return eq(await ctx.engine.text(poolText(s.inspectors, s.conflicts)), get(pool, "digest"));
    },
    params: async function (ctx, r, s) {
      var strata = get(r, "strata"), teamSize = get(r, "team_size");
      var required = get(r, "required_departments"), capacity = get(r, "capacity");
      if (!Array.isArray(strata) || !strata.every(function (e) { return e instanceof Map && wellFormedRule(e); })) {
        return false;
      }
      if (!isInt(teamSize) || teamSize < 2) { return false; }
      if (!Array.isArray(required) || !required.every(isStr) || new Set(required).size !== required.length ||
          required.length > teamSize) { return false; }
      if (!(capacity instanceof Map)) { return false; }
      for (var entry of capacity) { if (!isInt(entry[1]) || entry[1] < 1) { return false; } }
      if (s.inspectors.some(function (p) { return !capacity.has(p[1]); })) { return false; }
      return eq(await ctx.engine.text(paramsText(strata, teamSize, required, capacity)), get(r, "params_digest"));
    },
    seed: async function (ctx, r) {
      var entropy = get(r, "public_entropy");
      if (typeof entropy !== "string") { return false; }
      var text = V2 + "\n" + get(r, "server_secret") + "\n" + entropy + "\n" + get(get(r, "frame"), "digest") +
        "\n" + get(get(r, "pool"), "digest") + "\n" + get(r, "params_digest");
      return eq(await ctx.engine.text(text), get(r, "seed"));
    },
    strata: async function (ctx, r, s) {
      if (iter(get(r, "strata")).some(function (e) { return STRATA.indexOf(get(e, "name")) < 0; })) { return false; }
      s.sizes = strataMatch(get(r, "strata"), s.rows);
      return s.sizes !== null;
    },
    selection: async function (ctx, r, s) {
      s.chosen = await select(ctx, get(r, "seed"), s.rows, s.sizes);
      if (r.has("failure")) { return eq(get(r, "selected"), []); }
      return selectionMatches(get(r, "selected"), s.chosen);
    },
    teams: async function (ctx, r, s) {
      var teams;
      try {
        teams = await assignTeamsV2(ctx, get(r, "seed"), s.chosen.map(function (c) { return c.entity; }),
          s.inspectors, s.conflicts, get(r, "team_size"), get(r, "required_departments"), get(r, "capacity"));
      } catch (e) {
        if (!(e instanceof TeamError)) { throw e; }
        var f = r.has("failure") ? r.get("failure") : null;
        return f instanceof Map && f.size === 3 && f.has("entity") && f.has("slot") && f.has("department") &&
          isInt(f.get("slot")) && eq(f.get("entity"), e.entity) && eq(f.get("slot"), e.slot) &&
          eq(f.get("department"), e.department);
      }
      if (r.has("failure")) { return false; }
      var given = iter(get(r, "selected"));
      for (var k = 0; k < teams.length; k++) {
        var team = get(given[k], "team");
        if (!Array.isArray(team) || !eq(team, teams[k])) { return false; }
      }
      return true;
    }
  };

  // --- Running the checks -----------------------------------------------------------------

  // The checks a record gets, in order: v1's seven, v2's nine, or just "spec".
  function checksOf(record) {
    if (record instanceof Map && record.get("spec") === V1) { return CHECKS_V1.slice(); }
    if (record instanceof Map && record.get("spec") === V2) { return CHECKS_V2.slice(); }
    return ["spec"];
  }

  // Verify a parsed record (parseJSON's values). options: engine ("js" | "webcrypto"),
  // onPlan(checks, spec) once, onCheck(name, "running" | "ok" | "bad"), onProgress(fraction of
  // the whole, check),
  // tick (a function returning a promise, to yield to the event loop; none in a Worker).
  // Resolves to {spec, checks, failed (null when valid), failure ({entity, slot, department}
  // of a valid failed-draw record, else null)}.
  async function verifyRecord(record, options) {
    options = options || {};
    var engine = ENGINES[options.engine || "js"];
    if (!engine) { throw new Error("unknown hash engine: " + options.engine); }
    var checks = checksOf(record), table = checks.length === 7 ? V1_CHECKS : V2_CHECKS;
    var onCheck = options.onCheck || function () {}, onProgress = options.onProgress || function () {};
    var state = {}, current = 0;
    var ctx = {
      engine: engine,
      tick: function (fraction) {
        onProgress((current + Math.max(0, Math.min(1, fraction))) / checks.length, checks[current]);
        return options.tick ? options.tick() : undefined;
      }
    };
    var result = { spec: record instanceof Map && isStr(record.get("spec")) ? record.get("spec") : null,
                   checks: checks, failed: null, failure: null };
    if (options.onPlan) { options.onPlan(checks, result.spec); }
    for (current = 0; current < checks.length; current++) {
      var name = checks[current], ok;
      onCheck(name, "running");
      await ctx.tick(0);
      try {
        ok = await table[name](ctx, record, state);
      } catch (e) {
        if (!(e instanceof PyError) && !(e instanceof TypeError) && !(e instanceof RangeError) &&
            !(e instanceof SyntaxError)) { throw e; }
        ok = false; // a missing or mistyped field fails the first check that reads it
      }
      onCheck(name, ok ? "ok" : "bad");
      if (!ok) { result.failed = name; break; }
    }
    onProgress(1, null);
    if (!result.failed && checks.length === 9 && record.has("failure")) {
      var f = record.get("failure");
      result.failure = { entity: f.get("entity"), slot: f.get("slot"), department: f.get("department") };
    }
    return result;
  }

  // Verify a record file's bytes (UTF-8, as the reference's command reads it); a file that is not
  // JSON is not a JSON object, so it fails "spec".
  function verifyBytes(buffer, options) {
    var record;
    try {
      record = parseJSON(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buffer));
    } catch (e) {
      options = options || {};
      if (options.onPlan) { options.onPlan(["spec"], null); }
      if (options.onCheck) { options.onCheck("spec", "bad"); }
      return Promise.resolve({ spec: null, checks: ["spec"], failed: "spec", failure: null, notJson: true });
    }
    return verifyRecord(record, options);
  }
  function verifyText(text, options) { return verifyBytes(encoder.encode(text), options); }

  var api = {
    NAMES: NAMES, CHECKS_V1: CHECKS_V1, CHECKS_V2: CHECKS_V2, ENGINES: Object.keys(ENGINES),
    parseJSON: parseJSON, verifyRecord: verifyRecord, verifyBytes: verifyBytes, verifyText: verifyText,
    sha256Hex: function (bytes) { return wordsHex(sha256Words(bytes), 0); }
  };

  if (typeof module === "object" && module.exports) { module.exports = api; return; }
  root.SpotcheckVerify = api;

  // As a Web Worker: one message {buffer, engine} in; {type: "check" | "progress" | "done"} out.
  if (typeof WorkerGlobalScope !== "undefined" && root instanceof WorkerGlobalScope) {
    root.onmessage = function (event) {
      var started = Date.now(), last = 0;
      verifyBytes(event.data.buffer, {
        engine: event.data.engine,
        onPlan: function (checks, spec) { root.postMessage({ type: "plan", checks: checks, spec: spec }); },
        onCheck: function (name, state) { root.postMessage({ type: "check", name: name, state: state }); },
        onProgress: function (value, name) {
          var now = Date.now();
          if (value >= 1 || now - last >= 40) { last = now; root.postMessage({ type: "progress", value: value, name: name }); }
        }
      }).then(function (result) {
        result.ms = Date.now() - started;
        root.postMessage({ type: "done", result: result });
      }, function (error) {
        root.postMessage({ type: "error", message: String(error && error.message || error) });
      });
    };
  }
})(typeof self !== "undefined" ? self : this);
