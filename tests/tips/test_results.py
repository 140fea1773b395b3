"""/results/ counts from the data (never typed in), per language, cached."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from objects.models import ObjectState, Outcome
from tips.models import TipStatus
from tips.selectors import RESULTS_CACHE_KEY
from tips.services import TipContent, tip_receive

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cached_results():
    cache.delete(RESULTS_CACHE_KEY)
    yield
    cache.delete(RESULTS_CACHE_KEY)


def number(html: str, name: str) -> int:
    return int(re.search(rf'id="{name}">(\d+)<', html).group(1))


def test_the_results_are_counted_from_the_data(client, public_object):
    for body in ("Sold at Lidl in Poland.", "Seen at Biedronka.", "Spam spam spam spam."):
        tip_receive(content=TipContent(body=body), language="pl", traced_object=public_object)
    from tips.models import Tip

    Tip.objects.filter(body__startswith="Spam").update(
        status=TipStatus.REJECTED, closed_at=timezone.now()
    )
    public_object.__class__.objects.filter(pk=public_object.pk).update(
        state=ObjectState.IDENTIFIED, outcome=Outcome.COUNTRY_NARROWED, identified_at=timezone.now()
    )
    html = client.get("/fr/results/").content.decode()
    assert '<html lang="fr"' in html
    assert number(html, "tips-received") == 2
    assert number(html, "objects-published") == 1
    assert number(html, "objects-identified") == 1
    assert number(html, "countries-narrowed") == 1
    assert "<svg" in html and 'role="img"' in html and "<table" in html


def test_the_results_are_cached_and_cost_no_query_on_a_second_visit(
    client, public_object, django_assert_num_queries
):
    client.get("/en/results/")
    with django_assert_num_queries(0):
        assert client.get("/de/results/").status_code == 200


def test_every_public_page_links_to_the_results(client):
    assert 'href="/nl/results/"' in client.get("/nl/about/").content.decode()
