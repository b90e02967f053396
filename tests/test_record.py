"""State rules at the write side, as a table: what a changed sighting leaves of the old state."""

from __future__ import annotations

import pytest

from bot.matching.types import Facts, Quantity
from bot.matching.verdict import merged

HUNDREDS = Quantity("hundreds of tanks", 100.0, "tank", exact=False)
EXACT = Quantity("180 tanks", 180.0, "tank")
BILLIONS = Quantity("multi-billion-pound", None, "GBP", exact=False)
SIX = Quantity("$6.5bn", 6.5e9, "USD")
OLD = Facts(
    amounts=(BILLIONS,), counts=(HUNDREDS,), parties=frozenset({"Poland", "South Korea"}), status="signs"
)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (Facts(), OLD),
        (
            Facts(counts=(EXACT,)),
            Facts(amounts=(BILLIONS,), counts=(EXACT,), parties=OLD.parties, status="signs"),
        ),
        (
            Facts(amounts=(SIX,), status="cancels"),
            Facts(amounts=(SIX,), counts=(HUNDREDS,), parties=OLD.parties, status="cancels"),
        ),
        (
            Facts(polarity="denies"),
            Facts(
                amounts=(BILLIONS,),
                counts=(HUNDREDS,),
                parties=OLD.parties,
                status="signs",
                polarity="denies",
            ),
        ),
        (
            Facts(parties=frozenset({"Romania"})),
            Facts(amounts=(BILLIONS,), counts=(HUNDREDS,), parties=frozenset({"Romania"}), status="signs"),
        ),
    ],
    ids=["nothing-mentioned", "count-made-exact", "amount-and-status", "denied", "party-replaced"],
)
def test_merged_keeps_what_the_sentence_leaves_out(new: Facts, expected: Facts) -> None:
    assert merged(OLD, new) == expected
