import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticDevice

from moderation.demo import DEMO_BACKUP_CODES, DEMO_STAFF
from objects.models import Case, ObjectState, TracedObject

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_nothing_twice(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (get_user_model().objects.count(), TracedObject.objects.count(), Case.objects.count())
    call_command("seed_demo")
    assert (
        get_user_model().objects.count(),
        TracedObject.objects.count(),
        Case.objects.count(),
    ) == counts
    out = capsys.readouterr().out
    assert "0 staff, 0 objects and 0 tips created" in out
    for username in ("demo-admin", "demo-analyst", "demo-investigator-1", "demo-investigator-2"):
        assert f"{username}" in out
    assert out.count("password: ") == 8
    assert out.count("code: demo0001") == 8


def test_seed_demo_publishes_at_least_12_objects_in_several_categories(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    public = TracedObject.objects.public()
    assert public.count() >= 12
    assert public.values("category").distinct().count() >= 5
    assert public.filter(state=ObjectState.IDENTIFIED).count() == 1
    for obj in public:
        # Four eyes even for the demo: uploaded by one investigator, approved by the other.
        assert obj.uploaded_by.username == "demo-investigator-1"
        assert obj.approved_by.username == "demo-investigator-2"
        assert obj.display and obj.thumbnail and obj.alt_text


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG=true"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_seed_demo_gives_each_demo_person_backup_codes_once_and_restores_used_ones(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    for person in DEMO_STAFF:
        device = StaticDevice.objects.get(user__username=person.username)
        assert sorted(device.token_set.values_list("token", flat=True)) == DEMO_BACKUP_CODES
    device = StaticDevice.objects.get(user__username="demo-analyst")
    assert device.verify_token("demo0001")
    call_command("seed_demo")
    assert device.token_set.filter(token="demo0001").count() == 1


def test_the_demo_staff_have_their_roles_and_only_demo_admin_is_a_superuser(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    users = get_user_model().objects.filter(username__startswith="demo-")
    assert {user.username for user in users if user.is_superuser} == {"demo-admin"}
    analyst = users.get(username="demo-analyst")
    assert list(analyst.groups.values_list("name", flat=True)) == ["Analyst"]
    assert analyst.has_perm("tips.change_tip") and not analyst.has_perm("objects.add_tracedobject")


def test_seed_demo_gives_the_analysts_queue_some_tips(settings):
    from tips.demo import DEMO_TIPS
    from tips.models import Tip, TipStatus

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert Tip.objects.filter(status=TipStatus.NEW).count() == len(DEMO_TIPS)
