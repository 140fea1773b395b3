"""Two portals in one database, for the tests of tips between partners: A owns an object,
B shows it as a partner object; the network between them is in-process (FakeNetwork), so
each message goes straight to the receiving side's handler (tips/inbound.py), as
network.inbox would call it once the envelope is opened.

One database holds both sides: `a_at_b` is the Partner row B keeps for A (the owner), and
`b_at_a` the row A keeps for B. A message B sends to `a_at_b` arrives at A from `b_at_a`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from network.models import Partner
from tips import inbound, relaying
from tips.relaying import Answer


@dataclass(frozen=True)
class Opened:
    """What network.envelope.message_open gives a handler."""

    partner: Partner
    kind: str
    message_id: str
    payload: dict


@dataclass
class FakeNetwork:
    a_at_b: Partner
    b_at_a: Partner
    down: set[int] = field(default_factory=set)  # partner ids (as the sender knows them)
    acks_to_drop: int = 0  # the receiver stores, the answer is lost on the way back
    wire: list[dict] = field(default_factory=list)  # every message that reached a receiver

    def sender_of(self, to: Partner) -> Partner:
        return self.b_at_a if to.pk == self.a_at_b.pk else self.a_at_b

    def exchange(self, *, partner: Partner, kind: str, payload: dict, message_id: str) -> Answer:
        if partner.pk in self.down:
            return Answer(error="not sent: ConnectionRefusedError")
        self.wire.append({"to": partner.pk, "kind": kind, "id": message_id, "payload": payload})
        opened = Opened(
            partner=self.sender_of(partner),
            kind=kind,
            message_id=message_id,
            payload=copy.deepcopy(payload),
        )
        acked = inbound.HANDLERS[kind](opened)
        if self.acks_to_drop:
            self.acks_to_drop -= 1
            return Answer(error="not sent: TimeoutError")
        return relaying.answer_read(acked)
