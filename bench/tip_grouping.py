"""Tip intelligence benchmark: import plus grouping of 10,000 tips on one object, the time
of `analyse_tips`, peak memory, and the B-cubed precision and recall of the grouping on the
synthetic corpus (tests/tips/corpus.py, fixed seed).

    make bench            (the embedded default: a fresh SQLite database in a temporary folder)
    DATABASE_URL=postgres://… python bench/tip_grouping.py    (an empty database you can spare)

Targets (README, "Tip intelligence"): at most 20 ms a tip, analyse_tips within 5 s.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIPS = int(os.environ.get("BENCH_TIPS", "10000"))


def peak_mib() -> float:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) / 1024


def main() -> None:
    sys.path.insert(0, str(ROOT))
    folder = tempfile.mkdtemp(prefix="bench-tips-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "traceobject.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from tests.tips.corpus import bcubed, corpus_jsonl, corpus_object, make_corpus
    from tips.models import Tip

    settings.DEBUG = False  # as in production: no query log growing with every tip

    call_command("migrate", verbosity=0, interactive=False)
    corpus = make_corpus(seed=9, tips=TIPS)
    traced_object = corpus_object(code="TAO-2026-9999")
    path = Path(folder) / "tips.jsonl"
    path.write_text(corpus_jsonl(corpus, traced_object.code), encoding="utf-8")
    before = peak_mib()
    started, cpu_started = time.perf_counter(), time.process_time()
    call_command("import_tips", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    count = len(corpus.tips)
    # CPU time too: on a shared machine the wall clock also counts other processes' turns.
    print(
        f"import_tips + grouping: {count} tips on one object in {elapsed:.1f} s, "
        f"{elapsed / count * 1000:.2f} ms a tip (target 20 ms); "
        f"CPU {cpu / count * 1000:.2f} ms a tip; load average {os.getloadavg()[0]:.1f}"
    )

    started = time.perf_counter()
    out = io.StringIO()
    call_command("analyse_tips", traced_object.code, format="json", stdout=out)
    print(f"analyse_tips --format json: {time.perf_counter() - started:.2f} s (target 5 s)")
    board = json.loads(out.getvalue())
    by_score = [(c["country"], c["score"]) for c in board["countries"][:3]]
    by_tips = sorted(board["countries"], key=lambda c: -c["tips"])[:3]
    print(
        f"countries by score: {by_score}; by raw tips: {[(c['country'], c['tips']) for c in by_tips]}"
    )
    print(f"peak memory: {peak_mib():.0f} MiB (before the import: {before:.0f} MiB)")

    groups = dict(Tip.objects.filter(traced_object=traced_object).values_list("ref", "group_id"))
    precision, recall = bcubed(
        [tip.group for tip in corpus.tips], [groups[tip.ref] for tip in corpus.tips]
    )
    print(
        f"grouping: B-cubed precision {precision:.3f}, recall {recall:.3f} "
        f"({len(corpus.groups())} true groups, {len(set(groups.values()))} found)"
    )


if __name__ == "__main__":
    main()
