"""OPML import and export: feed titles and URLs, nested outlines flattened, bad entries reported one by one.

Parsed with defusedxml, so entity expansion and external entities are refused outright.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException  # type: ignore[import-untyped,unused-ignore]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped,unused-ignore]

from bot.errors import OpmlError as OpmlError

_FEED_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    title: str
    url: str


def parse_opml(data: bytes) -> tuple[list[OpmlFeed], list[str]]:
    """Feeds in document order (duplicates dropped) and one line per outline that was skipped."""
    try:
        root: ET.Element = fromstring(data)
    except DefusedXmlException as exc:
        raise OpmlError(f"refused: {type(exc).__name__} (entity declarations are not allowed)") from None
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"not OPML: the root element is <{root.tag}>")
    body = root.find("body")
    if body is None:
        raise OpmlError("not OPML: no <body>")
    feeds: list[OpmlFeed] = []
    errors: list[str] = []
    seen: set[str] = set()
    for index, outline in enumerate(body.iter("outline"), start=1):
        attrs = {key.lower(): value for key, value in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        title = (attrs.get("title") or attrs.get("text") or "").strip()
        if not url:
            if len(outline) == 0 and attrs.get("type", "").lower() == "rss":
                errors.append(f"outline {index} ({title or 'untitled'}): no xmlUrl")
            continue  # a folder, or a plain note
        problem = _url_problem(url)
        if problem:
            errors.append(f"outline {index} ({title or 'untitled'}): {problem}")
        elif url not in seen:
            seen.add(url)
            feeds.append(OpmlFeed(title=title or url, url=url))
    return feeds, errors


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"malformed URL {url!r}"
    if parts.scheme.lower() not in _FEED_SCHEMES:
        return f"unsupported URL scheme in {url!r}"
    if parts.scheme.lower() != "file" and not parts.hostname:
        return f"URL without a host: {url!r}"
    return None


def render_opml(feeds: Iterable[OpmlFeed], *, title: str = "claimbot feeds") -> bytes:
    """An OPML 2.0 document listing ``feeds`` flat, UTF-8 with an XML declaration."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(body, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
