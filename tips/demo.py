"""Demo tips for a local try-out, so the analysts' queue has something in it."""

from __future__ import annotations

from objects.demo import DEMO_OBJECTS
from objects.models import TracedObject
from tips.models import Tip
from tips.services import TipContent, tip_receive

# (index into DEMO_OBJECTS, what the demo visitor recognises, country)
DEMO_TIPS = [
    (0, "Demo tip: I think this wallpaper was sold by a DIY chain around 2019.", "DE"),
    (0, "Demo tip: the same pattern is in a holiday flat I rented near the coast.", "PT"),
    (2, "Demo tip: this looks like a shampoo bottle from a supermarket own brand.", "NL"),
    (4, "Demo tip: rugs like this are sold at a weekly market in my town.", "TR"),
    (8, "Demo tip: this car model is very common as a taxi here.", "BR"),
]


def demo_tips_ensure() -> int:
    """Create the demo tips that are missing (matched by their text); return how many."""
    created = 0
    for index, body, country in DEMO_TIPS:
        if Tip.objects.filter(body=body).exists():
            continue
        obj = TracedObject.objects.filter(title=DEMO_OBJECTS[index].title).public().first()
        if obj is None:
            continue
        tip_receive(
            content=TipContent(body=body, country=country), language="en", traced_object=obj
        )
        created += 1
    return created
