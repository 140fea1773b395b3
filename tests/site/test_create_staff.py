import base64
import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def create_staff(*args) -> str:
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def line_value(output: str, label: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(f"{label}: "))
    return line.removeprefix(f"{label}: ")


def password_in(output: str) -> str:
    return line_value(output, "password")


def log_in(username: str, password: str):
    # django-axes checks every attempt against the client's network, so it needs a request.
    return authenticate(
        RequestFactory().post("/backoffice/login/"), username=username, password=password
    )


def test_it_creates_an_investigator_with_a_one_time_password():
    out = create_staff("nadia", "--role", "investigator", "--email", "nadia@police.example")
    user = get_user_model().objects.get(username="nadia")
    assert user.is_staff and not user.is_superuser
    assert user.email == "nadia@police.example"
    assert list(user.groups.values_list("name", flat=True)) == ["Investigator"]
    assert user.has_perm("objects.publish_tracedobject")
    assert log_in("nadia", password_in(out)) == user


def test_running_it_again_updates_the_account_and_replaces_the_password():
    first = password_in(create_staff("nadia", "--role", "investigator"))
    second = password_in(create_staff("nadia", "--role", "investigator"))
    assert first != second
    assert get_user_model().objects.filter(username="nadia").count() == 1
    assert log_in("nadia", first) is None


def test_it_prints_an_authenticator_link_a_qr_code_and_ten_backup_codes():
    out = create_staff("nadia", "--role", "analyst")
    user = get_user_model().objects.get(username="nadia")
    app = TOTPDevice.objects.get(user=user)
    assert app.confirmed
    uri = line_value(out, "otpauth")
    assert uri == app.config_url and uri.startswith("otpauth://totp/")
    assert "█" in out or "▀" in out or "▄" in out  # the QR code, drawn in block characters
    codes = line_value(out, "backup codes").split()
    assert len(codes) == 10 == len(set(codes))
    stored = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert sorted(stored) == sorted(codes)
    # The secret in the link is the device's: an app set up from it produces valid codes.
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    assert base64.b32decode(secret) == app.bin_key


def test_running_it_again_replaces_the_authenticator_and_the_backup_codes():
    first = create_staff("nadia", "--role", "analyst")
    second = create_staff("nadia", "--role", "analyst")
    assert line_value(first, "otpauth") != line_value(second, "otpauth")
    user = get_user_model().objects.get(username="nadia")
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert StaticDevice.objects.filter(user=user).count() == 1
    old_codes = set(line_value(first, "backup codes").split())
    assert not StaticToken.objects.filter(token__in=old_codes).exists()


def test_changing_the_role_leaves_exactly_the_new_group_and_is_audited():
    create_staff("nadia", "--role", "investigator")
    create_staff("nadia", "--role", "administrator")
    user = get_user_model().objects.get(username="nadia")
    assert list(user.groups.values_list("name", flat=True)) == ["Administrator"]
    assert not user.is_superuser
    changes = AuditEntry.objects.filter(action="staff.role_changed", target_id=str(user.pk))
    entries = [entry for entry in changes.order_by("id") if "to" in entry.data]  # groups
    assert entries[0].data["to"] == ["Investigator"]
    assert ["Investigator"] in [entry.data["removed"] for entry in entries]
    assert entries[-1].data["to"] == ["Administrator"]
    assert {entry.data["via"] for entry in entries} == {"create_staff"}
    # The same role again is no change.
    create_staff("nadia", "--role", "administrator")
    assert len([entry for entry in changes if "to" in entry.data]) == len(entries)


def test_no_secret_reaches_the_audit_log():
    out = create_staff("nadia", "--role", "analyst")
    logged = str(list(AuditEntry.objects.values_list("data", flat=True)))
    assert password_in(out) not in logged
    for code in line_value(out, "backup codes").split():
        assert code not in logged


@pytest.mark.parametrize(
    "args, message",
    [
        (["bad name!", "--role", "investigator"], "Enter a valid username"),
        (["nadia", "--role", "investigator", "--email", "not-an-email"], "valid email"),
    ],
)
def test_it_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        create_staff(*args)
    assert not get_user_model().objects.exists()


def test_it_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice"):
        create_staff("nadia", "--role", "wizard")
