"""manage.py rotate_contact_keys: after it runs, the old contact key can be removed."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command, get_commands, load_command_class

from tests.factories import received
from tips.crypto import contact_decrypt, contact_encrypt
from tips.models import Tip

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_LOST = Fernet.generate_key().decode()
CONTACT = "tipster@example.org"


def rotate(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_contact_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def encrypted_with(key: str, contact: str) -> str:
    return Fernet(key.encode()).encrypt(contact.encode()).decode()


def stored_contact(tip: Tip) -> str:
    return contact_decrypt(Tip.objects.get(pk=tip.pk).contact_encrypted)


def test_a_contact_under_an_old_key_cannot_be_read_once_that_key_is_removed(settings):
    settings.TIP_CONTACT_KEYS = [KEY_A]
    tip = received(contact=CONTACT)

    settings.TIP_CONTACT_KEYS = [KEY_B]

    with pytest.raises(InvalidToken):
        stored_contact(tip)


def test_after_rotating_the_old_key_can_be_removed(settings):
    settings.TIP_CONTACT_KEYS = [KEY_A]
    tips = [received(contact=f"tipster-{n}@example.org") for n in range(3)]
    without_contact = received(contact="")

    settings.TIP_CONTACT_KEYS = [KEY_B, KEY_A]
    out, err = rotate()
    settings.TIP_CONTACT_KEYS = [KEY_B]

    assert [stored_contact(tip) for tip in tips] == [f"tipster-{n}@example.org" for n in range(3)]
    assert Tip.objects.get(pk=without_contact.pk).contact_encrypted == ""
    assert "Re-encrypted 3 contact(s)" in out and err == ""


def test_it_works_through_the_contacts_in_batches(settings):
    settings.TIP_CONTACT_KEYS = [KEY_A]
    tips = [received(contact=f"tipster-{n}@example.org") for n in range(5)]

    settings.TIP_CONTACT_KEYS = [KEY_B, KEY_A]
    out, _err = rotate("--batch-size", "2")
    settings.TIP_CONTACT_KEYS = [KEY_B]

    assert "Re-encrypted 5 contact(s)" in out
    assert [stored_contact(tip) for tip in tips] == [f"tipster-{n}@example.org" for n in range(5)]


def test_a_contact_no_key_opens_is_reported_and_the_rest_is_still_rotated(settings):
    settings.TIP_CONTACT_KEYS = [KEY_A]
    before = received(contact="before@example.org")
    lost = received(contact=CONTACT)
    Tip.objects.filter(pk=lost.pk).update(contact_encrypted=encrypted_with(KEY_LOST, "lost"))
    after = received(contact="after@example.org")

    settings.TIP_CONTACT_KEYS = [KEY_B, KEY_A]
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("rotate_contact_keys", stdout=out, stderr=err)

    assert exited.value.code == 1
    assert f"FAILED tip #{lost.pk}" in err.getvalue()
    assert (
        "Re-encrypted 2 contact(s)" in out.getvalue() and "1 could not be opened" in out.getvalue()
    )
    settings.TIP_CONTACT_KEYS = [KEY_B]
    assert stored_contact(before) == "before@example.org"
    assert stored_contact(after) == "after@example.org"


def test_running_it_again_is_harmless(settings):
    settings.TIP_CONTACT_KEYS = [KEY_A]
    tip = received(contact=CONTACT)
    settings.TIP_CONTACT_KEYS = [KEY_B, KEY_A]

    rotate()
    rotate()

    settings.TIP_CONTACT_KEYS = [KEY_B]
    assert stored_contact(tip) == "tipster@example.org"


def test_a_contact_deleted_meanwhile_is_not_written_back(settings, monkeypatch):
    """The retention job may delete a contact while the command runs."""
    from tips.management.commands import rotate_contact_keys

    settings.TIP_CONTACT_KEYS = [KEY_A]
    tip = received(contact=CONTACT)
    reencrypt = rotate_contact_keys.contact_reencrypt

    def retention_runs_first(token: str) -> str:
        Tip.objects.filter(pk=tip.pk).update(contact_encrypted="")
        return reencrypt(token)

    monkeypatch.setattr(rotate_contact_keys, "contact_reencrypt", retention_runs_first)
    settings.TIP_CONTACT_KEYS = [KEY_B, KEY_A]
    out, _err = rotate()

    assert Tip.objects.get(pk=tip.pk).contact_encrypted == ""
    assert "Re-encrypted 0 contact(s)" in out


def test_the_help_explains_how_to_rotate():
    command = load_command_class(get_commands()["rotate_contact_keys"], "rotate_contact_keys")

    assert (
        "put the new key first in TIP_CONTACT_KEYS, keep the old one after it, run this "
        "command, then remove the old key" in command.help
    )


def test_new_contacts_are_encrypted_with_the_first_key(settings):
    settings.TIP_CONTACT_KEYS = [KEY_B, KEY_A]

    token = contact_encrypt("someone@example.org")

    assert Fernet(KEY_B.encode()).decrypt(token.encode()) == b"someone@example.org"
