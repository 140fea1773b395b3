"""Small factories, the personas' accounts, and tips made the way visitors send them.

The personas themselves (who they are, what they may do) are described once, with their
fixtures, in tests/conftest.py; `persona()` builds their accounts, for those fixtures and for
tests that build their data once per module (the permission matrix).
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from PIL import Image, ImageDraw

from moderation.roles import ADMINISTRATOR, ANALYST
from objects.intake import object_intake
from objects.media import media_publish
from objects.models import Case, Category, ObjectState, TracedObject
from objects.roles import INVESTIGATOR
from objects.services import ObjectDetails, object_code_next, object_submit
from tips.models import Tip
from tips.services import ReceivedTip, TipContent, tip_receive

TIP_TEXT = "The Sunny brand shampoo, sold in Lidl shops in Poland."

# username -> (role group, mail address). Investigators have an address: forwards are
# mailed to them.
PERSONAS = {
    "ines": (INVESTIGATOR, "ines@police.example"),
    "sam": (INVESTIGATOR, "sam@police.example"),
    "olga": (INVESTIGATOR, "olga@police.example"),
    "ana": (ANALYST, ""),
    "ben": (ANALYST, ""),
    "adam": (ADMINISTRATOR, ""),
}


def staff_user(username: str, *, group: str = INVESTIGATOR, email: str = "") -> User:
    """A staff account in one real role group; its password is `<username>-password-123`."""
    user = User.objects.create_user(
        username, email=email, password=f"{username}-password-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def persona(username: str) -> User:
    group, email = PERSONAS[username]
    return staff_user(username, group=group, email=email)


def superuser() -> User:
    return User.objects.create_superuser("root", password="root-password-123")


def grant(user: User, *perms: tuple[str, str]) -> User:
    """Give `user` single permissions. Only for a combination no role group holds; a persona
    in its group is the way to test a role."""
    for app_label, codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached


def tip_sent(
    traced_object: TracedObject | None = None, *, urgent: bool = False, **content
) -> ReceivedTip:
    """A tip through tip_receive, as the public form sends it: the tip and its receipt."""
    values = {"body": TIP_TEXT, **content}
    return tip_receive(
        content=TipContent(**values), language="en", traced_object=traced_object, urgent=urgent
    )


def received(traced_object: TracedObject | None = None, **content) -> Tip:
    """A tip through tip_receive (see tip_sent), when only the tip matters."""
    return tip_sent(traced_object, **content).tip


def tip_at(
    traced_object: TracedObject | None = None,
    *,
    hours_ago: float = 0,
    urgent: bool = False,
    body: str = TIP_TEXT,
    **fields,
) -> Tip:
    """A tip received `hours_ago` hours ago, with any other columns set as given."""
    tip = received(traced_object, urgent=urgent, body=body)
    values = {"received_at": timezone.now() - timedelta(hours=hours_ago), **fields}
    Tip.objects.filter(pk=tip.pk).update(**values)
    tip.refresh_from_db()
    return tip


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


def submitted_object(
    case: Case, uploader: User, *, seed: int = 0, upload: bytes | None = None, **detail_fields
) -> TracedObject:
    """An object through the real intake (the worker's step run here): awaiting approval,
    with its derivatives, or failed with its reason. `upload` is the file (default: a
    synthetic PNG)."""
    obj = object_submit(
        case=case,
        uploaded_by=uploader,
        upload=io.BytesIO(synthetic_png(seed=seed) if upload is None else upload),
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
    media_publish(obj=obj)  # as object_approve does: the public copies of its images
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


def bare_published_object(case: Case, uploader: User, approver: User, **fields) -> TracedObject:
    """A published row without image files (approved by `approver`, published now)."""
    return bare_object(
        case,
        uploader,
        state=ObjectState.PUBLISHED,
        approved_by=approver,
        published_at=timezone.now(),
        **fields,
    )
