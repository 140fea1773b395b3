"""deploy/prometheus/ against the real Prometheus (Debian's package): promtool accepts the
config and rules, the rules' own unit tests pass, and a Prometheus scraping a running
gunicorn sees every metric and fires "worker silent" once the worker is stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
import yaml

from tests.conftest import service_missing
from tests.faults.conftest import ROOT, Tally, Visitor, Web, free_port, wait_until

DEPLOY = ROOT / "deploy" / "prometheus"
TOKEN = "prometheus-test-token-0123456789"


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        service_missing("needs promtool (apt-get install prometheus)")
    return found


def run(*args: str, cwd: Path = DEPLOY) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def deployed_config(tmp_path: Path, **changes) -> Path:
    """deploy/prometheus/prometheus.yml, its token file and rules beside it in tmp_path."""
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    job = config["scrape_configs"][0]
    job["authorization"]["credentials_file"] = str(token_file)
    shutil.copy(DEPLOY / "alerts.yml", tmp_path / "alerts.yml")
    config["global"].update(changes.pop("global", {}))
    if "target" in changes:
        job["static_configs"] = [{"targets": [changes.pop("target")]}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_promtool_accepts_the_alert_rules_the_scrape_config_and_the_rules_unit_tests(
    promtool, tmp_path
):
    assert "SUCCESS: 7 rules found" in run(promtool, "check", "rules", "alerts.yml")
    run(promtool, "check", "config", str(deployed_config(tmp_path)))
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts_test.yml")


class Prometheus:
    def __init__(self, port: int):
        self.port = port

    def get(self, path: str, **query: str) -> dict:
        url = f"http://127.0.0.1:{self.port}{path}?{urlencode(query)}"
        with urlopen(url, timeout=5) as answer:  # noqa: S310 (our own loopback server)
            return json.loads(answer.read())["data"]

    def query(self, expression: str) -> dict[str, float]:
        """One value per series, keyed by its labels other than job and instance."""
        result = self.get("/api/v1/query", query=expression)["result"]
        return {
            ",".join(
                f"{k}={v}"
                for k, v in sorted(r["metric"].items())
                if k not in {"job", "instance", "__name__"}
            ): float(r["value"][1])
            for r in result
        }

    def firing(self) -> set[str]:
        alerts = self.get("/api/v1/alerts")["alerts"]
        return {alert["labels"]["alertname"] for alert in alerts if alert["state"] == "firing"}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_a_running_site_and_fires_worker_silent_when_the_worker_stops(
    public_object, processes, site_on_test_database, start_worker, collected_static, tmp_path
):
    if not shutil.which("prometheus"):
        service_missing("needs prometheus (apt-get install prometheus)")
    started = time.monotonic()
    env = {**site_on_test_database, "METRICS_TOKEN": TOKEN, "WEB_CONCURRENCY": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn_conf makes its own
    port = free_port()
    web = Web(
        processes(
            "web",
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "traceobject.wsgi:application",
                *("-c", "python:traceobject.gunicorn_conf", "--bind", f"127.0.0.1:{port}"),
            ],
            env=env,
        ),
        port,
    )
    wait_until(lambda: web.request("GET", "/healthz/").status, seconds=30, what="gunicorn")
    print(f"gunicorn up at {time.monotonic() - started:.1f} s")
    worker = start_worker(env)
    print(f"worker up at {time.monotonic() - started:.1f} s")
    prometheus_port = free_port()
    config = deployed_config(
        tmp_path,
        target=f"127.0.0.1:{port}",
        **{"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}},
    )
    processes(
        "prometheus",
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ],
    )
    prometheus = Prometheus(prometheus_port)

    for _ in range(3):  # before the tips: the scrape that sees the tips sees these too
        web.request("GET", "/en/")
    tally = Tally()
    for i in range(1, 4):
        tally.record(
            Visitor(web, f"/objects/{public_object.code}/tip/", f"198.51.100.{i}").load().send()
        )
    tally.record(
        Visitor(web, "/report/", "203.0.113.9").load().send(danger_now="on", body="Danger now.")
    )
    assert tally.receipts == 4, tally.errors[:1]
    print(f"tips sent at {time.monotonic() - started:.1f} s")

    def scraped_after_the_tips() -> dict[str, float]:
        accepted = prometheus.query("sum by (kind) (traceobject_tips_accepted_total)")
        return accepted if accepted == {"kind=object": 3, "kind=report": 1} else {}

    wait_until(
        scraped_after_the_tips, seconds=20, what="Prometheus to scrape the tips", interval=0.5
    )
    seen = {
        name: prometheus.query(name)
        for name in [
            "up",
            "traceobject_tips_accepted_total",
            "traceobject_tips_refused_total",
            "traceobject_urgent_reports_waiting",
            "traceobject_urgent_report_oldest_waiting_seconds",
            "traceobject_tips",
            "traceobject_tip_oldest_new_seconds",
            "traceobject_outbox_waiting",
            "traceobject_outbox_oldest_seconds",
            "traceobject_worker_heartbeat_age_seconds",
            "traceobject_breaker_open",
            "traceobject_page_cache_requests_total",
            "traceobject_intake_failures_total",
            "traceobject_objects_failed",
            "sum by (view) (traceobject_request_duration_seconds_count)",
            "traceobject_responses_total",
            "traceobject_collector_up",
        ]
    }
    print(seen)
    assert seen["up"] == {"": 1}
    assert seen["traceobject_collector_up"] == {"source=cache": 1, "source=database": 1}
    assert seen["traceobject_tips_accepted_total"] == {
        "kind=object,urgent=false": 3,
        "kind=report,urgent=true": 1,
    }
    assert seen["traceobject_urgent_reports_waiting"] == {"": 1}
    assert 0 <= seen["traceobject_urgent_report_oldest_waiting_seconds"][""] < 120
    assert seen["traceobject_tips"]["status=new"] == 4
    assert seen["traceobject_worker_heartbeat_age_seconds"][""] < 3
    assert seen["traceobject_breaker_open"] == {"rule=report-global": 0, "rule=tip-global": 0}
    assert seen["traceobject_page_cache_requests_total"].get("result=hit", 0) >= 1
    assert seen["traceobject_objects_failed"] == {"": 0}
    views = seen["sum by (view) (traceobject_request_duration_seconds_count)"]
    # Both gunicorn workers' counts, summed: every request so far, by URL name.
    assert views["view=tips:tip"] == 6  # each visitor's form, then its post
    assert views["view=tips:report"] == 2
    assert views["view=tips:receipt_issued"] == 4
    # /metrics counts itself after it answered: it shows from the next scrape on, which a
    # loaded machine may not have reached yet, so it is not asserted here.
    for name in ("traceobject_tips_refused_total", "traceobject_intake_failures_total"):
        assert name in seen  # present, maybe with no sample yet (nothing refused)
    assert "WorkerSilent" not in prometheus.firing()

    worker.process.kill()  # SIGKILL: the heartbeats just stop
    stopped = time.monotonic()
    wait_until(
        lambda: "WorkerSilent" in prometheus.firing(),
        seconds=20,
        what="the WorkerSilent alert",
        interval=0.5,
    )
    fired_after = time.monotonic() - stopped
    print(f"WorkerSilent fired {fired_after:.1f} s after the worker was killed (silent after 3 s)")
    assert fired_after < 3 + 10
    # Every wait above is bounded; starting gunicorn and Celery takes most of the time.
    print(f"test ran {time.monotonic() - started:.1f} s")
