"""docker-compose.yml cannot run here (no Docker engine), so it is checked against the code:
every command, module, file and variable it names must exist."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "beat"}
GUNICORN_CONF = ROOT / "traceobject" / "gunicorn_conf.py"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def settings_names() -> set[str]:
    source = (ROOT / "traceobject" / "settings.py").read_text()
    return set(re.findall(r"""\benv[a-z]*\(\s*["']([A-Z0-9_]+)["']""", source))


def command_words(service: dict) -> list[str]:
    command = service["command"]
    words = command if isinstance(command, list) else shlex.split(command)
    return [re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", word) for word in words]


def test_it_has_the_services_a_deployment_needs(compose):
    assert set(compose["services"]) == APP_SERVICES | {"postgres", "redis", "nginx"}
    for name in APP_SERVICES:
        assert compose["services"][name]["build"] == "."
    assert (ROOT / "Dockerfile").exists()


def test_exactly_one_beat_runs(compose):
    beats = [
        name
        for name, service in compose["services"].items()
        if "command" in service and "beat" in command_words(service)
    ]
    assert beats == ["beat"]
    assert compose["services"]["beat"]["deploy"]["replicas"] == 1


def test_gunicorn_serves_our_wsgi_application(compose):
    words = command_words(compose["services"]["web"])
    assert words[0] == "gunicorn"
    module, attribute = words[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_every_gunicorn_runs_with_our_settings(compose):
    """compose, the image's default command and `make serve` start the same worker shape:
    threads, so that a burst of tip POSTs leaves threads for page views."""
    config = "python:traceobject.gunicorn_conf"
    assert command_words(compose["services"]["web"])[2:4] == ["-c", config]
    assert f'"-c", "{config}"' in (ROOT / "Dockerfile").read_text()
    serve = (ROOT / "bin" / "serve").read_text()
    assert f"gunicorn traceobject.wsgi:application -c {config}" in serve
    gunicorn_conf = importlib.import_module(config.removeprefix("python:"))
    assert gunicorn_conf.worker_class == "gthread"
    assert gunicorn_conf.threads > 1


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_services_name_our_celery_app(compose, service):
    words = command_words(compose["services"][service])
    assert words[:3] == ["celery", "-A", "traceobject"]
    assert importlib.import_module("traceobject").celery_app.main == "traceobject"


def commands_of(service: dict) -> list[list[str]]:
    """A service's command, or each command of an `sh -c "a && b"`, as words."""
    words = command_words(service)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def test_manage_py_commands_exist(compose):
    for service in compose["services"].values():
        if "command" not in service:
            continue
        for words in commands_of(service):
            if words[:2] == ["python", "manage.py"]:
                assert words[2] in get_commands(), words


def test_health_checks_run_modules_that_exist(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[1:4] == ["python", "-m", "traceobject.healthcheck"]
    importlib.import_module("traceobject.healthcheck")
    for name in ("postgres", "redis", "worker"):
        assert "healthcheck" in compose["services"][name]


def test_files_it_mounts_exist(compose):
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source


def test_every_variable_it_uses_is_documented_and_read_by_the_code(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{(\w+)", text))
    documented = env_example_names()
    assert interpolated <= documented, interpolated - documented
    app_environment = compose["services"]["web"]["environment"]
    assert set(app_environment) <= settings_names(), set(app_environment) - settings_names()


def test_every_setting_read_from_the_environment_is_in_env_example_and_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing_example = settings_names() - env_example_names()
    missing_readme = {name for name in settings_names() if f"`{name}`" not in readme}
    assert not missing_example, missing_example
    assert not missing_readme, missing_readme


def test_every_variable_in_env_example_is_used_somewhere():
    used = (
        settings_names()
        | set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", (ROOT / "docker-compose.yml").read_text()))
        | set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", (ROOT / "bin" / "serve").read_text()))
        | set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", GUNICORN_CONF.read_text()))
    )
    assert env_example_names() <= used, env_example_names() - used


def test_the_compose_environment_points_at_its_own_services(compose):
    environment = compose["services"]["web"]["environment"]
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["TLS_TERMINATED_AT_PROXY"] == "true"


def test_nginx_logs_no_client_address():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    log_format = re.search(r"log_format[^;]+;", conf).group(0)
    assert "$remote_addr" not in log_format and "$http_user_agent" not in log_format
    # Time to the minute only (tests/tips/test_no_exact_time.py for the application's side).
    assert "$time_to_the_minute" in log_format
    assert not {"$time_local", "$time_iso8601", "$msec"} & set(re.findall(r"\$\w+", log_format))
    assert "X-Forwarded-Proto https" in conf


def test_web_and_worker_share_the_media_and_intake_folders(compose):
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    for name in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "INTAKE_ROOT"):
        folder = web["environment"][name]
        assert worker["environment"][name] == folder
        assert any(volume.endswith(f":{folder}") for volume in web["volumes"])
        assert any(volume.endswith(f":{folder}") for volume in worker["volumes"])


def test_the_only_trusted_proxy_is_nginx(compose):
    nginx_address = compose["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    assert compose["services"]["web"]["environment"]["TRUSTED_PROXIES"] == nginx_address
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    # nginx replaces any X-Forwarded-For a client sent with the address it saw.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf


def nginx_location(conf: str, prefix: str) -> str:
    start = conf.index(f"location {prefix} {{")
    return conf[start : conf.index("\n    }", start)]


def test_nginx_serves_the_public_folder_only_and_the_private_one_to_the_back_office(compose):
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    environment = compose["services"]["web"]["environment"]
    public = nginx_location(conf, "/media/")
    private = nginx_location(conf, "/private-media/")
    assert f"alias {environment['MEDIA_ROOT']}/;" in public
    assert "internal;" in private  # only X-Accel-Redirect from the web app reaches it
    assert f"alias {environment['PRIVATE_MEDIA_ROOT']}/;" in private
    assert environment["PRIVATE_MEDIA_ACCEL_REDIRECT"] == "true"
    assert conf.count(f"alias {environment['PRIVATE_MEDIA_ROOT']}") == 1
    # A retired object's images are deleted from the public folder: not cached for days.
    assert "expires 7d" not in public


def test_the_migrate_service_puts_every_image_where_its_state_says(compose):
    commands = commands_of(compose["services"]["migrate"])
    assert ["python", "manage.py", "sync_object_media"] in commands
    assert "python manage.py sync_object_media" in (ROOT / "bin" / "serve").read_text()
