"""Tokens, stems and sentences."""

import pytest

from bot.matching.stem import stem
from bot.matching.text import clean, sentences, spelled_terms, terms, words


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("caresses", "caress"),
        ("ponies", "poni"),
        ("agreed", "agre"),
        ("hopping", "hop"),
        ("relational", "relat"),
        ("weapons", "weapon"),
        ("organised", "organ"),
        ("organized", "organ"),
        ("defence", "defens"),
        ("defense", "defens"),
        ("rise", "rise"),
        ("us", "us"),
        ("2025", "2025"),
        ("привет", "привет"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The US insists", ["america", "demand"]),
        ("let us go", ["go"]),
        ("U.S. and American troops", ["america", "america", "armi"]),
        ("red tape slows sales", ["bureaucraci", "slow", "sale"]),
        ("#AustralianFires", ["australia", "fire"]),
        ("Jürgen Hardt", ["jurgen", "hardt"]),
        ("don't buy", ["bui"]),
        ("", []),
        ("😀 🚀", []),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_words_keep_negation_apart() -> None:
    assert words("Poland didn't sign") == ["poland", "did", "n't", "sign"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Trump met Dr. Smith. He left.", ["Mr. Trump met Dr. Smith.", "He left."]),
        ("Troops left the U.S. on Monday. Then more.", ["Troops left the U.S. on Monday.", "Then more."]),
        ('He said: "We will win." Then he left!', ['He said: "We will win."', "Then he left!"]),
        ("It cost 3.5 bn. J. K. Rowling wrote.", ["It cost 3.5 bn.", "J. K. Rowling wrote."]),
        ("no punctuation here\nnext line", ["no punctuation here", "next line"]),
        ("", []),
        ("   \n  ", []),
        ("... !!!", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_run_on_text_is_windowed() -> None:
    parts = sentences(" ".join(["word"] * 1000))
    assert parts and all(len(p.split()) <= 80 for p in parts)


def test_one_megabyte_text() -> None:
    text = ("Poland signed a deal for tanks. " * 32_000)[:1_000_000]
    assert len(sentences(text)) > 1000
    assert terms(text)[:3] == ["poland", "sign", "deal"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>Hello &amp; <b>bye</b></p>", "Hello & bye"),
        ("see https://x.y/z now", "see now"),
        ("a\n\n\nb  c", "a\nb c"),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        (
            "Poland will buy hundreds of artillery guns; purchases of artillery grow",
            {"poland": "poland", "bui": "buy", "hundr": "hundreds", "artilleri": "artillery", "gun": "guns",
             "grow": "grow"},
        ),
        ("the United States didn't cut the UK's aid", {"america": "united states", "cut": "cut",
                                                        "britain": "uk", "aid": "aid"}),
    ],
)  # fmt: skip
def test_spelled_terms_show_the_first_words_each_term_came_from(text: str, spelled: dict[str, str]) -> None:
    assert spelled_terms(text) == spelled
    assert list(spelled) == list(dict.fromkeys(terms(text)))
