"""One group of the evidence board as HTML (`{% board_group row acting %}`, tips/templatetags/
tips_board.py): its title, languages and dates, its first tip's text, and the buttons that
post to the board's act view, which runs the queue's bulk action on the group's tips.

Written out here rather than in a template: the board lists up to 40 groups, and Django's
template engine spent half a millisecond on each (variable lookups, a blocktranslate per
button, a reverse per link), a fifth of the board's time at a million tips. The strings are
the same gettext messages; format_html escapes every value."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from tips.board import BoardGroup


@dataclass(frozen=True, slots=True)
class Acting:
    """What the analyst may do on this board, the same for every group."""

    act_url: str  # the board's act view
    csrf_token: str
    can_change: bool
    can_forward: bool
    forward_at_most: int


def _when(row: BoardGroup) -> str:
    first = timezone.localtime(row.group.first_at).strftime("%Y-%m-%d %H:%M")
    if row.group.last_at == row.group.first_at:
        return first
    return f"{first} – {timezone.localtime(row.group.last_at).strftime('%Y-%m-%d %H:%M')}"


def _title(row: BoardGroup) -> str:
    if row.group_id:
        return ngettext(
            "Group ~%(id)s: %(size)s tip", "Group ~%(id)s: %(size)s tips", row.group.size
        ) % {"id": row.group_id, "size": row.group.size}
    return gettext("Tip #%(id)s, not grouped yet") % {"id": row.lead_id}


def _button(do: str, label: str, *, danger: bool = False) -> SafeString:
    return format_html(
        '<button type="submit" name="do" value="{}" class="button{}">{}</button>',
        do,
        " board-danger" if danger else "",
        label,
    )


def _flood_buttons(row: BoardGroup) -> list[SafeString]:
    if not row.held:
        return [
            format_html(
                "<p>{}</p>", gettext("Rejected: tips joining it later stay out of the queue.")
            )
        ]
    size, open_tips = row.group.size, row.rejectable
    return [
        _button(
            "release_flood",
            ngettext(
                "Release the flood into the queue (%(count)s tip)",
                "Release the flood into the queue (%(count)s tips)",
                size,
            )
            % {"count": size},
        ),
        _button(
            "reject_flood",
            ngettext(
                "Reject the flood: %(count)s open tip as spam",
                "Reject the flood: %(count)s open tips as spam",
                open_tips,
            )
            % {"count": open_tips},
            danger=True,
        ),
    ]


def _group_buttons(row: BoardGroup, acting: Acting) -> list[SafeString]:
    buttons = []
    if row.group.size > 1:
        buttons.append(
            _button(
                "duplicate",
                gettext("Mark the others as duplicates of #%(id)s") % {"id": row.lead_id},
            )
        )
    open_tips = row.rejectable
    if open_tips:
        count = {"count": open_tips}
        spam = ngettext(
            "Reject %(count)s open tip as spam", "Reject %(count)s open tips as spam", open_tips
        )
        irrelevant = ngettext(
            "Reject %(count)s open tip as irrelevant",
            "Reject %(count)s open tips as irrelevant",
            open_tips,
        )
        buttons.append(_button("reject_spam", spam % count, danger=True))
        buttons.append(_button("reject_irrelevant", irrelevant % count, danger=True))
    forwardable = row.forwardable
    if acting.can_forward and forwardable:
        if forwardable <= acting.forward_at_most:
            label = ngettext(
                "Forward %(count)s open tip…", "Forward %(count)s open tips…", forwardable
            ) % {"count": forwardable}
            buttons.append(_button("forward", label))
        else:
            buttons.append(
                format_html(
                    '<p class="help">{}</p>',
                    gettext(
                        "Too many open tips to forward at once (at most %(most)s): forward "
                        "them from the queue."
                    )
                    % {"most": acting.forward_at_most},
                )
            )
    return buttons


def _actions(row: BoardGroup, acting: Acting) -> SafeString:
    flood = bool(row.flood_label)
    target = ("group", row.group_id) if row.group_id else ("tip", row.lead_id)
    buttons = _flood_buttons(row) if flood else _group_buttons(row, acting)
    return format_html(
        '<details class="board-actions"><summary>{}</summary>'
        '<form method="post" action="{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="{}" value="{}">'
        '<input type="hidden" name="original" value="{}">'
        '<input type="hidden" name="post" value="yes">{}</form></details>',
        gettext("Decide on this flood…") if flood else gettext("Act on the whole group…"),
        acting.act_url,
        acting.csrf_token,
        *target,
        row.lead_id,
        mark_safe(" ".join(buttons)),  # noqa: S308 - each made by format_html
    )


def group_article(row: BoardGroup, acting: Acting) -> SafeString:
    """The group's <article>, its id the anchor the act view sends the analyst back to."""
    flag = format_html('<span class="board-flag">{}</span>', row.flood_label)
    return format_html(
        '<article class="board-group{}" id="{}" aria-labelledby="{}-title">'
        '<h3 id="{}-title">{} {}</h3>'
        '<p class="board-meta">{} {} · {} · {}</p>'
        '<blockquote class="board-sample">{}</blockquote>'
        '<p class="board-links"><a href="{}">{}</a></p>{}</article>\n',
        " board-flood" if row.flood_label else "",
        row.anchor,
        row.anchor,
        row.anchor,
        _title(row),
        flag if row.flood_label else "",
        gettext("Languages:"),
        format_html_join(", ", "{}", ((language,) for language in row.languages)) or "-",
        _when(row),
        row.status_line,
        row.sample or "-",
        reverse("admin:tips_tip_change", args=[row.lead_id]),
        gettext("Open its first tip, #%(id)s") % {"id": row.lead_id},
        _actions(row, acting) if acting.can_change else "",
    )
