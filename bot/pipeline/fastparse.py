"""A fast path in front of feedparser for plain, well-formed UTF-8 RSS 2.0, RSS 1.0 and Atom documents.

:func:`fast_extract` returns the same raw fields feedparser would (``feed`` title/link/ttl/sy hints; each
entry's id, title, link, summary, content and parsed dates), or None whenever the document strays from the
subset on which that equality has been checked; :func:`bot.pipeline.parse.parse_feed` then falls back to
feedparser. It reuses feedparser's own URI-joining and date functions, so those agree by construction.

Safety: any DOCTYPE or ENTITY declaration sends the document to feedparser before lxml sees it, and the lxml
parser is hardened anyway (no entity resolution, no DTD loading, no network, no huge trees).
"""

from __future__ import annotations

import re
import threading
from email.message import Message
from typing import Any

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped,unused-ignore]
from feedparser.urls import _urljoin, make_safe_absolute_uri  # type: ignore[import-untyped,unused-ignore]
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

Raw = dict[str, Any]

_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_MEDIA_TITLE = "{http://search.yahoo.com/mrss/}title"
# Named like an alias, but feedparser files them elsewhere (media:content only appends to media_content).
_HARMLESS = frozenset({"{http://search.yahoo.com/mrss/}content"})
# Local names feedparser maps (in some namespace) onto a field we read, or that switch its context.
_ALIASES = frozenset(
    "title link guid id description summary abstract content encoded body fullitem pubdate published issued "
    "updated modified lastbuilddate date created source item entry channel feed image textinput rss rdf "
    "subtitle tagline info".split()
)
# At feed level only these can reach the feed's title, link or refresh hints.
_FEED_ALIASES = frozenset(
    {"title", "link", "source", "item", "entry", "channel", "feed", "image", "textinput", "rss", "rdf"}
    | {"ttl", "updateperiod", "updatefrequency"}
)
_XML_TYPES = re.compile(r"^(application/xml|application/[\w.+-]+\+xml|text/xml|text/[\w.+-]+\+xml)$")
_DECL_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_C1 = re.compile("[\x80-\x9f]")
_QUERY_FIX = re.compile("&([A-Za-z0-9_]+);")
_local = threading.local()


class _Unsure(Exception):
    """The document leaves the checked subset: let feedparser do it."""


def hardened_parser() -> etree.XMLParser:
    """One lxml parser per thread (they are not safe to share): no entities, DTDs, network or huge trees."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
        )
        _local.parser = parser
    return parser


def fast_extract(body: bytes, url: str, content_type: str | None) -> tuple[Raw, list[Raw]] | None:
    """(feed fields, entry fields) exactly as feedparser would give them, or None to fall back."""
    if not _plain_utf8_xml(body, content_type):
        return None
    try:
        root = etree.fromstring(body, hardened_parser())
        return _extract(root, make_safe_absolute_uri(url) or url)
    except (etree.XMLSyntaxError, _Unsure, ValueError):
        return None


def _plain_utf8_xml(body: bytes, content_type: str | None) -> bool:
    """UTF-8 by header and declaration, an XML media type, no BOM, no DTD: what feedparser calls clean."""
    if content_type:
        message = Message()
        message["content-type"] = content_type
        charset = (message.get_param("charset") or "").lower()  # type: ignore[union-attr]
        mime = message.get_content_type()
        if not _XML_TYPES.match(mime) or charset not in ("", "utf-8"):
            return False
        if mime.startswith("text/") and charset != "utf-8":
            return False  # RFC 3023 reads text/xml without a charset as US-ASCII
    if not body.startswith(b"<"):
        return False  # BOMs, leading whitespace, junk
    declared = _DECL_ENCODING.match(body)
    if declared and declared.group(1).lower() != b"utf-8":
        return False
    head = body[:4096].lower()
    return b"<!doctype" not in head and b"<!entity" not in body


def _extract(root: Any, base: str) -> tuple[Raw, list[Raw]]:
    base = _base_of(root, base)
    if root.tag == "rss":
        channel = _only(root, "channel")
        return _feed(channel, _base_of(channel, base), ""), _items(channel, base, "item", "")
    if root.tag == f"{_RDF}RDF":
        channel = _only(root, f"{_RSS1}channel")
        return _feed(channel, _base_of(channel, base), _RSS1), _items(root, base, f"{_RSS1}item", _RSS1)
    if root.tag == f"{_ATOM}feed":
        return _feed(root, base, _ATOM), _items(root, base, f"{_ATOM}entry", _ATOM)
    raise _Unsure("not a plain RSS or Atom root")


def _only(parent: Any, tag: str) -> Any:
    found = parent.findall(tag)
    if len(found) != 1:
        raise _Unsure(f"{len(found)} <{tag}>")
    return found[0]


def _base_of(element: Any, base: str) -> str:
    if element.get("base") is not None:
        raise _Unsure("plain base attribute")
    xml_base = element.get(_XML_BASE)
    return (make_safe_absolute_uri(base, xml_base) or base) if xml_base else base


def _feed(channel: Any, base: str, ns: str) -> Raw:
    """title, link, ttl and sy hints from the channel's (or Atom feed's) own children."""
    feed: Raw = {}
    titles: list[Any] = []
    seen_block = False
    for child in channel:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        local = etree.QName(tag).localname.lower()
        if local in ("item", "entry", "image", "textinput"):
            seen_block = True
            continue
        if tag in (f"{ns}title", f"{_DC}title", _MEDIA_TITLE):
            if seen_block:
                raise _Unsure("channel title after an item or image")
            titles.append(child)
        elif tag in (f"{ns}link", f"{_ATOM}link"):
            link = _link(child, base)
            if link is not None:
                feed["link"] = _QUERY_FIX.sub(r"&\g<1>", link)
        elif tag in ("ttl", f"{_SY}updatePeriod", f"{_SY}updateFrequency"):
            key = "ttl" if tag == "ttl" else "sy_" + etree.QName(tag).localname.lower()
            if key in feed:
                raise _Unsure(f"two <{key}>")
            feed[key] = _text(child)
        elif local in _FEED_ALIASES or _nested_alias(child, _FEED_ALIASES):
            raise _Unsure(f"channel <{tag}>")
    title = _title(titles)
    if title is not None:
        feed["title"] = title
    return feed


def _items(parent: Any, base: str, tag: str, ns: str) -> list[Raw]:
    items = parent.findall(tag)
    every = sum(1 for _ in parent.getroottree().iter("{*}item", "{*}entry", "item", "entry"))
    if not items or every != len(items):
        raise _Unsure("entries missing or out of place")
    return [_entry(item, _base_of(item, base), ns) for item in items]


def _entry(item: Any, base: str, ns: str) -> Raw:
    entry: Raw = {}
    about = item.get(f"{_RDF}about")
    if about and ns == _RSS1:
        entry["id"] = about
    titles: list[Any] = []
    texts: dict[str, Any] = {}
    link_value: str | None = None
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if child.get(_XML_BASE) is not None or child.get("base") is not None:
            raise _Unsure("xml:base inside an entry")
        key = _ENTRY_KEYS.get(tag) or _ENTRY_KEYS.get(tag.replace(ns, "\0", 1) if ns else tag)
        if key == "title":
            titles.append(child)
        elif key == "link":
            link = _link(child, base)
            if link is not None:
                link_value = _QUERY_FIX.sub(r"&\g<1>", link.replace("&amp;", "&"))
        elif key is not None:
            if key in texts:
                raise _Unsure(f"two <{key}>")
            texts[key] = child
        elif tag in _HARMLESS:
            if _nested_alias(child, _ALIASES):
                raise _Unsure(f"aliases inside <{tag}>")
        elif etree.QName(tag).localname.lower() in _ALIASES or _nested_alias(child, _ALIASES):
            raise _Unsure(f"entry <{tag}>")
    title = _title(titles)
    if title is not None:
        entry["title"] = title
    guid = texts.get("id")
    if guid is not None:
        permalink = guid.get("isPermaLink", "true") == "true" if ns == "" else True
        if guid.get("ispermalink") is not None or guid.attrib.get("isPermalink") is not None:
            raise _Unsure("isPermaLink spelt another way")
        entry["id"] = value = _uri(base, guid) if permalink else _text(guid)
        if permalink and link_value is None:
            link_value = value
    if link_value is not None:
        entry["link"] = link_value
    _entry_text(entry, texts)
    for key in ("published", "updated"):
        if key in texts:
            entry[f"{key}_parsed"] = _parse_date(_text(texts[key]))
    return entry


def _entry_text(entry: Raw, texts: dict[str, Any]) -> None:
    content = texts.get("content")
    if content is not None:
        if content.get("src") is not None:
            raise _Unsure("content with src")
        entry["content"] = [{"value": _text(content)}]
    if "summary" in texts:
        entry["summary"] = _text(texts["summary"])
    elif content is not None:
        entry["summary"] = entry["content"][0]["value"]


_ENTRY_KEYS = {
    "title": "title",
    "\0title": "title",
    f"{_DC}title": "title",
    _MEDIA_TITLE: "title",
    "link": "link",
    "\0link": "link",
    f"{_ATOM}link": "link",
    "guid": "id",
    f"{_ATOM}id": "id",
    "description": "summary",
    f"{_RSS1}description": "summary",
    f"{_ATOM}summary": "summary",
    _CONTENT: "content",
    f"{_ATOM}content": "content",
    "pubDate": "published",
    f"{_ATOM}published": "published",
    f"{_DC}date": "updated",
    f"{_ATOM}updated": "updated",
}


def _title(candidates: list[Any]) -> str | None:
    """feedparser keeps the first non-empty title; an empty one, or a media:title, can be replaced."""
    title: str | None = None
    for element in candidates:
        title = _text(element)
        if title and element.tag != _MEDIA_TITLE:
            break
    return title


def _link(element: Any, base: str) -> str | None:
    """The link this element sets (Atom-style href or RSS text), or None when it sets none."""
    attrs = element.attrib
    if "url" in attrs or "uri" in attrs:
        raise _Unsure("link with url/uri")
    href = attrs.get("href")
    if href is None:
        return _uri(base, element)
    rel = attrs.get("rel", "alternate")
    kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
    if rel != "alternate":
        return None
    if kind not in ("text/html", "html", "application/xhtml+xml", "xhtml"):
        return None
    return str(_urljoin(base, href))


def _raw(element: Any) -> str:
    if len(element) or element.get("mode") is not None:
        raise _Unsure(f"markup or mode in <{element.tag}>")
    kind = element.get("type")
    if kind is not None and kind.lower() not in ("text", "html", "text/plain", "text/html"):
        raise _Unsure(f"type={kind!r}")
    return (element.text or "").strip()


def _text(element: Any) -> str:
    """The element's text as feedparser's ``pop`` leaves it: plain text only, stripped and fixed up."""
    return _fix(_raw(element))


def _uri(base: str, element: Any) -> str:
    """A URI-valued element's text, resolved as feedparser's ``pop`` does (empty stays empty)."""
    raw = _raw(element)
    return _fix(_urljoin(base, raw)) if raw else ""


def _fix(text: str) -> str:
    # feedparser re-decodes UTF-8 read as Latin-1 (mirrored here) and maps C1 controls to cp1252 (refused).
    if not text.isascii():
        if _C1.search(text):
            raise _Unsure("C1 control characters")
        try:
            text = text.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return text


def _nested_alias(element: Any, aliases: frozenset[str]) -> bool:
    if not len(element):
        return False
    for inner in element.iterdescendants():
        tag = inner.tag
        if isinstance(tag, str) and etree.QName(tag).localname.lower() in aliases:
            return True
    return False
