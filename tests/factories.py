"""Small factories and the personas tests are written around.

Personas:
- investigator ("ines"): owns the demo case, uploads crops.
- second_investigator ("sam"): also owns the case; approves ines's crops (four eyes).
- outsider_investigator ("olga"): an investigator who owns no case here.
- visitor: the anonymous public, the plain test client.
"""

from __future__ import annotations

import io

from django.contrib.auth.models import Group, User
from django.utils import timezone
from PIL import Image, ImageDraw

from objects.models import Case, Category, ObjectState, TracedObject
from objects.services import ObjectDetails, object_code_next, object_intake, object_submit


def staff_user(username: str, *, group: str = "Investigator") -> User:
    user = User.objects.create_user(username, password=f"{username}-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def synthetic_png(width: int = 640, height: int = 480, *, seed: int = 0) -> bytes:
    """A harmless drawn image; different seeds give clearly different pictures."""
    image = Image.new("RGB", (width, height), (230, 225 - seed % 5 * 10, 210))
    draw = ImageDraw.Draw(image)
    step = 24 + seed % 4 * 16
    ink = ((seed * 53) % 200, 90, 160)
    for i, pos in enumerate(range(0, max(width, height), step)):
        if seed % 3 == 0:
            draw.rectangle([pos, 0, pos + step // 2, height], fill=ink)
        elif seed % 3 == 1:
            draw.rectangle([0, pos, width, pos + step // 2], fill=ink)
        else:
            for j, x in enumerate(range(0, width, step)):
                if (i + j) % 2:
                    draw.rectangle([x, pos, x + step, pos + step], fill=ink)
    left = (seed * 97) % (width // 2)
    draw.ellipse([left, height // 4, left + width // 3, height * 3 // 4], fill=(30, 30, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def details(
    title: str = "Striped wallpaper", category: str = Category.TEXTILE, **extra
) -> ObjectDetails:
    return ObjectDetails(
        title=title,
        category=category,
        questions=extra.pop("questions", "Where is this wallpaper sold?"),
        alt_text=extra.pop("alt_text", "Blue and white striped wallpaper with a dark oval"),
        region_hint=extra.pop("region_hint", "Europe"),
    )


def submitted_object(case: Case, uploader: User, *, seed: int = 0, **detail_fields) -> TracedObject:
    """An object through the real intake: awaiting approval, with its derivatives."""
    obj = object_submit(
        case=case,
        uploaded_by=uploader,
        upload=io.BytesIO(synthetic_png(seed=seed)),
        details=details(**detail_fields),
        queue_intake=False,
    )
    return object_intake(object_id=obj.pk)


def published_object(
    case: Case, uploader: User, approver: User, *, seed: int = 0, **fields
) -> TracedObject:
    obj = submitted_object(case, uploader, seed=seed, **fields)
    now = timezone.now()
    TracedObject.objects.filter(pk=obj.pk).update(
        state=ObjectState.PUBLISHED, approved_by=approver, published_at=now
    )
    obj.refresh_from_db()
    return obj


def bare_object(
    case: Case, uploader: User, *, state: str = ObjectState.AWAITING_APPROVAL, **fields
) -> TracedObject:
    """A row without image files, for tests about permissions and queries only."""
    values = {
        "title": "Bottle",
        "category": Category.PACKAGING,
        "questions": "Which brand is this?",
        "alt_text": "A green plastic bottle",
        **fields,
    }
    return TracedObject.objects.create(
        code=object_code_next(year=timezone.now().year),
        case=case,
        uploaded_by=uploader,
        state=state,
        **values,
    )
