"""Matching and change detection on real-news phrasing (issue 9): what a subscriber's alert shows."""

import pytest

from bot.matching.facts import extract_facts
from bot.matching.scoring import matched_words, wording


@pytest.mark.parametrize(
    ("claim", "sentence", "bold"),
    [
        # the amount is bold whole, never a digit inside it ("3.<b>2</b> billion")
        (
            "Poland buys jets for $3.2 billion",
            "Poland signs a $3.2 billion deal",
            ("Poland", "3.2", "billion"),
        ),
        ("Poland buys 2 squadrons of jets", "Poland signs a $3.2 billion deal for jets", ("Poland", "jets")),
        ("The US sells Poland 1,000 tanks", "Poland orders 1,000 tanks", ("Poland", "1,000", "tanks")),
    ],
)
def test_numbers_are_bold_whole(claim: str, sentence: str, bold: tuple[str, ...]) -> None:
    assert matched_words(sentence, wording(claim).termset) == bold


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Trump wants European allies to buy more American weapons", "buy more American weapons"),
        ("Poland will spend more on defence and less on roads", "spend more on defence"),
        ("Europe to import more US gas than ever", "import more US gas"),
    ],
)
def test_a_vague_rise_is_told_as_written(text: str, said: str) -> None:
    """'Changes are told against: more, more' said nothing: the phrase is the vague figure's wording."""
    facts = extract_facts(text)
    assert [q.raw for q in facts.amounts] == [said]
    assert all(q.value is None and not q.exact for q in facts.amounts)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("The prime minister and the president settled on a face-to-face meeting next month", None),
        ("Biden is meeting with Xi in Bali", "meets"),
    ],
)
def test_a_planned_meeting_is_not_a_meeting_held(text: str, status: str | None) -> None:
    assert extract_facts(text).status == status


@pytest.mark.parametrize(
    ("text", "parties"),
    [
        # an office before a name is the person's title (2023: Biden), not the gazetteer's holder (Trump)
        ("US President Joe Biden approved sending 31 M1 Abrams tanks to Ukraine", ("Joe Biden",)),
        ("Polish President Andrzej Duda said Poland will send jets", ("Andrzej Duda", "Poland")),
        ("The US President said he will send more tanks", ("Donald Trump",)),
    ],
)
def test_an_office_before_a_name_is_a_title(text: str, parties: tuple[str, ...]) -> None:
    order = extract_facts(text).order
    assert order[: len(parties)] == parties
    assert "Donald Trump" not in order or "Donald Trump" in parties
