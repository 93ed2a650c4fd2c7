"""A live list's view stays what the repository would list, change after change.

Random saves and deletions are applied to the repository and, as published messages,
to a :class:`~nitro.actions.list_stream.ListView`; after each one the rows the view
believes the page shows must be exactly the repository's answer to the list's query,
in order -- for ascending and descending keys, ``None`` values, a ``where`` and a limit.
"""

from __future__ import annotations

import random

import pytest

from nitro import Entity
from nitro.actions import LiveList
from nitro.actions.list_stream import ListView
from nitro.broadcast import InProcessBroadcaster, collection_topic, publish_deletion
from nitro.broadcast import publish_entity as publish
from nitro.specification import FieldEquals


class Card(Entity):
    colour: str = "red"
    score: int | None = None
    name: str = ""


LISTS = {
    "ascending": LiveList(Card, name="cards-asc", order_by="score", render=lambda c: c.name),
    "descending": LiveList(
        Card, name="cards-desc", order_by=("-score", "name"), render=lambda c: c.name
    ),
    "red-top-3": LiveList(
        Card,
        name="cards-red",
        where=FieldEquals("colour", "red"),
        order_by="-score",
        limit=3,
        render=lambda c: c.name,
    ),
}


@pytest.mark.parametrize("which", sorted(LISTS))
@pytest.mark.parametrize("seed", range(25))
def test_the_view_follows_the_repository(which: str, seed: int) -> None:
    live_list, rng = LISTS[which], random.Random(seed)
    Card.repository().clear()
    hub = InProcessBroadcaster(max_queue=10_000)
    view = ListView(live_list, {}, None)
    view.reset(live_list.rows({}, None))
    with hub.subscribe(collection_topic(Card)) as inbox:
        for step in range(60):
            card_id = f"c{rng.randrange(12)}"
            if rng.random() < 0.25 and (card := Card.get(card_id)) is not None:
                card.delete()
                publish_deletion(hub, card)
            else:
                card = Card(
                    id=card_id,
                    colour=rng.choice(["red", "blue"]),
                    score=rng.choice([None, 1, 2, 3, 5, 8]),
                    name=rng.choice("abc"),
                )
                card.save()
                publish(hub, card)
            message = inbox.get(timeout=1)
            events, reread = view.apply(message)
            if reread:
                view.reset(live_list.rows({}, None))
            expected = [row.id for row in live_list.rows({}, None)]
            assert [entity_id for _, entity_id in view.order] == expected, f"step {step}"
            assert all(event.startswith("event: datastar-patch-elements") for event in events)
