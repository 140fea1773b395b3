"""The investigators' back office: upload, the object list and page, cases, retiring.

Four-eyes approval has its own file, test_four_eyes.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from objects.imaging import Limits
from objects.models import Case, Category, ObjectState, Outcome, Resemblance, TracedObject
from objects.services import case_ensure
from tests.conftest import staff_login
from tests.factories import bare_object, bare_published_object, submitted_object, synthetic_png

pytestmark = pytest.mark.django_db


CHANGELIST = reverse("admin:objects_tracedobject_changelist")
ADD = reverse("admin:objects_tracedobject_add")


def change_url(obj) -> str:
    return reverse("admin:objects_tracedobject_change", args=[obj.pk])


def identify_url(obj) -> str:
    return reverse("admin:objects_tracedobject_identify", args=[obj.pk])


def logged_in(client, user):
    staff_login(client, user)
    return client


def upload_data(case, image: bytes, name: str = "crop.png", **fields) -> dict:
    return {
        "case": case.pk,
        "title": "Striped wallpaper",
        "category": Category.TEXTILE,
        "questions": "Where is this wallpaper sold?",
        "region_hint": "Europe",
        "alt_text": "Blue and white striped wallpaper with a dark oval",
        "image": SimpleUploadedFile(name, image, content_type="image/png"),
        **fields,
    }


# --- Upload -------------------------------------------------------------------------------


def test_an_upload_creates_an_object_awaiting_approval_with_its_derivatives(
    client, case, investigator, django_capture_on_commit_callbacks
):
    logged_in(client, investigator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, upload_data(case, synthetic_png(seed=1)))
    obj = TracedObject.objects.get()
    assert response.status_code == 302 and response["Location"] == change_url(obj)
    assert obj.state == ObjectState.AWAITING_APPROVAL
    assert obj.case == case and obj.uploaded_by == investigator
    assert obj.title == "Striped wallpaper" and obj.region_hint == "Europe"
    assert obj.display and obj.thumbnail and obj.phash
    # The audit log is the one trail: Django's admin log is not written (History reads ours).
    assert AuditEntry.objects.filter(action="object.uploaded", target_id=str(obj.pk)).exists()
    assert not LogEntry.objects.exists()


def test_after_an_upload_the_page_explains_the_draft_is_being_processed(
    client, case, investigator, django_capture_on_commit_callbacks
):
    logged_in(client, investigator)
    # The intake task is queued but has not run yet.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(ADD, upload_data(case, synthetic_png(seed=1)), follow=True)
    assert len(callbacks) == 1
    obj = TracedObject.objects.get()
    assert obj.state == ObjectState.DRAFT
    page = response.content.decode()
    assert f"{obj.code} was uploaded" in page
    assert "This draft is being processed" in page


def test_an_svg_named_jpg_fails_with_its_reason_on_the_change_page(
    client, case, investigator, django_capture_on_commit_callbacks
):
    logged_in(client, investigator)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ADD, upload_data(case, svg, name="holiday.jpg"))
    obj = TracedObject.objects.get()
    assert obj.state == ObjectState.FAILED and "looks like SVG" in obj.failure_reason
    page = client.get(change_url(obj)).content.decode()
    assert "looks like SVG" in page and "cannot be published" in page
    assert not obj.display and not obj.thumbnail


def test_an_empty_upload_is_a_form_error_and_creates_nothing(client, case, investigator):
    logged_in(client, investigator)
    response = client.post(ADD, upload_data(case, b""))
    assert response.status_code == 200
    assert "The file is empty" in response.content.decode()
    assert not TracedObject.objects.exists()


def test_an_upload_over_the_size_cap_is_a_form_error(client, case, investigator, settings):
    settings.OBJECT_MAX_UPLOAD_MB = 1
    logged_in(client, investigator)
    response = client.post(ADD, upload_data(case, b"\xff" * (1024 * 1024 + 1)))
    assert response.status_code == 200
    assert "the limit is 1 MB" in response.content.decode()
    assert not TracedObject.objects.exists()


def test_a_refusal_from_the_service_becomes_a_form_error_and_leaves_nothing_behind(
    client, case, investigator, monkeypatch, settings
):
    # The form trusts the size the browser declares; object_submit counts the bytes it
    # copies. Let a file past the form's check (as a lying size would) so the real service
    # is the one that refuses it.
    settings.OBJECT_MAX_UPLOAD_MB = 1
    monkeypatch.setattr("objects.forms.intake_limits", lambda: Limits(max_bytes=10**9))
    logged_in(client, investigator)

    response = client.post(ADD, upload_data(case, b"\xff" * (1024 * 1024 + 1)))

    assert response.status_code == 200
    assert "The file was refused: file is larger than 1 MB" in response.content.decode()
    assert not TracedObject.objects.exists()
    assert not AuditEntry.objects.filter(action="object.uploaded").exists()
    assert list(Path(settings.INTAKE_ROOT).glob("*")) == []


def test_an_upload_goes_only_to_a_case_the_uploader_owns(
    client, case, investigator, outsider_investigator
):
    other = case_ensure(reference="CASE-2025-003", owner=outsider_investigator)
    logged_in(client, investigator)
    form_page = client.get(ADD).content.decode()
    assert case.reference in form_page and other.reference not in form_page
    response = client.post(ADD, upload_data(other, synthetic_png()))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not TracedObject.objects.exists()


def test_the_upload_form_never_decodes_the_image(client, case, investigator):
    logged_in(client, investigator)
    page = client.get(ADD).content.decode()
    assert 'type="file" name="image"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page


# --- Visibility ---------------------------------------------------------------------------


def test_an_outsider_cannot_see_a_draft_but_sees_it_once_published(
    client, case, investigator, second_investigator, outsider_investigator
):
    obj = bare_object(case, investigator, title="Green bottle")
    logged_in(client, outsider_investigator)
    assert client.get(change_url(obj)).status_code == 404
    assert obj.code not in client.get(CHANGELIST).content.decode()

    TracedObject.objects.filter(pk=obj.pk).update(
        state=ObjectState.PUBLISHED, approved_by=second_investigator, published_at=timezone.now()
    )
    assert obj.code in client.get(CHANGELIST).content.decode()
    page = client.get(change_url(obj))
    assert page.status_code == 200 and "Green bottle" in page.content.decode()


def test_an_owner_sees_the_drafts_of_their_case(client, case, investigator, second_investigator):
    obj = bare_object(case, investigator)
    logged_in(client, second_investigator)
    assert obj.code in client.get(CHANGELIST).content.decode()
    assert client.get(change_url(obj)).status_code == 200


# --- The list -----------------------------------------------------------------------------


def test_the_list_runs_a_fixed_number_of_queries(
    client, case, investigator, second_investigator, django_assert_max_num_queries
):
    for i in range(20):
        if i % 2:
            bare_published_object(case, investigator, second_investigator, title=f"Object {i}")
        else:
            bare_object(case, second_investigator, title=f"Object {i}")
    logged_in(client, investigator)
    # Session, user and their two permission sets; the case filter's choices; the filtered
    # and the full count; one page of rows with case and users joined; the session save in
    # its savepoint; the OTP device that verified the login; the cases whose reference the
    # user may read (objects.admin.owned_case_ids). None of it grows with the rows.
    with django_assert_max_num_queries(13):
        response = client.get(CHANGELIST)
    assert response.status_code == 200 and "Object 19" in response.content.decode()


def test_the_list_costs_the_same_for_two_objects_as_for_twenty(
    client, case, investigator, second_investigator
):
    logged_in(client, investigator)

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CHANGELIST).status_code == 200
        return len(captured)

    for _ in range(2):
        bare_published_object(case, investigator, second_investigator)
    with_two = queries_for_the_list()
    for _ in range(18):
        bare_published_object(case, investigator, second_investigator)
    assert queries_for_the_list() == with_two


def test_the_thumbnail_in_the_list_has_alt_text(client, case, investigator):
    obj = bare_object(
        case,
        investigator,
        thumbnail="objects/thumbs/0123abcd.jpg",
        thumbnail_width=480,
        thumbnail_height=360,
        alt_text="A green plastic bottle with a red cap",
    )
    logged_in(client, investigator)
    page = client.get(CHANGELIST).content.decode()
    # Through the back office's image view: an unpublished image has no public URL.
    src = reverse("admin:objects_tracedobject_image", args=[obj.pk, "thumbnail"])
    assert (
        f'<img src="{src}" alt="A green plastic bottle with a red cap" width="64" height="48"'
        in page
    )


def test_the_list_is_newest_first_and_searchable_by_code(client, case, investigator):
    older = bare_object(case, investigator, title="Older crop")
    newer = bare_object(case, investigator, title="Newer crop")
    TracedObject.objects.filter(pk=older.pk).update(created_at=timezone.now().replace(year=2020))
    logged_in(client, investigator)
    page = client.get(CHANGELIST).content.decode()
    assert page.index("Newer crop") < page.index("Older crop")
    found = client.get(CHANGELIST, {"q": newer.code}).content.decode()
    assert "Newer crop" in found and "Older crop" not in found


def test_awaiting_my_approval_lists_only_what_others_uploaded_to_my_cases(
    client, case, investigator, second_investigator, outsider_investigator
):
    bare_object(case, investigator, title="Mine to wait for")
    bare_object(case, second_investigator, title="Sams crop for me")
    logged_in(client, investigator)
    page = client.get(CHANGELIST, {"approval": "mine"}).content.decode()
    assert "Sams crop for me" in page and "Mine to wait for" not in page
    page = client.get(CHANGELIST, {"approval": "others"}).content.decode()
    assert "Mine to wait for" in page and "Sams crop for me" not in page


def test_the_case_filter_offers_only_the_users_own_cases(
    client, case, investigator, outsider_investigator
):
    case_ensure(reference="CASE-2025-003", owner=outsider_investigator)
    logged_in(client, investigator)
    page = client.get(CHANGELIST).content.decode()
    assert f"?case={case.pk}" in page and "CASE-2025-003" not in page


def test_html_in_a_title_is_escaped_on_the_admin_pages(
    client, case, investigator, second_investigator
):
    obj = bare_object(case, investigator, title="<script>alert(1)</script>", alt_text='"><b>x')
    logged_in(client, second_investigator)
    approve = reverse("admin:objects_tracedobject_approve", args=[obj.pk])
    for url in (CHANGELIST, change_url(obj), approve):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page and '"><b>x' not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


# --- The object page ----------------------------------------------------------------------


def test_text_is_editable_before_publication(client, case, investigator):
    obj = bare_object(case, investigator, title="Bottle")
    logged_in(client, investigator)
    assert 'name="title"' in client.get(change_url(obj)).content.decode()
    response = client.post(
        change_url(obj),
        {
            "title": "Green bottle",
            "category": Category.PACKAGING,
            "questions": "Which brand is this?",
            "region_hint": "",
            "alt_text": "A green plastic bottle",
        },
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.title == "Green bottle" and obj.state == ObjectState.AWAITING_APPROVAL


def test_text_is_read_only_once_public(client, case, investigator, second_investigator):
    obj = bare_published_object(case, investigator, second_investigator, title="Bottle")
    logged_in(client, investigator)
    page = client.get(change_url(obj)).content.decode()
    assert 'name="title"' not in page and "Bottle" in page
    response = client.post(change_url(obj), {"title": "Changed quietly"})
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.title == "Bottle"


def test_the_page_shows_who_uploaded_and_who_approved(
    client, case, investigator, second_investigator
):
    obj = bare_published_object(case, investigator, second_investigator)
    logged_in(client, investigator)
    page = client.get(change_url(obj)).content.decode()
    assert "ines" in page and "sam" in page and case.reference in page


def test_objects_cannot_be_deleted_through_the_admin(client, case, investigator):
    obj = bare_object(case, investigator)
    logged_in(client, investigator)
    delete = reverse("admin:objects_tracedobject_delete", args=[obj.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()
    assert TracedObject.objects.filter(pk=obj.pk).exists()


# --- Near-duplicates ----------------------------------------------------------------------


def test_a_near_duplicate_is_shown_on_the_later_objects_page(
    client, case, investigator, outsider_investigator
):
    other_case = case_ensure(reference="CASE-2025-003", owner=outsider_investigator)
    earlier = submitted_object(other_case, outsider_investigator, seed=3)
    later = submitted_object(case, investigator, seed=3)
    logged_in(client, investigator)
    page = client.get(change_url(later)).content.decode()
    # The earlier crop is unpublished and not in ines's case: neither named nor linked.
    assert "a similar object exists in another case (distance" in page
    assert earlier.code not in page and "CASE-2025-003" not in page
    assert change_url(earlier) not in page


def test_a_near_duplicate_is_linked_when_the_user_may_see_it(
    client, case, investigator, second_investigator, outsider_investigator
):
    other_case = case_ensure(reference="CASE-2025-003", owner=outsider_investigator)
    earlier = bare_published_object(other_case, outsider_investigator, investigator)
    later = bare_object(case, investigator)
    Resemblance.objects.create(new=later, existing=earlier, distance=4)
    logged_in(client, investigator)
    page = client.get(change_url(later)).content.decode()
    # Public, so linked; but olga's case reference is not ines's business.
    assert (
        f'looks like <a href="{change_url(earlier)}">{earlier.code}</a>, '
        "in another case (distance 4)" in page
    )
    assert "CASE-2025-003" not in page
    # The other direction: the earlier object's page lists the later one too.
    page = client.get(change_url(earlier)).content.decode()
    assert f"{later.code}</a>, case {case.reference} (distance 4)" in page


# --- Mark identified ----------------------------------------------------------------------


def test_mark_identified_requires_an_outcome_then_sets_it(
    client, case, investigator, second_investigator
):
    obj = bare_published_object(case, investigator, second_investigator)
    logged_in(client, investigator)
    assert identify_url(obj) in client.get(change_url(obj)).content.decode()

    response = client.post(identify_url(obj), {"outcome": "", "public_line": "Country narrowed"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED

    response = client.post(
        identify_url(obj),
        {"outcome": Outcome.COUNTRY_NARROWED, "public_line": "Country narrowed thanks to you."},
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.state == ObjectState.IDENTIFIED and obj.outcome == Outcome.COUNTRY_NARROWED
    assert obj.outcome_public_line == "Country narrowed thanks to you."


def test_a_public_outcome_longer_than_a_line_is_refused(
    client, case, investigator, second_investigator
):
    obj = bare_published_object(case, investigator, second_investigator)
    logged_in(client, investigator)
    response = client.post(
        identify_url(obj), {"outcome": Outcome.LEAD_ELIMINATED, "public_line": "x" * 201}
    )
    assert response.status_code == 200
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED


def test_only_an_investigator_of_the_case_marks_it_identified(
    client, case, investigator, second_investigator, outsider_investigator
):
    obj = bare_published_object(case, investigator, second_investigator)
    logged_in(client, outsider_investigator)
    assert identify_url(obj) not in client.get(change_url(obj)).content.decode()
    response = client.post(
        identify_url(obj), {"outcome": Outcome.LEAD_ELIMINATED, "public_line": "Sold worldwide"}
    )
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED


def test_an_object_not_yet_published_cannot_be_marked_identified(client, case, investigator):
    obj = bare_object(case, investigator)
    logged_in(client, investigator)
    response = client.post(
        identify_url(obj), {"outcome": Outcome.LEAD_ELIMINATED, "public_line": "Sold worldwide"}
    )
    assert response.status_code == 200 and "not published" in response.content.decode()
    obj.refresh_from_db()
    assert obj.state == ObjectState.AWAITING_APPROVAL


# --- Retire -------------------------------------------------------------------------------


def retire(client, *objects, confirmed: bool = True, follow: bool = True):
    data = {"action": "retire_objects", "_selected_action": [o.pk for o in objects]}
    if confirmed:
        data["post"] = "yes"
    return client.post(CHANGELIST, data, follow=follow)


def test_retiring_asks_for_confirmation_first(client, case, investigator, second_investigator):
    obj = bare_published_object(case, investigator, second_investigator)
    logged_in(client, investigator)
    response = retire(client, obj, confirmed=False)
    assert response.status_code == 200 and "Yes, retire them" in response.content.decode()
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED


def test_the_retire_action_retires_published_objects_and_skips_drafts(
    client, case, investigator, second_investigator
):
    first = bare_published_object(case, investigator, second_investigator)
    second = bare_published_object(case, investigator, second_investigator)
    draft = bare_object(case, investigator, state=ObjectState.DRAFT)
    logged_in(client, investigator)
    page = retire(client, first, second, draft).content.decode()
    for obj in (first, second):
        obj.refresh_from_db()
        assert obj.state == ObjectState.RETIRED and obj.retired_at
    draft.refresh_from_db()
    assert draft.state == ObjectState.DRAFT
    assert "Retired 2 objects" in page
    assert f"Skipped 1: {draft.code}: {draft.code} is still being processed" in page


def test_the_retire_action_skips_objects_of_other_cases(
    client, case, investigator, second_investigator, outsider_investigator
):
    obj = bare_published_object(case, investigator, second_investigator)
    logged_in(client, outsider_investigator)
    page = retire(client, obj).content.decode()
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED
    assert "Only an investigator of this object&#x27;s case can retire it." in page


# --- Cases --------------------------------------------------------------------------------


def test_an_investigator_sees_only_their_cases_with_object_counts(
    client, case, investigator, outsider_investigator, django_assert_max_num_queries
):
    case_ensure(reference="CASE-2025-003", owner=outsider_investigator)
    for _ in range(3):
        bare_object(case, investigator)
    logged_in(client, investigator)
    with django_assert_max_num_queries(11):  # 10, plus the OTP device that verified the login
        page = client.get(reverse("admin:objects_case_changelist")).content.decode()
    assert case.reference in page and "CASE-2025-003" not in page
    assert f'?case={case.pk}">3</a>' in page


def test_an_investigator_who_creates_a_case_owns_it(client, investigator, second_investigator):
    logged_in(client, investigator)
    add = reverse("admin:objects_case_add")
    assert f'<option value="{investigator.pk}" selected>' in client.get(add).content.decode()
    # Even when they pick only a colleague: otherwise the case would vanish from their list.
    response = client.post(
        add, {"reference": "CASE-2026-099", "title": "New", "owners": [second_investigator.pk]}
    )
    assert response.status_code == 302
    owners = Case.objects.get(reference="CASE-2026-099").owners.all()
    assert set(owners) == {investigator, second_investigator}


def test_a_case_of_someone_else_is_not_found(client, outsider_investigator, case):
    logged_in(client, outsider_investigator)
    response = client.get(reverse("admin:objects_case_change", args=[case.pk]))
    assert response.status_code == 404


def test_a_superuser_sees_every_case_and_every_draft(client, case, investigator, superuser):
    draft = bare_object(case, investigator, state=ObjectState.DRAFT)
    logged_in(client, superuser)
    page = client.get(CHANGELIST).content.decode()
    assert draft.code in page and f"?case={case.pk}" in page
    assert client.get(change_url(draft)).status_code == 200


def test_translations_are_cleaned_to_known_languages_fields_and_lengths():
    from objects.services import translations_clean

    assert translations_clean(
        {
            "fr": {"title": "  Tasse  ", "questions": "", "owner": "x"},
            "en": {"title": "English is the field itself"},
            "xx": {"title": "unknown"},
            "de": {"title": "B" * 500},
        }
    ) == {"fr": {"title": "Tasse"}, "de": {"title": "B" * 120}}


def test_an_investigator_gives_the_texts_in_other_languages_before_publication(
    client, case, investigator, second_investigator
):
    obj = bare_object(case, investigator, title="Bottle")
    logged_in(client, investigator)
    page = client.get(change_url(obj)).content.decode()
    assert 'name="title_fr"' in page and 'name="alt_text_pt"' in page
    response = client.post(
        change_url(obj),
        {
            "title": "Bottle",
            "category": Category.PACKAGING,
            "questions": "Which brand is this?",
            "region_hint": "",
            "alt_text": "A green plastic bottle",
            "title_fr": "Bouteille verte",
            "questions_fr": "De quelle marque est-ce ?",
        },
    )
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.translations == {
        "fr": {"title": "Bouteille verte", "questions": "De quelle marque est-ce ?"}
    }
    public = bare_published_object(case, investigator, second_investigator, title="Mug")
    page = client.get(change_url(public)).content.decode()
    assert 'name="title_fr"' not in page and "Translations" in page


def test_the_upload_form_takes_the_texts_in_other_languages(client, case, investigator):
    logged_in(client, investigator)
    data = upload_data(case, synthetic_png(), title_de="Gestreifte Tapete")
    client.post(ADD, data)
    assert TracedObject.objects.get().translations == {"de": {"title": "Gestreifte Tapete"}}
