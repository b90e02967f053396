"""Change detection and the state rule, as tables."""

from datetime import UTC, datetime

import pytest

from bot.matching.changes import compare, should_apply
from bot.matching.facts import extract_facts
from bot.matching.types import Change, Facts, Quantity

POLAND = "Poland signed a multi-billion-pound deal for hundreds of South Korean tanks, planes and artillery"


@pytest.mark.parametrize(
    ("claim", "sentence", "expected"),
    [
        (
            POLAND,
            "Recently, Poland signed a multi-billion-pound deal to buy hundreds of tanks from South Korea",
            [],
        ),
        (POLAND, "Poland signed a deal for South Korean tanks", []),  # figures not mentioned: no change
        (
            POLAND,
            "Poland signed a $6.5bn deal for South Korean tanks",
            ["amount: multi-billion-pound → $6.5bn"],
        ),
        (
            POLAND,
            "Poland signed a deal for 180 South Korean tanks",
            ["count: hundreds of South Korean tanks → 180 South Korean tanks"],
        ),
        (POLAND, "Poland signed a deal worth billions of pounds", []),  # vague restated vaguely
        (POLAND, "Poland and Romania signed a deal for South Korean tanks", ["party: + Romania"]),
        (POLAND, "Romania signed a deal for South Korean tanks", ["party: Poland → Romania"]),
        (POLAND, "Poland cancelled its deal for South Korean tanks", ["status: signs → cancels"]),
        (POLAND, "Poland did not sign a deal for South Korean tanks", ["polarity: affirms → denies"]),
        ("Trump urges allies to buy US weapons", "Trump wants allies to buy US weapons", []),
        (
            "Trump urges allies to buy US weapons",
            "Trump signed a deal with allies for US weapons",
            ["status: urges → signs"],
        ),
        ("Inflation is 2%", "Inflation is two per cent", []),
        ("Inflation is 2%", "Inflation is 3%", ["percent: 2% → 3%"]),
        ("Talks on 13 February 2025", "Talks on 20 February 2025", ["date: 2025-02-13 → 2025-02-20"]),
        ("Talks on 13 February 2025", "Talks were held", []),
        ("A £1.2bn deal", "A £1.2 billion deal", []),
        ("A £1.2bn deal", "A deal worth billions of pounds", []),  # exact restated vaguely
        ("A £1.2bn deal", "A deal worth millions of pounds", ["amount: £1.2bn → millions of pounds"]),
        (
            "Britain, France, Germany and Italy want to protect industry",
            "Britain, France and Germany want to protect industry",
            [],  # a party left out is no change
        ),
        (
            "Poland signed a deal for hundreds of tanks",
            "Poland signed a deal for dozens of tanks",
            ["count: hundreds of tanks → dozens of tanks"],
        ),
        ("Poland signed a deal for hundreds of tanks", "Poland signed for several hundred tanks", []),
        (
            "Poland signed a deal for hundreds of tanks",
            "Poland signed a deal for 180 K2 tanks",
            ["count: hundreds of tanks → 180 K2 tanks"],
        ),
        (
            "Starmer and Trump agreed to meet within weeks",
            "Starmer and Trump agreed to meet within days",
            ["date: within weeks → within days"],
        ),
        ("Starmer and Trump agreed to meet within weeks", "They agreed to meet in the next few weeks", []),
        (
            "Starmer and Trump agreed to meet within weeks",
            "Starmer and Trump agreed to meet on 27 February",
            ["date: within weeks → 02-27"],
        ),
        (
            "Trump urges allies to buy more US weapons",
            "Vance urges allies to buy more US weapons",
            ["party: Donald Trump → JD Vance"],
        ),
        (
            "Trump urges allies to buy more US weapons",
            "Trump urged allies to buy 20 per cent more US arms",
            ["percent: buy more US weapons → 20 per cent"],
        ),
        (
            "Trump urges allies to buy more US weapons",
            "Trump urged allies to spend £50bn on US arms",
            ["amount: buy more US weapons → £50bn"],
        ),
        (
            "The US insists Nato members meet their obligations",
            "Rutte insists Nato members meet them",
            ["party: United States → Mark Rutte"],
        ),
        ("The US insists Nato members meet their obligations", "Trump insists Nato members meet them", []),
        (
            "Rutte calls on the US to cut bureaucracy",
            "Rutte calls on the EU to cut bureaucracy",
            ["party: United States → European Union"],
        ),
        (
            "Rutte calls on the US to cut bureaucracy",
            "Rutte thanks the US for cutting bureaucracy",
            ["status: urges → welcomes"],
        ),
        ("Trump urges Britain to buy US arms", "Trump urges European allies to buy US arms", []),
        (
            "Poland signed a deal for tanks",
            "Romania is negotiating a deal for tanks",
            ["party: Poland → Romania", "status: signs → negotiates"],
        ),
        ("Poland signed a deal for tanks", "Poland agreed a deal for tanks", []),
        ("Starmer and Trump agreed to meet", "Trump says he and Starmer will meet soon", []),
    ],
)
def test_compare(claim: str, sentence: str, expected: list[str]) -> None:
    assert [str(c) for c in compare(extract_facts(claim), extract_facts(sentence))] == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (Facts(), Facts(), ()),
        (Facts(status="signs"), Facts(), ()),
        (Facts(), Facts(status="signs"), ()),
        (Facts(polarity="denies"), Facts(), (Change("polarity", "denies", "affirms"),)),
        (
            Facts(counts=(Quantity("hundreds of tanks", 200, "tank", False),)),
            Facts(counts=(Quantity("180 tanks", 180, "tank"),)),
            (Change("count", "hundreds of tanks", "180 tanks"),),
        ),
        (
            Facts(counts=(Quantity("180 tanks", 180, "tank"),)),
            Facts(counts=(Quantity("5 jets", 5, "plane"),)),
            (),
        ),
        (
            Facts(counts=(Quantity("180 tanks", 180, "tank"),)),
            Facts(counts=(Quantity("hundreds of tanks", 200, "tank", False),)),
            (),
        ),
    ],
)
def test_compare_facts(old: Facts, new: Facts, expected: tuple[Change, ...]) -> None:
    assert compare(old, new) == expected


def test_change_str() -> None:
    assert str(Change("party", "", "+ Romania")) == "party: + Romania"
    assert str(Change("status", "signs", "cancels")) == "status: signs → cancels"


JAN, FEB = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "score", "story", "current", "expected"),
    [
        ("changed", 80.0, FEB, JAN, True),
        ("changed", 70.0, FEB, JAN, True),  # at the threshold counts
        ("changed", 69.9, FEB, JAN, False),  # a suggestion never changes the state
        ("recurs", 95.0, FEB, JAN, False),
        ("changed", 80.0, JAN, FEB, False),  # older than the current state: recorded, not applied
        ("changed", 80.0, FEB, FEB, True),
        ("changed", 80.0, None, FEB, True),
        ("changed", 80.0, FEB, None, True),
    ],
)
def test_should_apply(
    kind: str, score: float, story: datetime | None, current: datetime | None, expected: bool
) -> None:
    assert (
        should_apply(
            kind=kind, score=score, alert_threshold=70.0, story_published=story, current_published=current
        )
        is expected
    )
