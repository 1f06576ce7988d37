"""Published data through the API (issue #10): the search, credit records, and the credit feed.

The feed must hand a client every published result and correction exactly once, in a stable
order, while results are being published: the thread test at the end follows it during
concurrent approvals on PostgreSQL.
"""

from __future__ import annotations

import base64
import random
import threading
import time

import pytest
from django.db import connection, transaction

from spotcheck.inspections.models import TaskStatus
from spotcheck.results import feed, service
from spotcheck.results.models import FeedCounter, Result
from tests import test_public_results as public
from tests.api_client import Api, error_of, token_for
from tests.databases import file_database
from tests.test_public_results import EVERYONE, THIS_YEAR
from tests.test_results import GOOD, drawn, enter_all, head, member

pytestmark = pytest.mark.django_db

plan, world = public.plan, public.world  # fixtures: a drawn plan; two of its tasks published, two not


def follow(api: Api, cursor: str = "", limit: int = 2) -> tuple[list[dict], str]:
    """Read the feed from ``cursor`` to its end, page by page; return the items and the last ``next``."""
    items: list[dict] = []
    while True:
        answer = api.get("/feed/results", cursor=cursor, limit=limit)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert set(body) == {"items", "next"}
        items += body["items"]
        cursor = body["next"]
        if not body["items"]:
            return items, cursor


def correct(result: Result, approver, reason: str = "复核发现原记录录入错误") -> Result:
    return service.correct(result, {**GOOD, "inspected_on": result.inspected_on, "category": "disclosure_violation",
                                    "findings": "年报未公示", "follow_up": "rectification"}, approver, reason)


# --- The credit feed ---------------------------------------------------------------------------


def test_the_feed_gives_every_published_result_and_correction_once_in_order(world, personas):
    old = world["good"].results.get()
    new = correct(old, personas["henry"])
    items, _ = follow(Api(), limit=1)
    published = set(Result.objects.filter(published_at__isnull=False).values_list("pk", flat=True))
    assert [i["id"] for i in items] == sorted(published, key=lambda pk: Result.objects.get(pk=pk).feed_seq)
    assert len(items) == len(published) == 3  # two tasks' results and one correction; never the waiting or draft
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert items[-1]["id"] == new.pk  # corrected last, numbered last
    by_id = {i["id"]: i for i in items}
    assert by_id[new.pk]["corrects"] == old.pk and by_id[new.pk]["correction_reason"] == "复核发现原记录录入错误"
    assert by_id[new.pk]["result"] == "disclosure_violation"
    entry = by_id[old.pk]
    task = world["good"]
    assert entry["entity"] == task.entity.uscc and entry["name"] == "重庆嘉陵良品商贸有限公司"
    assert entry["plan"] == task.plan.number and entry["plan_id"] == task.plan_id and entry["task"] == task.pk
    assert entry["department"] == "SCJGJ" and entry["item"] == "SCJGJ-001" and entry["result"] == "no_issue"
    assert entry["corrects"] is None and entry["published_at"]


def test_next_is_always_given_and_polling_from_it_sees_only_what_is_new(world, personas):
    api = Api()
    seen, cursor = follow(api, limit=10)
    again = api.get("/feed/results", cursor=cursor).json()
    assert again == {"items": [], "next": cursor}  # nothing new: the same place to poll from
    new = correct(world["bad"].results.get(), personas["henry"])
    later, cursor2 = follow(api, cursor)
    assert [i["id"] for i in later] == [new.pk] and cursor2 != cursor
    assert new.pk not in {i["id"] for i in seen}


def test_an_empty_feed_gives_a_cursor_to_poll_from(db):
    body = Api().get("/feed/results").json()
    assert body["items"] == [] and feed.decode(body["next"]) == 0


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("cursor", ["not a cursor!", b64("x1:5"), b64("s1:abc"), b64("s1:-3"),
                                    b64("s1:" + "9" * 30), "%%%%"])
def test_a_cursor_the_feed_did_not_give_is_422_naming_the_cursor(db, cursor):
    answer = Api().get("/feed/results", cursor=cursor)
    assert answer.status_code == 422
    assert error_of(answer)["fields"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_a_limit_out_of_bounds_is_422_naming_the_limit(db, limit):
    answer = Api().get("/feed/results", limit=limit)
    assert answer.status_code == 422
    assert [f["field"] for f in error_of(answer)["fields"]] == ["limit"]


def test_a_rolled_back_publication_takes_no_number(plan, personas):
    task = plan.tasks.order_by("order").first()
    leader = member(task, 0)
    enter_all(task, leader)
    service.submit(task, leader)
    before = FeedCounter.objects.get_or_create(pk=1)[0].last
    with pytest.raises(RuntimeError), transaction.atomic():
        service.approve(task, personas["henry"])
        raise RuntimeError("the caller's transaction fails after the approval")
    assert FeedCounter.objects.get(pk=1).last == before
    assert not Result.objects.filter(feed_seq__isnull=False).exists()
    service.approve(task, personas["henry"])
    assert list(Result.objects.values_list("feed_seq", flat=True)) == [before + 1]


# --- The search and credit records -----------------------------------------------------------


def test_the_search_gives_only_published_results_with_their_count(world):
    answer = Api().get("/public/results")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2
    assert {r["entity"] for r in body["items"]} == {world["good"].entity.uscc, world["bad"].entity.uscc}
    bad = next(r for r in body["items"] if r["result"] == "pending_action")
    assert bad["follow_up"] == "rectification" and bad["department"] == "SCJGJ" and bad["item_name"]
    named = Api().get("/public/results", q="问题餐饮").json()
    assert [r["entity"] for r in named["items"]] == [world["bad"].entity.uscc] and named["count"] == 1
    by_code = Api().get("/public/results", q=world["good"].entity.uscc.lower()).json()
    assert [r["entity"] for r in by_code["items"]] == [world["good"].entity.uscc]
    assert Api().get("/public/results", category="no_issue", department="SCJGJ", year=THIS_YEAR).json()["count"] == 1
    assert Api().get("/public/results", q="未审待定").json() == {"items": [], "count": 0}  # submitted, not public
    page = Api().get("/public/results", limit=1, offset=1).json()
    assert len(page["items"]) == 1 and page["count"] == 2


@pytest.mark.parametrize("field,value", [("department", "NOPE"), ("category", "fine"), ("year", "last"),
                                         ("limit", "0"), ("limit", "201"), ("offset", "-1"), ("q", "重庆\x00"),
                                         ("q", "x" * 101)])
def test_a_bad_search_term_is_422_naming_it(world, field, value):
    answer = Api().get("/public/results", **{field: value})
    assert answer.status_code == 422
    assert [f["field"] for f in error_of(answer)["fields"]] == [field]


def test_the_credit_record_by_code(world, personas):
    old = world["good"].results.get()
    new = correct(old, personas["henry"])
    answer = Api().get(f"/public/entities/{old.entity.uscc.lower()}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["entity"] == old.entity.uscc and body["name"] == "重庆嘉陵良品商贸有限公司"
    assert [(r["id"], r["corrects"], r["corrected_by"]) for r in body["results"]] == [
        (new.pk, old.pk, None), (old.pk, None, new.pk)]
    assert body["exempt_until"] is None and body["exemption_reason"] == "gap"  # one year of inspections only
    untouched = world["draft"].entity.uscc
    assert Api().get(f"/public/entities/{untouched}").json()["results"] == []  # no published result yet


@pytest.mark.parametrize("code", ["915001130000000000", "not-a-code", "91500113%00"])
def test_an_unknown_entity_is_404_in_the_one_shape(db, code):
    answer = Api().get(f"/public/entities/{code}")
    assert answer.status_code == 404
    assert error_of(answer)["code"] == "not_found"


# --- The feed while results are being published (PostgreSQL) ---------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="PostgreSQL only: SQLite has one writer at a time, so a later number can never "
                           "commit before an earlier one there; the hole this test looks for is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_feed_loses_and_repeats_nothing_while_results_are_published(district, personas, tmp_path,
                                                                         monkeypatch):
    """Three threads approve tasks while a fourth follows the feed from the start, then drains it.

    Each publication pauses for a moment after taking its numbers, before it commits, so that
    publications overlap: a feed ordered by anything but commit order (ids, publication times,
    numbers taken without a lock held to the commit) is caught skipping a result that commits late.
    """
    # Tasks of two departments' plans. Approvals of one lead department wait for each other from their start
    # (the task's lock takes its plan's and its department's rows too); those of two departments overlap, up
    # to the audit log's lock, which they take after their feed numbers.
    tenth = {stratum: {"ratio": "0.1"} for stratum in EVERYONE}
    plans = [drawn(year=THIS_YEAR, starts_on=f"{THIS_YEAR}-01-01", strata=tenth, capacity=100,
                   honour_exemptions=False, departments=(code,), items=(f"{code}-001",)) for code in ("SCJGJ", "WJW")]
    tasks = [task for rank in range(20) for p in plans for task in p.tasks.order_by("order")[rank:rank + 1]]
    assert len(tasks) == 40
    for task in tasks:
        enter_all(task, member(task, 0))
        service.submit(task, member(task, 0))
    heads = {p.pk: head(p.lead_department) for p in plans}
    token = token_for(personas["ian"])
    stamp = feed.stamp
    chance = random.Random(10)

    def slow_stamp(ids):  # more work after taking the numbers, before the commit: 0 to 50 ms
        last = stamp(ids)
        time.sleep(chance.random() * 0.05)
        return last

    monkeypatch.setattr(feed, "stamp", slow_stamp)
    chance.shuffle(tasks)  # approved in another order than their results were entered, as in life
    done = threading.Event()
    seen: list[int] = []
    failures: list[str] = []

    def publisher(share):
        try:
            for task in share:
                service.approve(task, heads[task.plan_id])
        except Exception as exc:  # a failure of the test, reported below
            failures.append(f"publisher: {exc!r}")
        finally:
            connection.close()

    def reader():
        api, cursor = Api(token), ""  # a token: the follower's many calls are not rate-limited by address
        try:
            while True:
                finished = done.is_set()  # read before the page: a page read after it sees everything
                body = api.get("/feed/results", cursor=cursor, limit=7).json()
                seen.extend(i["id"] for i in body["items"])
                cursor = body["next"]
                if finished and not body["items"]:
                    return
        except Exception as exc:
            failures.append(f"reader: {exc!r}")
        finally:
            connection.close()

    with file_database(tmp_path):
        publishers = [threading.Thread(target=publisher, args=(tasks[n::3],)) for n in range(3)]
        follower = threading.Thread(target=reader)
        follower.start()
        for t in publishers:
            t.start()
        for t in publishers:
            t.join()
        done.set()
        follower.join()
    assert not failures, failures
    published = set(Result.objects.filter(task__in=tasks, published_at__isnull=False).values_list("pk", flat=True))
    assert all(t.status == TaskStatus.PUBLISHED for t in type(tasks[0]).objects.filter(pk__in=[t.pk for t in tasks]))
    assert len(published) == sum(len(t.items) for t in tasks)
    assert len(seen) == len(set(seen)), "an id was seen twice"
    assert set(seen) == published, f"missed {sorted(published - set(seen))}"
