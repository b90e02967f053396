"""Link normalisation and story fingerprints, as tables."""

from __future__ import annotations

import pytest

from bot.pipeline.identity import normalise_link, story_fingerprint, title_fingerprint


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://Example.COM/a/b/", "https://example.com/a/b"),
        ("HTTPS://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=x&gclid=y", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://[2001:DB8::1]:8443/a", "https://[2001:db8::1]:8443/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com/Case/Path", "https://example.com/Case/Path"),
        ("urn:uuid:1234", "urn:uuid:1234"),
        ("not a url", "not a url"),
        ("http://example.com:99999/a", "http://example.com:99999/a"),
    ],
)
def test_normalise_link(url: str, normal: str) -> None:
    assert normalise_link(url) == normal


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Poland signs tank deal", "poland signs TANK deal!"),
        ("Jürgen Hardt’s argument", "Jurgen Hardts argument"),
        ("  spaced\tout  ", "spaced out"),
    ],
)
def test_title_fingerprint_folds(a: str, b: str) -> None:
    assert title_fingerprint(a) == title_fingerprint(b)


def test_different_titles_differ() -> None:
    assert title_fingerprint("Poland signs tank deal") != title_fingerprint("Poland cancels tank deal")


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (("https://ex.com/a?utm_source=x", "T1"), ("https://EX.com/a/", "T2"), True),
        (("https://ex.com/a", "Same title"), ("https://ex.com/b", "Same title"), False),
        ((None, "Same title"), ("", "same title."), True),
        ((None, "Same title"), ("https://ex.com/a", "Same title"), False),
    ],
)
def test_story_fingerprint(left: tuple[str | None, str], right: tuple[str | None, str], same: bool) -> None:
    assert (story_fingerprint(*left) == story_fingerprint(*right)) is same


def test_fingerprint_shape_and_empty_input() -> None:
    assert story_fingerprint("https://ex.com/" + "a" * 5000, None).startswith("link:")
    assert len(story_fingerprint("https://ex.com/" + "a" * 5000, None)) == 45
    assert story_fingerprint(None, "t").startswith("title:")
    with pytest.raises(ValueError, match="link or a title"):
        story_fingerprint("  ", "")
