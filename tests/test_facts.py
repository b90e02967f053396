"""Facts extracted from claims and sentences."""

import pytest

from bot.matching.facts import extract_facts
from bot.matching.polarity import negation_scope, relative_polarity
from bot.matching.text import terms
from bot.matching.types import Facts, Quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a £1.2bn deal", [Quantity("£1.2bn", 1.2e9, "GBP")]),
        ("worth $6.5 billion", [Quantity("$6.5 billion", 6.5e9, "USD")]),
        ("a 300 million euro loan", [Quantity("300 million euro", 3e8, "EUR")]),
        ("a multi-billion-pound deal", [Quantity("multi-billion-pound", 1e9, "GBP", exact=False)]),
        ("worth billions of pounds", [Quantity("billions of pounds", 2e9, "GBP", exact=False)]),
        ("€40m and US$3bn", [Quantity("€40m", 4e7, "EUR"), Quantity("US$3bn", 3e9, "USD")]),
        ("no money here", []),
    ],
)
def test_amounts(text: str, expected: list[Quantity]) -> None:
    assert list(extract_facts(text).amounts) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("180 tanks", [Quantity("180 tanks", 180.0, "tank")]),
        ("hundreds of tanks", [Quantity("hundreds of tanks", 200.0, "tank", exact=False)]),
        (
            "hundreds of South Korean tanks",
            [Quantity("hundreds of South Korean tanks", 200.0, "tank", False)],
        ),
        ("three new frigates", [Quantity("three new frigates", 3.0, "frigat")]),
        ("1,200 soldiers", [Quantity("1,200 soldiers", 1200.0, "soldier")]),
        ("in 2024 and 2 per cent", []),
        ("£5bn for jets", []),
        # a model name with a number is part of what is counted, not a second count (real-news phrasing)
        ("Poland sends 44 Leopard 2 tanks", [Quantity("44 Leopard 2 tanks", 44.0, "tank")]),
        ("14 Leopard 2A6 tanks to Ukraine", [Quantity("14 Leopard 2A6 tanks", 14.0, "tank")]),
    ],
)
def test_counts(text: str, expected: list[Quantity]) -> None:
    assert list(extract_facts(text).counts) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("rose 2%", [2.0]), ("two per cent", [2.0]), ("2.5 percent", [2.5]), ("3.5 percentage points", [3.5])],
)
def test_percents(text: str, expected: list[float]) -> None:
    assert [q.value for q in extract_facts(text).percents] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on 13 February 2025", ("2025-02-13",)),
        ("on February 13, 2025", ("2025-02-13",)),
        ("by March 2026", ("2026-03",)),
        ("since 2019", ("2019",)),
        ("on 2025-02-13", ("2025-02-13",)),
        ("on Feb. 3", ("02-03",)),
        ("may well", ()),
    ],
)
def test_dates(text: str, expected: tuple[str, ...]) -> None:
    assert extract_facts(text).dates == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("South Korean tanks for Poland", {"South Korea", "Poland"}),
        ("American, US and Washington officials", {"United States"}),
        ("Britain, the UK and British firms", {"United Kingdom"}),
        ("let us go", set()),
        ("Nato chief Mark Rutte spoke", {"Mark Rutte"}),
        ("US defence secretary Pete Hegseth said", {"Pete Hegseth"}),
        ("Trump and Starmer met", {"Donald Trump", "Keir Starmer"}),
        ("the EU and NATO agreed", {"European Union", "NATO"}),
        ("Germany's Jürgen Hardt says", {"Germany", "Jurgen Hardt"}),
        ("officials met Anna Kowalska in Brussels", {"Anna Kowalska", "Brussels"}),
        ("poles apart", set()),
    ],
)
def test_parties(text: str, expected: set[str]) -> None:
    assert extract_facts(text).parties == expected


def test_listed_parties_form_a_group() -> None:
    assert extract_facts("Poland and Romania signed").groups == (frozenset({"Poland", "Romania"}),)
    assert extract_facts("Poland signed; Romania waits").groups == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trump urges allies to buy", "urges"),
        ("Rutte calls on the US to cut red tape", "urges"),
        ("Trump wants Europe to buy", "wants"),
        ("The US insists members pay", "demands"),
        ("Poland signed a deal", "signs"),
        ("Poland scrapped the deal", "cancels"),
        ("Sales are slowed by red tape", "delays"),
        ("Starmer and Trump agreed to meet", "agrees"),
        ("They met in Paris", "meets"),
        ("members meet their obligations", None),
        ("the phone call took place", None),
        ("Hegseth says Europe matters", None),
        ("Seoul rejects the offer", "rejects"),
        ("", None),
    ],
)
def test_status(text: str, expected: str | None) -> None:
    assert extract_facts(text).status == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The US will no longer focus on Europe", "denies"),  # "no longer" negates; compare is relative
        ("The US would stop treating Europe as its priority", "denies"),
        ("The US will not focus on Europe", "denies"),
        ("Poland didn't sign the deal", "denies"),
        ("Hegseth denied the US would no longer focus on Europe", "affirms"),
        ("Hardt says Europe could win because it does not produce enough", "affirms"),  # a reason clause
        ("The Pentagon denied sales were slowed, saying allies were not turning away", "denies"),
        ("It is not true that Poland did not sign", "affirms"),
        ("Europe does not produce enough", "denies"),
        ("not only tanks but planes", "affirms"),
    ],
)
def test_polarity(text: str, expected: str) -> None:
    assert extract_facts(text).polarity == expected


@pytest.mark.parametrize(
    ("claim", "sentence", "expected"),
    [
        # the sentence does not repeat what the claim negates: no change of polarity
        (
            "Hegseth says the US will no longer be primarily focused on Europe",
            "Hegseth spoke in Brussels.",
            "denies",
        ),
        (
            "Hardt says Europe could win Trump over because it does not produce enough",
            "Hardt says Europe produces enough",
            "affirms",
        ),
        # the sentence negates something else
        ("Poland signed a deal for tanks", "Poland signed a deal for tanks but gave no details", "affirms"),
        ("Poland signed a deal for tanks", "Poland did not sign a deal for tanks", "denies"),
    ],
)
def test_relative_polarity(claim: str, sentence: str, expected: str) -> None:
    got = relative_polarity(
        extract_facts(claim),
        claim,
        frozenset(terms(claim)),
        extract_facts(sentence),
        sentence,
        frozenset(terms(sentence)),
    )
    assert got.polarity == expected


def test_negation_scope() -> None:
    assert negation_scope("Poland did not sign the deal") == {"sign", "deal"}


@pytest.mark.parametrize("text", ["", "   ", "😀" * 100, "<b>&nbsp;</b>", "Привет мир", "x" * 1_000_000])
def test_bad_input_gives_facts(text: str) -> None:
    assert isinstance(extract_facts(text), Facts)


def test_facts_json_round_trip() -> None:
    facts = extract_facts("Poland and Romania signed a $6.5bn deal for 180 tanks on 13 February 2025")
    assert Facts.from_json(facts.to_json()) == facts
