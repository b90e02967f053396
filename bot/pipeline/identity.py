"""Story identity: one normalised link per story, else a title fingerprint.

A story syndicated on several feeds (or served with tracking parameters, a fragment, an explicit default port)
must map to one fingerprint, so storage can keep it once with every source.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_", "matomo_", "hsa_", "_hs")
_TRACKING_KEYS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mkt_tok",
        "ocid",
        "cmpid",
        "ito",
        "at_medium",
        "at_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ref_src",
        "smid",
        "smtyp",
        "spm",
        "_ga",
        "__twitter_impression",
        "from_rss",
    }
)
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING_KEYS or lowered.startswith(_TRACKING_PREFIXES)


def normalise_link(url: str) -> str:
    """Canonical form of a story link; non-http(s) or unparsable input comes back stripped, unchanged."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def title_fingerprint(title: str) -> str:
    """sha1 of the title case-folded, accent- and punctuation-free, with whitespace folded."""
    if title.isascii():  # nothing to decompose: skip the per-character pass
        plain = title.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", title)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    folded = _SPACES.sub(" ", _PUNCTUATION.sub("", plain)).strip()
    return hashlib.sha1(folded.encode("utf-8")).hexdigest()


def story_fingerprint(link: str | None, title: str | None) -> str:
    """``link:<sha1 of the normalised link>``, else ``title:<title fingerprint>``; bounded length."""
    if link and link.strip():
        return "link:" + hashlib.sha1(normalise_link(link).encode("utf-8")).hexdigest()
    if title and title.strip():
        return "title:" + title_fingerprint(title)
    raise ValueError("a story needs a link or a title to be identified")
