"""The intake pipeline around the sanitiser: drafts, derivatives, failures, idempotence."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from objects.imaging import ImageRejected
from objects.intake import MAX_INTAKE_ATTEMPTS
from objects.media import private_storage
from objects.models import ObjectState, Resemblance, TracedObject
from objects.services import object_submit
from objects.tasks import intake_object, requeue_stalled_intake
from outbox.models import OutboxMessage
from tests.factories import details, submitted_object, synthetic_png

pytestmark = pytest.mark.django_db


def files_in(folder: Path) -> list[Path]:
    return (
        sorted(p for p in Path(folder).rglob("*") if p.is_file()) if Path(folder).exists() else []
    )


def test_a_good_upload_ends_awaiting_approval_with_both_derivatives(case, investigator, settings):
    obj = submitted_object(case, investigator)
    assert obj.state == ObjectState.AWAITING_APPROVAL
    assert obj.code.startswith("TAO-") and len(obj.code) == len("TAO-2026-0001")
    with private_storage().open(obj.display.name) as f:
        assert Image.open(f).size == (640, 480)
    with private_storage().open(obj.thumbnail.name) as f:
        assert Image.open(f).size == (480, 360)
    assert len(obj.phash) == 16
    # The original upload is gone: only the two derivatives remain, in the private folder.
    assert files_in(settings.INTAKE_ROOT) == []
    assert len(files_in(settings.PRIVATE_MEDIA_ROOT)) == 2
    assert files_in(settings.MEDIA_ROOT) == []


def test_stored_names_are_made_by_the_server(case, investigator):
    obj = submitted_object(case, investigator, title="<script>x</script>.jpg")
    assert Path(obj.display.name).name.endswith(".jpg")
    assert "script" not in obj.display.name and len(Path(obj.display.name).stem) == 32


def test_codes_are_unique_and_sequential(case, investigator):
    first = submitted_object(case, investigator, seed=1)
    second = submitted_object(case, investigator, seed=2)
    assert int(second.code[-4:]) == int(first.code[-4:]) + 1


def test_a_hostile_upload_fails_with_a_reason_and_leaves_nothing_on_disk(
    case, investigator, settings
):
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    obj = submitted_object(case, investigator, upload=svg)
    assert obj.state == ObjectState.FAILED
    assert "looks like SVG" in obj.failure_reason
    assert files_in(settings.INTAKE_ROOT) == [] and files_in(settings.MEDIA_ROOT) == []
    assert files_in(settings.PRIVATE_MEDIA_ROOT) == []


def test_an_empty_upload_is_refused_before_anything_is_created(case, investigator, settings):
    with pytest.raises(ImageRejected, match="empty"):
        object_submit(
            case=case, uploaded_by=investigator, upload=io.BytesIO(b""), details=details()
        )
    assert not TracedObject.objects.exists()
    assert files_in(settings.INTAKE_ROOT) == []


def test_an_oversized_upload_is_refused_while_it_is_copied(case, investigator, settings):
    settings.OBJECT_MAX_UPLOAD_MB = 1
    with pytest.raises(ImageRejected, match="limit"):
        object_submit(
            case=case,
            uploaded_by=investigator,
            upload=io.BytesIO(b"\xff" * (1024 * 1024 + 1)),
            details=details(),
        )
    assert not TracedObject.objects.exists() and files_in(settings.INTAKE_ROOT) == []


def test_running_the_intake_twice_changes_nothing_the_second_time(case, investigator, settings):
    obj = submitted_object(case, investigator)
    files_before = files_in(settings.PRIVATE_MEDIA_ROOT)
    again = intake_object.delay(obj.pk).get()
    assert again == ObjectState.AWAITING_APPROVAL
    assert files_in(settings.PRIVATE_MEDIA_ROOT) == files_before
    assert TracedObject.objects.get().display == obj.display


def test_the_task_is_queued_when_the_upload_commits(
    case, investigator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        obj = object_submit(
            case=case,
            uploaded_by=investigator,
            upload=io.BytesIO(synthetic_png()),
            details=details(),
        )
    obj.refresh_from_db()
    assert obj.state == ObjectState.AWAITING_APPROVAL


def test_a_lost_task_is_requeued_by_the_beat_job(
    case, investigator, django_capture_on_commit_callbacks
):
    obj = object_submit(
        case=case,
        uploaded_by=investigator,
        upload=io.BytesIO(synthetic_png()),
        details=details(),
        queue_intake=False,
    )
    TracedObject.objects.filter(pk=obj.pk).update(created_at=obj.created_at.replace(year=2020))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stalled_intake.delay().get() == 1
    assert OutboxMessage.objects.filter(
        task="objects.tasks.intake_object", kwargs={"object_id": obj.pk}, sent_at__isnull=False
    ).exists()
    obj.refresh_from_db()
    assert obj.state == ObjectState.AWAITING_APPROVAL


def test_a_draft_whose_intake_never_finished_three_times_fails_instead_of_looping(
    case, investigator, settings
):
    # Three earlier runs started and died (say the kernel killed the worker each time):
    # the fourth gives up with a reason, without opening the image again.
    obj = object_submit(
        case=case,
        uploaded_by=investigator,
        upload=io.BytesIO(synthetic_png()),
        details=details(),
        queue_intake=False,
    )
    TracedObject.objects.filter(pk=obj.pk).update(intake_attempts=MAX_INTAKE_ATTEMPTS)
    assert intake_object.delay(obj.pk).get() == ObjectState.FAILED
    obj.refresh_from_db()
    assert "processing stopped before finishing 3 times" in obj.failure_reason
    assert files_in(settings.INTAKE_ROOT) == []


def test_a_crop_that_looks_like_an_earlier_one_in_another_case_is_listed(
    case, investigator, second_investigator
):
    from objects.services import case_ensure

    other_case = case_ensure(reference="CASE-2025-003", owner=second_investigator)
    first = submitted_object(other_case, second_investigator, seed=3)
    again = submitted_object(case, investigator, seed=3)
    unrelated = submitted_object(case, investigator, seed=9)
    resemblance = Resemblance.objects.get(new=again)
    assert resemblance.existing == first and resemblance.distance <= 2
    assert not Resemblance.objects.filter(new=unrelated).exists()


def greyscale_png(mode: str, side: int = 800) -> bytes:
    """A smooth greyscale gradient, 8-bit ("L") or 16-bit ("I;16"): a few KB either way."""
    scale = 65535 if mode == "I;16" else 255
    image = Image.new(mode, (side, side))
    image.putdata([(x + y) * scale // (2 * side) for y in range(side) for x in range(side)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def decoded(monkeypatch) -> list[ImageFile.ImageFile]:
    """Every image whose pixels get decoded, in order: a refusal must come before any."""
    images: list[ImageFile.ImageFile] = []
    original_load = ImageFile.ImageFile.load

    def recording_load(image):
        images.append(image)
        return original_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    return images


def test_a_16_bit_image_gets_a_memory_budget_not_just_a_pixel_cap(
    case, investigator, settings, decoded
):
    # 1 megapixel is a budget of 4 MB: an 800×800 8-bit image fits (0.64 MB decoded),
    # the same image at 16 bits does not (2 bytes a pixel, and two 32-bit working copies).
    settings.OBJECT_MAX_MEGAPIXELS = 1

    eight_bit = submitted_object(case, investigator, upload=greyscale_png("L"))
    sixteen_bit = submitted_object(case, investigator, upload=greyscale_png("I;16"))

    assert eight_bit.state == ObjectState.AWAITING_APPROVAL
    assert sixteen_bit.state == ObjectState.FAILED
    assert sixteen_bit.failure_reason == (
        "image is 800×800 pixels at 16 bits per channel: processing it needs 6.1 MB of "
        "memory, the limit is 3.8 MB; save it with 8 bits per channel or make it at most "
        "0.4 megapixels"
    )
    assert not any(image.mode.startswith("I") for image in decoded), "decoded before refusing"


def webp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((width, height)).save(buffer, "WEBP")
    return buffer.getvalue()


def test_a_webp_is_charged_its_decoder_s_copies_and_refused_before_decoding(
    case, investigator, settings, decoded
):
    # 1 megapixel is a budget of 4 MB. A WebP costs 17 bytes a pixel (libwebp's buffers,
    # Pillow's copies): 480×480 fits, 800×800 (0.64 megapixels, fine as JPEG) does not.
    settings.OBJECT_MAX_MEGAPIXELS = 1

    too_big = submitted_object(case, investigator, upload=webp(800, 800))

    assert too_big.state == ObjectState.FAILED
    assert too_big.failure_reason == (
        "image is 800×800 pixels in WebP: decoding WebP needs 10.4 MB of memory, the limit "
        "is 3.8 MB; save it as JPEG or PNG or make it at most 0.2 megapixels"
    )
    assert decoded == [], "decoded before refusing"

    fits = submitted_object(case, investigator, upload=webp(480, 480))

    assert fits.state == ObjectState.AWAITING_APPROVAL
    assert "WEBP" in [image.format for image in decoded]
