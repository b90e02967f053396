"""Claims proposed from an article: sentences made to stand alone, ranked, checkable ones only."""

from __future__ import annotations

import pytest

from bot.articles.article import NothingCheckable, Unsupported, from_text
from bot.articles.proposals import claims_in, propose
from bot.articles.standalone import stand_alone
from bot.matching.text import sentences


def alone(text: str, title: str = "") -> list[str]:
    paragraphs = [sentences(line) for line in text.splitlines() if line.strip()]
    return [line.standalone for line in stand_alone(paragraphs, title)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a pronoun that starts a sentence is the last person named
            "Finance minister Anna Berg presented the budget.\nShe said taxes would fall by 2 per cent.",
            "Anna Berg said taxes would fall by 2 per cent.",
        ),
        (  # 'His' becomes the person's
            "Mr Olsen spoke to reporters. Trade secretary Jon Olsen left early.\nHis plan cuts 300 jobs.",
            "Jon Olsen’s plan cuts 300 jobs.",
        ),
        (  # 'The President' is the one the text calls President elsewhere
            "President Maria Lopez visited Lima.\nThe President announced a 5 per cent pay rise.",
            "Maria Lopez announced a 5 per cent pay rise.",
        ),
        (  # 'the pair' is the last two people named
            "Sir Tom Reed phoned Vice President Jim Vance.\nThe talks included the pair agreeing to meet.",
            "The talks included Tom Reed and Jim Vance agreeing to meet.",
        ),
        (  # a quote that runs on into the next paragraph keeps its speaker
            "Spokesman Ian Price said: ‘We have sent 40 trucks.\n‘We will send 60 more next week.’",
            "Ian Price said: ‘We will send 60 more next week.’",
        ),
        (  # and into the next sentence of the same paragraph
            "German MP Lena Vogt said: ‘There is potential. We could sell 12 ships.’",
            "Lena Vogt said: We could sell 12 ships.’",
        ),
    ],
)
def test_a_sentence_gets_the_names_its_context_supplies(text: str, expected: str) -> None:
    assert alone(text)[-1] == expected


def test_a_sentence_without_context_is_left_as_written() -> None:
    text = "He said the deal was off.\nThe President was not available."
    assert alone(text) == ["He said the deal was off.", "The President was not available."]


def test_a_closed_quote_does_not_carry_its_speaker_on() -> None:
    text = "Ian Price said: ‘We sent 40 trucks.’ The roads reopened on 4 May after 12 days."
    assert alone(text)[-1] == "The roads reopened on 4 May after 12 days."


def test_proposals_are_ranked_checkable_standalone_and_without_repeats() -> None:
    text = "\n".join(
        [
            "Health minister Rosa Diaz opened the new hospital in Leeds on Monday.",
            "She said the government would spend £40m on 300 extra beds by 2027.",
            "BIG DAY: Rosa Diaz said the government would spend £40m on 300 extra beds by 2027",
            "What a lovely day it was for everyone?",
            "Nice.",
            "November 20, 2019 - 11:28 GMT",
        ]
    )
    found = propose(text, "Minister opens hospital")
    texts = [p.text for p in found]
    assert texts[0] == "Rosa Diaz said the government would spend £40m on 300 extra beds by 2027."
    assert not any(t.startswith(("BIG DAY", "What a", "Nice", "November")) for t in texts)
    assert len(propose(text, limit=1)) == 1


def test_text_with_nothing_checkable_gets_one_clear_line() -> None:
    with pytest.raises(NothingCheckable, match="no checkable sentence"):
        claims_in(from_text("Hello there, how are you?\nI hope you are well, my friend?\nSee you soon, ok?"))


def test_a_script_the_splitter_does_not_support_is_named() -> None:
    with pytest.raises(Unsupported, match="Cyrillic script; I can only split sentences in languages written"):
        from_text("Президент подписал закон о бюджете на 2025 год. " * 20)


def test_french_is_handled_like_english() -> None:
    text = "Le ministre Jean Dupont a annoncé 300 millions d'euros pour les hôpitaux. Il l'a dit lundi."
    assert claims_in(from_text(f"{text} " * 3))[0].text.startswith(
        "Le ministre Jean Dupont a annoncé 300 millions"
    )
