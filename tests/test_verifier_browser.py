"""The in-browser verifier (/verify/, verify.js and verify-core.js) in Debian's Chromium.

It must give the answer of the Python reference (spotcheck.draw.verify) on every record:
valid, or the same first failed check. Each test loads the page once and feeds it several
records, since the suite runs twice on two cores.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest

from spotcheck import draw
from spotcheck.draw import common, v1, v2
from spotcheck.verify import check_file
from tests.test_browser import browser  # noqa: F401 (the module's Chromium, a fixture)
from tests.vectors import ROOT, V1, V2

FAILED_DRAW = ROOT / "docs" / "draw" / "examples" / "failed-draw.json"
V2_JOINT = next(p for p in V2 if p.name == "joint-plan.json")
pytestmark = pytest.mark.django_db(transaction=True)


def _page(browser, live_server, query=""):  # noqa: F811 (the fixture)
    page = browser.new_context(locale="zh-CN").new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    page.goto(f"{live_server.url}/verify/{query}")
    return page


def _feed(page, path: Path) -> str:
    """Give the page a record file; return its data-result when it is done."""
    page.set_input_files("#record-file", str(path))
    page.wait_for_selector("#verify-status[data-result]", timeout=120_000)
    return page.get_attribute("#verify-status", "data-result")


def check_line(path: Path) -> str:
    """What ``python -m spotcheck.verify`` prints for a valid record (its one line)."""
    out = io.StringIO()
    assert check_file(str(path), as_json=False, out=out) == 0
    return out.getvalue().strip()


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, record) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_the_browser_verifier_accepts_each_vector_and_names_a_tampered_check(browser, live_server, tmp_path):  # noqa: F811
    page = _page(browser, live_server)
    for vector in V1 + V2:
        assert _feed(page, vector) == "valid", vector
        assert page.get_attribute("#verify-status", "data-runner") == "worker"  # not the in-page fallback
        checks = page.locator("#verify-checks li")
        names = v1.CHECKS if vector in V1 else v2.CHECKS  # seven checks, or nine with spec and params
        assert checks.count() == len(names)
        for item, name in zip(checks.all(), names, strict=True):
            text = item.inner_text()
            assert name in text and "通过" in text and item.get_attribute("class") == "ok"
        assert "承诺值" in page.inner_text("#verify-checks") and page.is_hidden("#verify-progress")
        # The same line as the command-line verifiers print (checks counted alike).
        assert page.inner_text("#verify-status").strip() == check_line(vector), vector
        record = _load(vector)
        record["selected"][2]["team"].reverse()
        assert draw.verify(record) == "teams"
        assert _feed(page, _write(tmp_path, "bad.json", record)) == "invalid:teams"
        assert "检查组" in page.inner_text("#verify-status")
    assert page.csp_errors == []  # the Worker and the scripts are allowed by script-src 'self'
    page.context.close()


def test_a_failed_draw_verifies_as_a_failed_draw(browser, live_server, tmp_path):  # noqa: F811
    record = _load(FAILED_DRAW)
    assert draw.verify(record) is None and record["selected"] == []
    page = _page(browser, live_server)
    assert _feed(page, FAILED_DRAW) == "valid"
    status = page.inner_text("#verify-status")
    assert "失败的抽取" in status and "没有被选用" in status and "not chosen" in status
    assert record["failure"]["entity"] in status and "WJW" in status
    assert page.get_attribute("#verify-status", "data-draw") == "failed"
    # A failure at another slot, or a failed record that lists a selection, is not this draw.
    moved = copy.deepcopy(record)
    moved["failure"]["slot"] = 0
    listed = copy.deepcopy(record)
    listed["selected"] = [{"entity": record["failure"]["entity"], "stratum": "general", "ticket": "0" * 64,
                           "team": []}]
    for name, bad in (("moved", moved), ("listed", listed)):
        expected = draw.verify(bad)
        assert expected in {"teams", "selection"}
        assert _feed(page, _write(tmp_path, f"{name}.json", bad)) == f"invalid:{expected}"
        assert page.get_attribute("#verify-status", "data-draw") is None
    page.context.close()


def _tamperings(record: dict) -> list[tuple[str, str, dict]]:
    """(name, the check that must fail, the tampered record) for a v1 or v2 record.

    Version 1 has one capacity for everybody, not hashed before the draw: no params check, so
    no capacity tampering.
    """
    def changed(fn) -> dict:
        r = copy.deepcopy(record)
        fn(r)
        return r

    def swap_members(r):
        team = next(s["team"] for s in r["selected"] if len(s["team"]) >= 2)
        team[0], team[1] = team[1], team[0]

    def more_capacity(r):
        department = sorted(r["capacity"])[0]
        r["capacity"][department] += 1

    tamperings = [
        ("entropy", "seed", changed(lambda r: r.update(public_entropy=r["public_entropy"] + " 7"))),
        ("members", "teams", changed(swap_members)),
        ("conflict", "pool", changed(lambda r: r["pool"]["conflicts"].pop())),
        ("spec", "spec", changed(lambda r: r.update(spec="spotcheck-draw/9"))),
    ]
    if record["spec"] == v2.SPEC:
        tamperings.append(("capacity", "params", changed(more_capacity)))
    return tamperings


def test_each_tampering_is_named_by_the_same_check_in_the_browser_and_in_python(browser, live_server, tmp_path):  # noqa: F811
    page = _page(browser, live_server, "?engine=webcrypto")  # the other hash engine
    fed = set()
    for vector in V1 + V2:
        version = "v1" if vector in V1 else "v2"
        for name, check, record in _tamperings(_load(vector)):
            where = f"{version}/{vector.name}: {name}"
            assert draw.verify(record) == check, where
            path = _write(tmp_path, f"{version}-{vector.stem}-{name}.json", record)
            assert _feed(page, path) == f"invalid:{check}", where
            assert page.get_attribute("#verify-status", "data-engine") == "webcrypto"
            assert f"（{check}）" in page.inner_text("#verify-status"), where
            failed = page.locator("#verify-checks li.bad")
            assert failed.count() == 1 and check in failed.inner_text(), where
            fed.add((version, name))
    assert fed == {(v, n) for v in ("v1", "v2") for n in ("entropy", "members", "conflict", "spec")} | {
        ("v2", "capacity")}
    not_json = tmp_path / "not-json.json"
    not_json.write_text('{"spec": "spotcheck-draw/2",', encoding="utf-8")
    assert _feed(page, not_json) == "invalid:spec"
    page.context.close()


def _resign(r: dict) -> dict:
    """Redo the digests, seed, selection and teams over whatever a record now holds (where they can be made).

    So that a well-formedness rule, not a stale digest, decides; a well-formed change gives a valid
    record, or a failure record when the teams cannot be formed.
    """
    version = v2 if r.get("spec") == v2.SPEC else v1
    try:
        r["commitment"] = common.h(bytes.fromhex(r["server_secret"]))
    except (TypeError, ValueError):
        pass
    try:
        rows, inspectors, conflicts = r["frame"]["rows"], r["pool"]["inspectors"], r["pool"]["conflicts"]
        r["frame"]["digest"] = common.frame_digest(rows)
        r["pool"]["digest"] = common.pool_digest(inspectors, conflicts)
        if version is v2:
            r["params_digest"] = v2.params_digest(r["strata"], r["team_size"], r["required_departments"],
                                                  r["capacity"])
            r["seed"] = v2.seed(r["server_secret"], r["public_entropy"], r["frame"]["digest"],
                                r["pool"]["digest"], r["params_digest"])
        else:
            r["seed"] = v1.seed(r["server_secret"], r["public_entropy"], r["frame"]["digest"], r["pool"]["digest"])
        chosen = common.select(r["seed"], [tuple(x) for x in rows], {s["name"]: s["sample_size"] for s in r["strata"]})
        try:
            teams = version.assign_teams(r["seed"], [c.entity for c in chosen], inspectors, conflicts, r["team_size"],
                                         r["required_departments"], r["capacity"])
        except common.TeamError as error:
            r["selected"] = []
            r["failure"] = {"entity": error.entity, "slot": error.slot, "department": error.department}
        else:
            r["selected"] = [{"entity": c.entity, "stratum": c.stratum, "ticket": c.ticket, "team": t}
                             for c, t in zip(chosen, teams, strict=True)]
            r.pop("failure", None)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return r


def _well_formedness_cases() -> list[tuple[str, str]]:
    """(case, record text) for every rule of draw-v2.md §8, re-signed so that the rule is what matters."""
    base = _load(V2_JOINT)
    cases: list[tuple[str, object]] = []

    def case(name, fn, resign=True):
        r = copy.deepcopy(base)
        fn(r)
        cases.append((name, _resign(r) if resign else r))

    def put(*path):
        *keys, value = path

        def fn(r):
            target = r
            for k in keys[:-1]:
                target = target[k]
            target[keys[-1]] = value
        return fn

    for secret in ["AB" * 32, "ab" * 31, "ab" * 32 + "\n", "ab " * 32, 42]:
        case(f"secret {secret!r}", put("server_secret", secret))
    for i, bad in enumerate(["", "A,B", "A\nB", "A\rB"]):
        case(f"entity id {i}", put("frame", "rows", 0, 0, bad))
        case(f"stratum {i}", put("frame", "rows", 1, 1, bad))
        case(f"inspector id {i}", put("pool", "inspectors", 0, 0, bad))
        case(f"department {i}", put("pool", "inspectors", 1, 1, bad))
        case(f"conflict entity {i}", put("pool", "conflicts", 0, 1, bad))
    case("duplicate inspector", lambda r: r["pool"]["inspectors"].append(list(r["pool"]["inspectors"][0])))
    case("duplicate entity", lambda r: r["frame"]["rows"].append(list(r["frame"]["rows"][0])))
    case("no rows", put("frame", "rows", []))
    for count in [300.0, True, "300", 301, 10**20]:
        case(f"frame count {count!r}", put("frame", "count", count))
    for ratio in ["1.5", "1", "1.0", "0", "0.30", "00.10", ".5", "1.", "0.5e1", " 0.1", "-0.1", "١", 0.1, None]:
        case(f"ratio {ratio!r}", put("strata", 0, "ratio", ratio))
    for count in [-1, 0, 7.0, True, "7", 10**20, 2**53 + 1, None]:
        case(f"count {count!r}", put("strata", 2, "count", count))
    case("ratio and count", lambda r: r["strata"][0].update(count=1))
    case("neither ratio nor count", lambda r: r["strata"][2].pop("count"))
    case("duplicate stratum", lambda r: r["strata"].append(dict(r["strata"][0])))
    case("unknown stratum", put("strata", 0, "name", "other"))
    case("stratum name 7", put("strata", 0, "name", 7))
    case("no strata", put("strata", []))
    for size in [1, 2.0, True, "4", 3, 10**20, -4]:
        case(f"team size {size!r}", put("team_size", size))
    for required in [["SCJGJ", "SCJGJ"], ["SCJGJ", "GSJ", "ZJW", "WJW", "X"], ["SCJGJ", 1], "SCJGJ", [], ["ZJW"]]:
        case(f"required {required!r}", put("required_departments", required))
    for department, cap in [("SCJGJ", 0), ("SCJGJ", -1), ("SCJGJ", 2.5), ("SCJGJ", "3"), ("SCJGJ", True),
                            ("SCJGJ", 10**20), ("WJW", 1), ("SCJGJ", 1)]:
        case(f"capacity {department}={cap!r}", put("capacity", department, cap))
    case("capacity missing a department", lambda r: r["capacity"].pop("GSJ"))
    case("capacity as a number", put("capacity", 10))
    case("entropy with outer spaces (used as recorded)", put("public_entropy", "  3 1 4  "))
    case("entropy not text", put("public_entropy", 3))
    case("entropy changed, not re-signed", put("public_entropy", "3 1 4"), resign=False)
    case("failure on a completed draw", put("failure", {"entity": "X", "slot": 0, "department": None}), resign=False)
    case("selected a dict", put("selected", {}), resign=False)
    case("team not a list", put("selected", 0, "team", "ABCD"), resign=False)
    case("ticket upper case", lambda r: r["selected"][0].update(ticket=r["selected"][0]["ticket"].upper()),
         resign=False)
    case("a conflict with a team member", lambda r: r["pool"]["conflicts"].append(
        [r["selected"][0]["team"][1], r["selected"][0]["entity"]]))
    case("capacity 1 everywhere", lambda r: r.update(capacity=dict.fromkeys(r["capacity"], 1)))
    failed = _load(FAILED_DRAW)
    cases.append(("failed draw", failed))
    for key, value in [("slot", 1.0), ("slot", True), ("slot", 2), ("department", None), ("department", "SCJGJ"),
                       ("entity", "X"), ("extra", 1)]:
        r = copy.deepcopy(failed)
        r["failure"][key] = value
        cases.append((f"failure {key}={value!r}", r))
    cases.append(("failure null", {**failed, "failure": None}))
    version1 = _load(V1[0])
    cases.append(("v1", version1))
    for name, change in [("v1 entropy with outer spaces", {"public_entropy": version1["public_entropy"] + " "}),
                         ("v1 secret in upper case", {"server_secret": version1["server_secret"].upper()}),
                         ("v1 secret spaced", {"server_secret": " ".join(version1["server_secret"][i:i + 2]
                                                                           for i in range(0, 64, 2))}),
                         ("v1 capacity 1.0", {"capacity": 1.0}), ("v1 team size 9", {"team_size": 9}),
                         ("v1 required as text", {"required_departments": "SCJGJ"}),
                         ("v1 frame count True", {"frame": {**version1["frame"], "count": True}})]:
        cases.append((name, _resign({**copy.deepcopy(version1), **change})))
    texts = [(name, json.dumps(r, ensure_ascii=False)) for name, r in cases]
    texts += [("not an object", "[]"), ("spec a list", '{"spec": []}'), ("NaN", '{"spec": NaN}'),
              ("not JSON", "{"), ("BOM", "\ufeff{}")]
    return texts


def test_the_browser_agrees_with_python_on_every_well_formedness_rule(browser, live_server):  # noqa: F811
    cases = _well_formedness_cases()
    expected = []
    for _, text in cases:
        try:
            record = json.loads(text)
        except ValueError:
            record = None  # as python -m spotcheck.verify: not JSON fails spec
        expected.append(draw.verify(record) or "valid")
    page = _page(browser, live_server)
    got = page.evaluate("""async (texts) => {
        const out = [];
        for (const text of texts) { out.push((await SpotcheckVerify.verifyText(text)).failed || "valid"); }
        return out;
    }""", [text for _, text in cases])
    assert [(name, g) for (name, _), g in zip(cases, got, strict=True)] == \
        [(name, e) for (name, _), e in zip(cases, expected, strict=True)]
    # The cases reach every check, and some are valid.
    assert set(expected) >= {"valid", "spec", "commitment", "frame", "pool", "params", "seed", "strata", "teams"}
    page.context.close()


def test_the_browser_verifies_a_published_failed_draw(browser, live_server, district, departments):  # noqa: F811
    """A failed draw's record is public (draw-v2 §7) and the portal's verifier accepts it as a failure."""
    from spotcheck.directory.models import Conflict, Entity, Inspector
    from spotcheck.draws.models import Commitment
    from tests.conftest import approved_plan, draw_run, run_command

    Inspector.objects.filter(department=departments["WJW"]).exclude(cert_no="W001").delete()
    w001 = Inspector.objects.get(cert_no="W001")
    Conflict.objects.bulk_create([Conflict(inspector=w001, uscc=e.uscc, status="confirmed")
                                  for e in Entity.objects.all()])
    plan = approved_plan(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"))
    run_command("draw_commit", str(plan.pk))
    assert draw_run(plan)[0] == 1
    c = Commitment.objects.get()
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/public/plans/{plan.pk}/")
    page.click("text=在浏览器中验证")
    page.click("#load-plan")
    page.wait_for_selector("#verify-status[data-result]", timeout=120_000)
    assert page.get_attribute("#verify-status", "data-result") == "valid"
    assert c.record and "failure" in c.record
    page.context.close()
