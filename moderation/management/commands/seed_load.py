"""Realistic volumes for benchmarks: published objects, bench staff, N tips and N audit
entries, generated inside PostgreSQL (docs/architecture.md, "Benchmark volumes").

    DEBUG=true manage.py seed_load --tips 1000000 --audit 1000000
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from moderation.roles import ADMINISTRATOR, ANALYST
from objects.models import Category, ObjectState, Outcome, TracedObject
from objects.roles import INVESTIGATOR
from objects.services import case_ensure, object_code_next
from tips import grouping

BATCH = 100_000
OBJECTS = 60
REGIONS = ["Europe", "Western Europe", "South America", "South-East Asia", "North Africa", ""]
# Rough shares of a mature queue: most tips end rejected or closed.
STATUS_SHARES = [
    ("new", 10),
    ("in_review", 5),
    ("needs_info", 3),
    ("forwarded", 10),
    ("duplicate", 7),
    ("rejected", 30),
    ("closed", 35),
]
WORDS = [
    "shampoo",
    "bottle",
    "brand",
    "sold",
    "shop",
    "supermarket",
    "Poland",
    "Lidl",
    "Aldi",
    "wallpaper",
    "stripes",
    "blue",
    "logo",
    "shirt",
    "football",
    "club",
    "market",
    "Madrid",
    "Lyon",
    "school",
    "uniform",
    "sticker",
    "toy",
    "bear",
    "hotel",
    "carpet",
    "curtain",
    "pattern",
    "ikea",
    "catalogue",
    "model",
    "2019",
    "seen",
    "Brazil",
    "Recife",
    "pharmacy",
    "label",
    "green",
    "plastic",
    "cap",
    "German",
    "Dutch",
    "sticker",
    "cafe",
    "menu",
    "train",
    "ticket",
    "bus",
    "Lisbon",
    "Porto",
]  # noqa: SIM905
AUDIT_ACTIONS = [
    "tip.viewed",
    "tip.viewed",
    "tip.viewed",
    "tip.status_changed",
    "tip.assigned",
    "tip.note_added",
    "tip.forwarded",
    "tip.contact_revealed",
    "auth.login",
    "auth.login_failed",
    "object.published",
]
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 (bench databases only, like seed_demo's)


class Command(BaseCommand):
    help = "Load N tips and N audit entries fast, for benchmarks (PostgreSQL, DEBUG=true)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tips", type=int, default=1000)
        parser.add_argument("--audit", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_load creates accounts with known passwords: DEBUG=true only")
        if connection.vendor != "postgresql":
            raise CommandError("seed_load generates rows inside PostgreSQL: set DATABASE_URL")
        started = time.monotonic()
        with transaction.atomic():
            staff = _staff_ensure()
            object_ids = _objects_ensure(
                staff["bench-investigator-1"], staff["bench-investigator-2"]
            )
        analysts = [staff[name].pk for name in ("bench-analyst-1", "bench-analyst-2")]
        for done in range(0, options["tips"], BATCH):
            _tips_insert(min(BATCH, options["tips"] - done), object_ids, analysts)
        _duplicates_link()
        _groups_form()
        grouping.group_sizes_refresh_all()
        grouping.group_reads_refresh_all()
        _claims_derive()
        for done in range(0, options["audit"], BATCH):
            _audit_insert(min(BATCH, options["audit"] - done), analysts)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tips_tip")
            cursor.execute("VACUUM ANALYZE tips_tipgroup")
            cursor.execute("VACUUM ANALYZE tips_tipclaim")
            cursor.execute("VACUUM ANALYZE audit_auditentry")
            cursor.execute("VACUUM ANALYZE objects_tracedobject")
        self.stdout.write(
            f"seed_load: {options['tips']} tips and {options['audit']} audit entries in"
            f" {time.monotonic() - started:.1f} s"
        )


def _staff_ensure() -> dict[str, User]:
    roles = {
        "bench-investigator-1": INVESTIGATOR,
        "bench-investigator-2": INVESTIGATOR,
        "bench-analyst-1": ANALYST,
        "bench-analyst-2": ANALYST,
        "bench-administrator": ADMINISTRATOR,
    }
    staff = {}
    for username, role in roles.items():
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            user.set_password(BENCH_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
        staff[username] = user
    return staff


def _objects_ensure(uploader: User, approver: User) -> list[int]:
    case = case_ensure(reference="BENCH-CASE", owner=uploader, title="Bench case")
    case.owners.add(approver)
    existing = list(case.traced_objects.values_list("pk", flat=True))
    now = timezone.now()
    categories = list(Category.values)
    for n in range(len(existing), OBJECTS):
        identified = n % 10 == 9
        obj = TracedObject.objects.create(
            code=object_code_next(year=now.year),
            case=case,
            uploaded_by=uploader,
            approved_by=approver,
            title=f"Bench object {n}",
            category=categories[n % len(categories)],
            questions="Where is this sold?",
            region_hint=REGIONS[n % len(REGIONS)],
            alt_text=f"A synthetic object number {n}",
            state=ObjectState.IDENTIFIED if identified else ObjectState.PUBLISHED,
            outcome=Outcome.COUNTRY_NARROWED if identified else "",
            outcome_public_line="Country narrowed thanks to your tips." if identified else "",
            published_at=now,
            thumbnail=f"objects/thumbs/bench-{n}.jpg",
            thumbnail_width=480,
            thumbnail_height=360,
            display=f"objects/bench-{n}.jpg",
            display_width=1600,
            display_height=1200,
        )
        existing.append(obj.pk)
    return existing


def _status_case() -> str:
    """SQL choosing a status by STATUS_SHARES from r, a random number in [0, 100)."""
    branches, upto = [], 0
    for status, share in STATUS_SHARES:
        upto += share
        branches.append(f"WHEN r < {upto} THEN '{status}'")
    return "CASE " + " ".join(branches) + " END"


def _tips_insert(count: int, object_ids: list[int], analysts: list[int]) -> None:
    """`count` tips over the last two years, received to the minute like real ones."""
    # Only our own constants are formatted in; values go as parameters.
    sql = f"""
        WITH g AS (
            SELECT i, random() * 100 AS r,
                   date_trunc('minute', now() - random() * interval '730 days') AS at
            FROM generate_series(1, %(count)s) AS i
        ), s AS (
            SELECT g.*, {_status_case()} AS status FROM g
        )
        INSERT INTO tips_tip (kind, traced_object_id, body, country, "where", links,
            contact_encrypted, language, status, urgent, held_by_breaker, received_at,
            closed_at, assigned_to_id, first_triaged_at, rejected_reason, source, ref, occurred,
            group_by_hand, group_size, group_read)
        SELECT
            CASE WHEN i %% 20 = 0 THEN 'report' ELSE 'object' END,
            CASE WHEN i %% 20 = 0 THEN NULL
                 ELSE (%(objects)s::bigint[])[1 + (i * 7919) %% %(n_objects)s] END,
            array_to_string(ARRAY(
                SELECT (%(words)s::text[])[1 + floor(random() * %(n_words)s)::int]
                FROM generate_series(1, 8 + (i %% 30))), ' '),
            (ARRAY['PL', 'FR', 'DE', 'BR', 'ES', ''])[1 + i %% 6],
            CASE WHEN i %% 3 = 0 THEN 'Supermarkets' ELSE '' END,
            CASE WHEN i %% 4 = 0 THEN '["https://example.org/a"]'::jsonb ELSE '[]'::jsonb END,
            CASE WHEN i %% 10 = 0 THEN repeat('gAAAAA', 20) ELSE '' END,
            (ARRAY['en', 'fr', 'de', 'pl'])[1 + i %% 4],
            status,
            i %% 50 = 0,
            false,
            at,
            CASE WHEN status IN ('closed', 'rejected') THEN at + interval '3 days' END,
            CASE WHEN status IN ('in_review', 'needs_info') OR i %% 7 = 0
                 THEN (%(analysts)s::int[])[1 + i %% %(n_analysts)s] END,
            CASE WHEN status <> 'new' THEN at + interval '1 day' END,
            CASE WHEN status = 'rejected' THEN
                 (ARRAY['spam', 'irrelevant'])[1 + i %% 2] ELSE '' END,
            'web', '', '', false, 1, false
        FROM s
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "count": count,
                "objects": object_ids,
                "n_objects": len(object_ids),
                "words": WORDS,
                "n_words": len(WORDS),
                "analysts": analysts,
                "n_analysts": len(analysts),
            },
        )


def _groups_form() -> None:
    """Near-duplicate groups as tips/grouping.py leaves them: most tips alone, a third in
    groups from two to a few hundred on the same object (a skewed random bucket), each dated by
    its first tip."""
    bucket = "CASE WHEN t.id %% 3 = 0 THEN -floor(power(random(), 3) * 2000)::bigint ELSE t.id END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMP TABLE seed_bucket AS
            SELECT t.id, t.traced_object_id, {bucket} AS bucket, t.received_at
            FROM tips_tip AS t
            WHERE t.group_id IS NULL AND t.traced_object_id IS NOT NULL;
            CREATE TEMP TABLE seed_group AS
            SELECT traced_object_id, bucket, min(received_at) AS created_at,
                   nextval(pg_get_serial_sequence('tips_tipgroup', 'id')) AS group_id
            FROM seed_bucket GROUP BY traced_object_id, bucket;
            INSERT INTO tips_tipgroup (id, traced_object_id, created_at, flood)
            SELECT group_id, traced_object_id, created_at, 'none' FROM seed_group;
            UPDATE tips_tip SET group_id = g.group_id
            FROM seed_bucket AS b JOIN seed_group AS g USING (traced_object_id, bucket)
            WHERE tips_tip.id = b.id;
            DROP TABLE seed_bucket, seed_group;
            """.replace("%%", "%")  # noqa: S608 (our own constants only)
        )


# Towns among WORDS that tips name, as place claims (tips/places.py): (word, the town's
# folded name, a neighbouring town a few km away that some tips point at instead), named by
# one tip in PLACES_EVERY; a third of those give coordinates a little off the town's
# centre, as a map link would.
PLACE_WORDS = [
    ("madrid", "madrid", None),
    ("lyon", "lyon", "villeurbanne"),
    ("recife", "recife", "olinda"),
    ("lisbon", "lisbon", None),
    ("porto", "porto", "vila nova de gaia"),
]
PLACES_EVERY = 5  # one tip in five names the towns among its words
# Coordinates alone (no town named) for one tip in this many: a hotel room on Mauritius.
POINT_ONLY_EVERY, POINT_ONLY = 89, (-20.1619, 57.4989)
JITTER_DEGREES = 0.025  # about 2.8 km of latitude


def _place_rows() -> dict[str, list]:
    """The towns of PLACE_WORDS from the place index: parallel arrays for the SQL below."""
    from tips.places import Place, nearest_place, place_index

    index = place_index()

    def town(key: str) -> Place:  # the most populous town of the name
        value = index.names[key]
        return index.places[value if isinstance(value, int) else value[0]]

    rows: dict[str, list] = {k: [] for k in ("word", "value", "lat", "lon", "alt", "alat", "alon")}
    for word, key, neighbour in PLACE_WORDS:
        place = town(key)
        other = town(neighbour) if neighbour else None
        rows["word"].append(word)
        rows["value"].append(f"{place.country}:{place.geonameid}")
        rows["lat"].append(place.lat)
        rows["lon"].append(place.lon)
        rows["alt"].append(f"{other.country}:{other.geonameid}" if other else None)
        rows["alat"].append(other.lat if other else None)
        rows["alon"].append(other.lon if other else None)
    found = nearest_place(*POINT_ONLY)
    assert found is not None
    rows["point_value"] = [f"{found[0].country}:{found[0].geonameid}"]
    return rows


def _claims_derive() -> None:
    """What the grouping's claim reader (tips/claims.py, tips/places.py) would find in these
    tips, for the evidence board to tally: the country given, the linked site's domain, the
    shop names among the words, and the towns among them as place claims with a point
    (PLACE_WORDS). Only tips without claims yet, so loading again adds only the new tips'
    claims; in ranges of BATCH tips (one statement over a million tips ran for minutes, its
    deferred foreign-key checks queued to the end)."""
    names = [word.casefold() for word in ("Lidl", "Aldi", "ikea")]
    places = _place_rows()
    # A point a little off: deterministic per tip, within JITTER_DEGREES either way.
    jitter = "((t.id * {m}) %% 51 - 25) * {d} / 25.0"
    # Which tips name towns: a hash of the id, as the objects' tips interleave by id.
    spread = "(hashint8(t.id)::bigint + 2147483648)"
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM tips_tip")
        first, last = cursor.fetchone()
        for start in range(first, last + 1, BATCH):
            cursor.execute(
                f"""
                INSERT INTO tips_tipclaim
                    (tip_id, traced_object_id, kind, value, lat, lon, uncertain)
                SELECT t.id, t.traced_object_id, c.kind, c.value, c.lat, c.lon, false
                FROM tips_tip AS t
                CROSS JOIN LATERAL (
                    SELECT 'country', t.country, NULL::float8, NULL::float8
                    WHERE t.country <> ''
                    UNION ALL SELECT 'domain', 'example.org', NULL, NULL
                              WHERE t.links <> '[]'::jsonb
                    UNION ALL SELECT 'name', n, NULL, NULL FROM unnest(%(names)s::text[]) AS n
                              WHERE position(n IN lower(t.body)) > 0
                    UNION ALL SELECT 'place', p.value, p.lat, p.lon FROM (
                        SELECT CASE WHEN t.id %% 7 = 0 AND w.alt IS NOT NULL
                                    THEN w.alt ELSE w.value END AS value,
                               CASE WHEN t.id %% 7 = 0 AND w.alt IS NOT NULL
                                    THEN w.alat ELSE w.lat END
                               + CASE WHEN t.id %% 3 = 0 THEN {jitter.format(m=37, d=JITTER_DEGREES)}
                                      ELSE 0 END AS lat,
                               CASE WHEN t.id %% 7 = 0 AND w.alt IS NOT NULL
                                    THEN w.alon ELSE w.lon END
                               + CASE WHEN t.id %% 3 = 0 THEN {jitter.format(m=53, d=JITTER_DEGREES)}
                                      ELSE 0 END AS lon
                        FROM unnest(%(word)s::text[], %(value)s::text[], %(lat)s::float8[],
                                    %(lon)s::float8[], %(alt)s::text[], %(alat)s::float8[],
                                    %(alon)s::float8[])
                             AS w (word, value, lat, lon, alt, alat, alon)
                        WHERE {spread} %% {PLACES_EVERY} = 0 AND position(w.word IN lower(t.body)) > 0
                    ) AS p
                    UNION ALL SELECT 'place', %(point_value)s, %(point_lat)s, %(point_lon)s
                              WHERE t.id %% {POINT_ONLY_EVERY} = 0
                ) AS c (kind, value, lat, lon)
                WHERE t.id >= %(start)s AND t.id < %(end)s AND t.traced_object_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM tips_tipclaim AS seen WHERE seen.tip_id = t.id)
                ON CONFLICT DO NOTHING
                """,  # noqa: S608 (our own constants only; values go as parameters)
                {
                    "names": names,
                    "start": start,
                    "end": start + BATCH,
                    **{key: places[key] for key in ("word", "value", "lat", "lon")},
                    **{key: places[key] for key in ("alt", "alat", "alon")},
                    "point_value": places["point_value"][0],
                    "point_lat": POINT_ONLY[0],
                    "point_lon": POINT_ONLY[1],
                },
            )


def _duplicates_link() -> None:
    """Duplicates point at an earlier tip, as triage leaves them (the group's root)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tips_tip SET duplicate_of_id = root.id FROM tips_tip AS root"
            " WHERE tips_tip.status = 'duplicate' AND tips_tip.duplicate_of_id IS NULL"
            " AND root.id = tips_tip.id - 1 - tips_tip.id % 97"
        )


def _audit_insert(count: int, analysts: list[int]) -> None:
    sql = """
        INSERT INTO audit_auditentry (at, action, username, user_id, target_type, target_id,
            target_repr, data)
        SELECT now() - random() * interval '730 days',
               (%(actions)s::text[])[1 + i %% %(n_actions)s],
               'bench-analyst-' || (1 + i %% 2),
               (%(analysts)s::int[])[1 + i %% %(n_analysts)s],
               'tips.tip',
               (1 + (i * 7919) %% 1000000)::text,
               'Tip #' || (1 + (i * 7919) %% 1000000),
               '{}'::jsonb
        FROM generate_series(1, %(count)s) AS i
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "count": count,
                "actions": AUDIT_ACTIONS,
                "n_actions": len(AUDIT_ACTIONS),
                "analysts": analysts,
                "n_analysts": len(analysts),
            },
        )
