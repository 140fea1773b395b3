"""Claims (countries, domains, names), their tally per object, and the two commands."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.tips.corpus import FLOOD_COUNTRY, FLOOD_DOMAIN, corpus_import, corpus_object, make_corpus
from tips.claims import countries_in_text, registrable_domain
from tips.evidence import agreement_score
from tips.models import Tip
from tips.places import tip_claims


@pytest.mark.parametrize(
    "text",
    ["aus Polen", "vendu en Pologne", "in Polonia", "z Polski, Polska", "из Польши", "来自波兰"],
)
def test_a_country_written_in_any_of_many_languages_is_claimed_by_its_iso_code(text):
    assert countries_in_text(text) == {"PL"}


def test_the_forms_country_field_is_a_claim_too():
    assert ("country", "FR") in tip_claims(body="no idea", where="", country="fr", links=[])


def test_links_and_web_addresses_in_the_text_become_registrable_domains():
    claims = tip_claims(
        body="See www.shop.example.co.uk or rossmann.pl, e.g. file.txt",
        where="",
        country="",
        links=["https://allegro.pl/oferta/1", "not a link"],
    )
    domains = {value for kind, value in claims if kind == "domain"}
    assert domains == {"example.co.uk", "rossmann.pl", "allegro.pl"}
    assert registrable_domain("http://192.0.2.1/x") == ""


def test_names_are_capitalised_words_inside_a_sentence():
    claims = tip_claims(
        body="I bought it at Biedronka. Kovaro is the brand.", where="", country="", links=[]
    )
    assert {value for kind, value in claims if kind == "name"} == {"biedronka"}


def test_a_group_counts_once_and_languages_and_time_add_to_the_score():
    assert agreement_score(groups=0, languages=0, slots=0) == 0
    assert agreement_score(groups=1, languages=1, slots=1) == 1
    assert agreement_score(groups=2, languages=2, slots=2) == 3
    assert agreement_score(groups=2, languages=1, slots=1) == 2


@pytest.fixture
def corpus_board(db):
    corpus = make_corpus(seed=9, tips=300)
    traced_object = corpus_object()
    corpus_import(corpus, traced_object)
    out = io.StringIO()
    call_command("analyse_tips", traced_object.code, format="json", stdout=out)
    return corpus, json.loads(out.getvalue())


def test_the_true_country_leads_although_a_flood_has_more_tips(corpus_board):
    corpus, board = corpus_board
    by_tips = max(board["countries"], key=lambda entry: entry["tips"])
    assert by_tips["country"] == FLOOD_COUNTRY  # raw counts get it wrong
    assert board["countries"][0]["country"] == corpus.true_country
    flood = next(entry for entry in board["countries"] if entry["country"] == FLOOD_COUNTRY)
    domain = next(entry for entry in board["domains"] if entry["domain"] == FLOOD_DOMAIN)
    assert domain["score"] == 0 and domain["tips"] > 50
    assert flood["score"] < board["countries"][0]["score"]


def test_analyse_tips_prints_the_board_as_json(corpus_board):
    corpus, board = corpus_board
    assert board["tips"] == len(corpus.tips)
    assert sum(group["size"] for group in board["groups"]) == len(corpus.tips)
    floods = [group for group in board["groups"] if group["flood"]]
    assert len(floods) == 1 and floods[0]["languages"] == ["de"]
    group = board["groups"][0]
    assert {"id", "size", "flood", "first_at", "last_at", "languages", "sample", "tips"} <= set(
        group
    )
    assert {"id", "ref", "source"} == set(group["tips"][0])
    scores = [entry["score"] for entry in board["countries"]]
    assert scores == sorted(scores, reverse=True)


def test_analyse_tips_prints_text_and_regroups(db):
    traced_object = corpus_object()
    corpus_import(make_corpus(seed=3, tips=40, flood_share=0), traced_object)
    groups = set(Tip.objects.values_list("group_id", flat=True))
    out = io.StringIO()
    call_command("analyse_tips", traced_object.code, "--regroup", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith(f"{traced_object.code}: 40 tips in {len(groups)} groups")
    assert "Countries (score, groups, tips):" in out.getvalue()


def write_lines(tmp_path, *records) -> str:
    path = tmp_path / "tips.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records), encoding="utf-8"
    )
    return str(path)


def test_import_tips_reports_bad_lines_imports_the_rest_and_exits_1(tmp_path, public_object):
    path = write_lines(
        tmp_path,
        {
            "body": "Kovaro shampoo from Polska",
            "source": "hotline",
            "ref": "H-1",
            "country": "pl",
            "received_at": "2026-03-02T10:15:42+01:00",
            "links": ["https://kovaro.pl"],
            "language": "pl",
        },
        "{not json",
        {"body": "", "ref": "H-2"},
        {"body": "x", "country": "XX"},
        {"body": "x", "object": "TAO-0000-0000"},
        {"body": "x", "received_at": "yesterday"},
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "import_tips", path, object=public_object.code, stdout=out, stderr=io.StringIO()
        )
    assert exit_.value.code == 1
    for n in (2, 3, 4, 5, 6):
        assert f"FAILED line {n}: " in out.getvalue()
    tip = Tip.objects.get()
    assert (tip.source, tip.ref, tip.country, tip.language) == ("hotline", "H-1", "PL", "pl")
    assert tip.received_at.isoformat() == "2026-03-02T09:15:00+00:00"  # to the minute, UTC
    assert tip.group_id is not None and tip.receipt_hash is None
    assert set(tip.claims.values_list("kind", "value")) == {
        ("country", "PL"),
        ("domain", "kovaro.pl"),
    }


def test_importing_the_same_source_and_reference_twice_creates_one_tip(tmp_path, public_object):
    path = write_lines(
        tmp_path, {"object": public_object.code, "body": "Kovaro", "source": "mail", "ref": "M-7"}
    )
    call_command("import_tips", path, stdout=io.StringIO(), stderr=io.StringIO())
    call_command("import_tips", path, stdout=io.StringIO(), stderr=io.StringIO())
    assert Tip.objects.filter(source="mail", ref="M-7").count() == 1
