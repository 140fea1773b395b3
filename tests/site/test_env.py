"""The settings helpers fail loudly, and the site refuses to start without a secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from traceobject.env import (
    ConfigError,
    database_from_url,
    envbool,
    envfernetkeys,
    envint,
    envlangmap,
    envlist,
    envloglevel,
    envnetworks,
    envphonebook,
    envrate,
    envstr,
    envurl,
)

ROOT = Path(__file__).resolve().parents[2]


def test_envbool_reads_the_usual_spellings():
    assert envbool("X", False, environ={"X": "true"}) is True
    assert envbool("X", False, environ={"X": "ON"}) is True
    assert envbool("X", True, environ={"X": "0"}) is False
    assert envbool("X", True, environ={}) is True
    assert envbool("X", False, environ={"X": "  "}) is False


def test_envbool_rejects_a_value_that_is_not_a_boolean():
    with pytest.raises(ConfigError, match=r"DEBUG='maybe' is not a boolean"):
        envbool("DEBUG", False, environ={"DEBUG": "maybe"})


def test_envint_rejects_words_and_values_under_the_minimum():
    assert envint("N", 3, environ={"N": "1_000"}) == 1000
    with pytest.raises(ConfigError, match="not a whole number"):
        envint("N", 3, environ={"N": "ten"})
    with pytest.raises(ConfigError, match="the minimum is 1"):
        envint("N", 3, minimum=1, environ={"N": "0"})


def test_envlist_and_envstr_strip_blanks():
    assert envlist("H", ["a"], environ={"H": " x.org, ,y.org "}) == ["x.org", "y.org"]
    assert envlist("H", ["a"], environ={}) == ["a"]
    assert envstr("S", "d", environ={"S": ""}) == "d"


def test_database_url_reads_postgres_with_options():
    db = database_from_url("postgres://u%40x:p%2Fw@db.example:6543/trace?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "u@x",
        "p/w",
        "db.example",
        "6543",
    )
    assert db["NAME"] == "trace"
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_database_url_reads_relative_and_absolute_sqlite_paths():
    assert database_from_url("sqlite:///var/x.sqlite3")["NAME"] == "var/x.sqlite3"
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://root@localhost/x", "is not supported"),
        ("postgres://localhost", "names no database"),
        ("postgres://u@localhost:port/x", "malformed port"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_database_url_rejects_what_it_cannot_use(url, message):
    with pytest.raises(ConfigError, match=message):
        database_from_url(url)


def test_database_url_errors_never_show_the_password():
    with pytest.raises(ConfigError) as excinfo:
        database_from_url("mysql://admin:hunter2@localhost/x")
    assert "hunter2" not in str(excinfo.value)


# The conftest files set these for the test process; a subprocess must start from production defaults.
CONFTEST_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # tests/browser/conftest.py
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFTEST_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_site_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "traceobject: SECRET_KEY is not set: export a long random SECRET_KEY, or DEBUG=true "
        "on a development machine"
    ]


def test_a_malformed_variable_stops_the_site_with_one_line_naming_it():
    result = run_manage("check", DEBUG="yes please")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "traceobject: DEBUG='yes please' is not a boolean: use true or false"
    )


def test_debug_is_off_unless_asked_for(settings):
    assert settings.DEBUG is False


def test_check_deploy_passes_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-production-like-secret-" + "x7Qp2" * 10,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("TIP_GLOBAL_RATE", "lots", "TIP_GLOBAL_RATE='lots' is not a rate: use count/period"),
        ("TIP_GLOBAL_RATE", "1000/hour", "TIP_GLOBAL_RATE='1000/hour' is not a rate"),
        ("TRUSTED_PROXIES", "nginx", "TRUSTED_PROXIES: 'nginx' is not an IP address or network"),
        ("EMERGENCY_CONTACTS", "112", "EMERGENCY_CONTACTS: '112' is not a label=number pair"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='VERBOSE' is not a log level"),
        ("SITE_URL", "tips.example.org", "SITE_URL='tips.example.org' is not a URL"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL='localhost:6379' is not a URL"),
        ("TIP_CONTACT_KEYS", "not-a-key", "TIP_CONTACT_KEYS: key 1 is not a Fernet key"),
        ("URGENT_ALERT_EMAILS", "duty at police", "URGENT_ALERT_EMAILS: 'duty at police' is not"),
        ("CSRF_TRUSTED_ORIGINS", "tips.example.org", "CSRF_TRUSTED_ORIGINS: 'tips.example.org'"),
    ],
)
def test_a_setting_parsed_later_is_checked_at_start_up_with_one_line(name, value, message):
    result = run_manage(
        "check", SECRET_KEY="a-production-like-secret-" + "x7Qp2" * 10, **{name: value}
    )
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"traceobject: {message}")


def test_the_site_refuses_to_start_without_site_url_when_debug_is_off():
    clean = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DEBUG": "false", "SECRET_KEY": "a-production-like-secret-" + "x7Qp2" * 10},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("traceobject: SITE_URL is not set:")


def test_the_typed_readers_return_what_the_code_uses():
    assert envrate("R", "1000/h", environ={"R": "5/10m"}) == "5/10m"
    assert envnetworks("P", [], environ={"P": "172.28.0.10, 10.1.2.3/8"}) == [
        "172.28.0.10/32",
        "10.0.0.0/8",
    ]
    assert envphonebook("E", [], environ={"E": "Politie=112,Kindertelefoon=0800-0432"}) == [
        ("Politie", "112"),
        ("Kindertelefoon", "0800-0432"),
    ]
    assert envloglevel("L", "INFO", environ={"L": "warning"}) == "WARNING"
    assert envurl("U", None, environ={}) is None
    assert (
        envurl("U", None, environ={"U": "https://tips.example.org"}) == "https://tips.example.org"
    )


def test_a_rate_of_zero_is_refused():
    with pytest.raises(ConfigError, match="is not a rate"):
        envrate("R", "1000/h", environ={"R": "0/h"})
    with pytest.raises(ConfigError, match="is not a rate"):
        envrate("R", "1000/h", environ={"R": "10/0m"})


def test_a_malformed_fernet_key_is_refused_without_showing_it():
    with pytest.raises(ConfigError) as excinfo:
        envfernetkeys("K", [], environ={"K": "c2VjcmV0LWJ1dC1zaG9ydA=="})
    assert "c2VjcmV0" not in str(excinfo.value)


def test_envlangmap_reads_one_text_per_language_with_the_english_one_for_the_rest():
    texts = envlangmap(
        "OPERATOR", "Trace", environ={"OPERATOR": "en=City Police; fr=Police municipale"}
    )
    assert texts == {"en": "City Police", "fr": "Police municipale", "": "City Police"}
    assert envlangmap("OPERATOR", "Trace", environ={"OPERATOR": "Policía"}) == {"": "Policía"}
    assert envlangmap("OPERATOR", "Trace", environ={}) == {"": "Trace"}
    with pytest.raises(ConfigError):
        envlangmap("OPERATOR", "Trace", environ={"OPERATOR": "en=City Police;fr"})
