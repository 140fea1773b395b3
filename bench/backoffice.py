"""The back office at volume: every queue view, take-next, the tip page, the dashboard and the
audit log, timed in-process (the full middleware stack, Django's test client) with their
query counts, at each number of tips and audit entries given.

    python bench/backoffice.py 1000 100000     (make bench: database `perf_bo`, made afresh)
    python bench/backoffice.py 1000000         (make bench-1m: database `perf_1m`, loaded
                                                once and kept, as loading takes minutes)

Each page is opened once cold, then three times (the evidence boards, whose target is
tighter, fifteen times: a median of three moves by 20 ms on a shared machine); the table
shows the cold time, the median of the warm runs and the queries of one view. The target:
≤ 250 ms and ≤ 15 queries at 1 M (the evidence board of the object with the most tips:
≤ 100 ms), beside a hello-world view behind the same middleware, flat from 1 k to 1 M: each
tier's figures are kept in var/bench-backoffice.json, and every run ends by comparing the
smallest tier measured with the largest, view by view.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.web import ENV, PY, run  # noqa: E402

LIMIT_MS, LIMIT_QUERIES = 250, 15
BOARD_LIMIT_MS = 100  # issue #19: the board of the largest object at 1 M
BOARD_RUNS = 15
HELLO = "hello world (same stack)"  # a plain view behind the same middleware: the floor
DASHBOARD_COMPUTED = "dashboard (figures computed)"  # every time, not cached for the minute
# {tier: {"measured": when, "views": {view: [cold ms, median ms, queries]}}}
RESULTS = ROOT / "var" / "bench-backoffice.json"


def database_for(tiers: list[int]) -> str:
    """perf_1m or perf_bo, or BENCH_BACKOFFICE_DB (two runs at once need two databases)."""
    default = "perf_1m" if max(tiers) >= 1_000_000 else "perf_bo"
    return os.environ.get("BENCH_BACKOFFICE_DB", default)


def tips_in(db: str) -> int:
    out = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-qtA",
            db,
            "-c",
            "SELECT count(*) FROM tips_tip",
        ],
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else -1


def main(tiers: list[int]) -> None:
    db = database_for(tiers)
    env = {
        **ENV,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "CACHE_KEY_PREFIX": f"bench-{db}",
    }
    if max(tiers) < 1_000_000 or tips_in(db) < 0:
        run("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db)
        run("createdb", "-h", "127.0.0.1", "-U", "postgres", db)
    run(PY, "manage.py", "migrate", "--noinput", "-v0", env=env)
    # The pages need the static files' manifest (bench/web.py builds it too, but
    # `make bench-1m` runs this alone).
    run(PY, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    for tier in tiers:
        have = tips_in(db)
        if have < tier:
            started = time.monotonic()
            run(
                PY,
                "manage.py",
                "seed_load",
                "--tips",
                str(tier - have),
                "--audit",
                str(tier - have),
                env={**env, "DEBUG": "true"},
            )
            print(
                f"\nloaded {tier - have} tips and audit entries in {time.monotonic() - started:.0f} s"
            )
        out = subprocess.run(
            [PY, __file__, "--measure", str(tier)],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
        )
        print(out.stdout, end="")
        if out.returncode:
            print(out.stderr[-3000:])


def measure(tier: int) -> None:
    import django

    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    django.setup()
    from traceobject.gunicorn_conf import warm_up

    warm_up()  # as each gunicorn worker does before its first request
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    from moderation.dashboard import FIGURES_KEY
    from tips.models import Tip

    def login(username: str) -> Client:
        user = User.objects.get(username=username)
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    analyst, admin = login("bench-analyst-1"), login("bench-administrator")
    from audit.models import AuditEntry

    tip = Tip.objects.order_by("-id").values_list("id", "traced_object_id")[1]
    # Issue #19's board: the object with the most tips (16,670 at 1 M, 11,685 groups).
    largest = (
        Tip.objects.exclude(traced_object=None)
        .values("traced_object_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("traced_object_id", "n")
        .first()
    )
    assert largest is not None, "no tip on any object: load the tier first"
    # The last page the capped paginators offer (10,001 rows counted at most): the real end
    # of the list (traceobject/pagination.py).
    last_tips = -(-min(Tip.objects.count(), 10_001) // 50)
    last_audit = -(-min(AuditEntry.objects.count(), 10_001) // 100)
    queue = "/backoffice/tips/tip/"
    audit = "/backoffice/audit/auditentry/"
    views: list[tuple[str, Client, str, str]] = [
        ("queue", analyst, "GET", queue),
        ("queue object", analyst, "GET", f"{queue}?object={tip[1]}"),
        *[
            (f"queue {q}", analyst, "GET", f"{queue}?{q}")
            for q in (
                "status__exact=new",
                "urgent__exact=1",
                "held_by_breaker__exact=1",
                "assigned=me",
                "assigned=none",
                "language=fr",
                "age=day",
                "age=week",
                "age=older",
                "kind__exact=report",
            )
        ],
        # The sortable columns (id, group strength, age), each way.
        *[
            (f"queue sorted o={o}", analyst, "GET", f"{queue}?o={o}")
            for o in ("1", "-1", "4", "-4", "6", "-6")
        ],
        ("queue search common word", analyst, "GET", f"{queue}?q=shampoo"),
        ("queue search no match", analyst, "GET", f"{queue}?q=zzyzxnomatch"),
        ("queue page 2", analyst, "GET", f"{queue}?p=2"),
        ("queue new page 2", analyst, "GET", f"{queue}?status__exact=new&p=2"),
        ("queue last page", analyst, "GET", f"{queue}?p={last_tips}"),
        ("tip page", analyst, "GET", f"{queue}{tip[0]}/change/"),
        ("take next (POST)", analyst, "POST", f"{queue}take-next/"),
        ("evidence board", analyst, "GET", f"{queue}board/{tip[1]}/"),
        (f"evidence board, {largest[1]:,} tips", analyst, "GET", f"{queue}board/{largest[0]}/"),
        (HELLO, analyst, "GET", "/"),
        ("home (analyst)", analyst, "GET", "/backoffice/"),
        ("home (administrator)", admin, "GET", "/backoffice/"),
        (DASHBOARD_COMPUTED, analyst, "GET", "/backoffice/dashboard/"),
        ("dashboard (figures cached)", analyst, "GET", "/backoffice/dashboard/"),
        ("audit log", admin, "GET", audit),
        ("audit log tip.*", admin, "GET", f"{audit}?namespace=tip"),
        ("audit log search target id", admin, "GET", f"{audit}?q={tip[0]}"),
        ("audit log by username", admin, "GET", f"{audit}?username=bench-analyst-2"),
        ("audit log last page", admin, "GET", f"{audit}?p={last_audit}"),
    ]
    results: dict[str, list[float]] = {}
    print(f"\nBack office at {tier:,} tips and audit entries (in-process, ms)")
    print(f"{'view':<32} {'cold':>7} {'median':>7} {'queries':>7} {'status':>6}")
    worst = ("", 0.0)
    for name, client, method, url in views:
        cache.delete(FIGURES_KEY)
        timings, queries, status = [], 0, 0
        for attempt in range(1 + (BOARD_RUNS if name.startswith("evidence board") else 3)):
            if attempt and name == DASHBOARD_COMPUTED:
                cache.delete(FIGURES_KEY)  # what the first analyst of each minute waits for
            urls = (
                override_settings(ROOT_URLCONF="bench.hello_urls")
                if name == HELLO
                else nullcontext()
            )
            with urls, CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.post(url) if method == "POST" else client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            queries, status = len(captured), response.status_code
        median = statistics.median(timings[1:])
        results[name] = [round(timings[0]), round(median), queries]
        limit = BOARD_LIMIT_MS if name.startswith("evidence board,") else LIMIT_MS
        flag = " over" if median > limit or queries > LIMIT_QUERIES else ""
        worst = max(worst, (name, median), key=lambda w: w[1])
        print(f"{name:<32} {timings[0]:>7.0f} {median:>7.0f} {queries:>7} {status:>6}{flag}")
    print(f"slowest: {worst[0]} ({worst[1]:.0f} ms)")
    tiers = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    tiers[str(tier)] = {"measured": time.strftime("%Y-%m-%d %H:%M"), "views": results}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(tiers, indent=1))
    print_flatness({int(size): run for size, run in tiers.items()})


def size_label(tier: int) -> str:
    return f"{tier // 1_000_000} M" if tier >= 1_000_000 else f"{tier // 1000} k"


def print_flatness(tiers: dict[int, dict]) -> None:
    """Flat: at the largest tier every view is within the limits and runs no more queries
    than at the smallest (a query more per thousand rows would show here first; one fewer
    is the data, e.g. take-next marking a group of similar tips at 1 k and not at 1 M)."""
    small, large = min(tiers), max(tiers)
    span = f"from {size_label(small)} to {size_label(large)}"
    if small == large:
        print(f"flat? only {size_label(large)} measured so far (make bench measures 1 k)")
        return
    print(
        f"\nFrom {size_label(small)} (measured {tiers[small]['measured']}) to {size_label(large)}"
        f" (measured {tiers[large]['measured']}): median ms, queries"
    )
    steep = []
    for name, (_cold, median, queries) in tiers[large]["views"].items():
        before = tiers[small]["views"].get(name)
        if before is None:  # a view added since: within the limits, or not flat
            within = median <= LIMIT_MS and queries <= LIMIT_QUERIES
            steep += [] if within else [name]
            print(
                f"{name:<32} not measured at {size_label(small)}; {median:>5.0f} ms"
                f" {queries:>3} queries{'' if within else '  over'}"
            )
            continue
        ok = queries <= before[2] and median <= LIMIT_MS and queries <= LIMIT_QUERIES
        steep += [] if ok else [name]
        print(
            f"{name:<32} {before[1]:>5.0f} → {median:>5.0f} ms"
            f" {before[2]:>3} → {queries:>3} queries{'' if ok else '  not flat'}"
        )
    if steep:
        print(f"NOT flat {span}: {', '.join(steep)}")
    else:
        print(
            f"flat {span}: every view ≤ {LIMIT_MS} ms and ≤ {LIMIT_QUERIES} queries, no more queries than at {size_label(small)}"
        )


if __name__ == "__main__":
    if sys.argv[1] == "--measure":
        measure(int(sys.argv[2]))
    else:
        main([int(arg) for arg in sys.argv[1:]])
