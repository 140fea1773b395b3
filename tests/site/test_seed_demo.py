import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_nothing_twice(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = get_user_model().objects.count()
    call_command("seed_demo")
    assert get_user_model().objects.count() == first
    out = capsys.readouterr().out
    assert "demo-admin" in out and "password:" in out


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG=true"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()
