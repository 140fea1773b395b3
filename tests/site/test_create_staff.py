import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def create_staff(*args) -> str:
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def password_in(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("password: ")).split(
        " ", 1
    )[1]


def test_it_creates_an_investigator_with_a_one_time_password():
    out = create_staff("nadia", "--role", "investigator", "--email", "nadia@police.example")
    user = get_user_model().objects.get(username="nadia")
    assert user.is_staff and not user.is_superuser
    assert user.email == "nadia@police.example"
    assert list(user.groups.values_list("name", flat=True)) == ["Investigator"]
    assert user.has_perm("objects.publish_tracedobject")
    assert authenticate(username="nadia", password=password_in(out)) == user


def test_running_it_again_updates_the_account_and_replaces_the_password():
    first = password_in(create_staff("nadia", "--role", "investigator"))
    second = password_in(create_staff("nadia", "--role", "investigator"))
    assert first != second
    assert get_user_model().objects.filter(username="nadia").count() == 1
    assert authenticate(username="nadia", password=first) is None


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
