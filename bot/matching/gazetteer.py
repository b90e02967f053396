"""Gazetteers for parties: countries and their demonyms, organisations, office holders, known people.

Office holders are as of early 2025; extend ``OFFICES`` and ``PEOPLE`` when the claims you track need more.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.matching.text import trie_pattern

# canonical country name -> other ways of naming it (demonyms, capitals used as metonyms, short forms)
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "United States": (
        "US",
        "U.S.",
        "USA",
        "U.S.A.",
        "America",
        "American",
        "Americans",
        "Washington",
        "United States of America",
    ),
    "United Kingdom": (
        "UK",
        "U.K.",
        "Britain",
        "Great Britain",
        "British",
        "Briton",
        "Britons",
        "London",
        "Downing Street",
        "Whitehall",
    ),
    "South Korea": ("South Korean", "South Koreans", "Seoul", "Republic of Korea", "Korean", "Koreans"),
    "North Korea": ("North Korean", "North Koreans", "Pyongyang"),
    "Russia": ("Russian", "Russians", "Moscow", "Kremlin"),
    "China": ("Chinese", "Beijing"),
    "Ukraine": ("Ukrainian", "Ukrainians", "Kyiv", "Kiev"),
    "Germany": ("German", "Germans", "Berlin"),
    "France": ("French", "Paris", "Elysee"),
    "Italy": ("Italian", "Italians", "Rome"),
    "Spain": ("Spanish", "Madrid"),
    "Poland": ("Polish", "Poles", "Warsaw"),
    "Romania": ("Romanian", "Romanians", "Bucharest"),
    "Netherlands": ("Dutch", "Holland", "The Hague"),
    "Belgium": ("Belgian", "Belgians"),
    "Sweden": ("Swedish", "Swedes", "Stockholm"),
    "Finland": ("Finnish", "Finns", "Helsinki"),
    "Norway": ("Norwegian", "Norwegians", "Oslo"),
    "Denmark": ("Danish", "Danes", "Copenhagen"),
    "Greenland": ("Greenlandic",),
    "Estonia": ("Estonian", "Estonians", "Tallinn"),
    "Latvia": ("Latvian", "Latvians", "Riga"),
    "Lithuania": ("Lithuanian", "Lithuanians", "Vilnius"),
    "Czech Republic": ("Czech", "Czechia", "Prague"),
    "Hungary": ("Hungarian", "Hungarians", "Budapest"),
    "Greece": ("Greek", "Greeks", "Athens"),
    "Turkey": ("Turkish", "Turks", "Turkiye", "Ankara"),
    "Portugal": ("Portuguese", "Lisbon"),
    "Ireland": ("Irish", "Dublin"),
    "Canada": ("Canadian", "Canadians", "Ottawa"),
    "Mexico": ("Mexican", "Mexicans"),
    "Brazil": ("Brazilian", "Brazilians"),
    "Argentina": ("Argentine", "Argentinian"),
    "Japan": ("Japanese", "Tokyo"),
    "India": ("Indian", "Indians", "New Delhi"),
    "Pakistan": ("Pakistani", "Pakistanis", "Islamabad"),
    "Australia": ("Australian", "Australians", "Canberra"),
    "New Zealand": ("New Zealander",),
    "Israel": ("Israeli", "Israelis"),
    "Iran": ("Iranian", "Iranians", "Tehran"),
    "Iraq": ("Iraqi", "Iraqis", "Baghdad"),
    "Syria": ("Syrian", "Syrians", "Damascus"),
    "Saudi Arabia": ("Saudi", "Saudis", "Riyadh"),
    "Egypt": ("Egyptian", "Egyptians", "Cairo"),
    "South Africa": ("South African", "South Africans", "Pretoria"),
    "Nigeria": ("Nigerian", "Nigerians"),
    "Taiwan": ("Taiwanese", "Taipei"),
    "Switzerland": ("Swiss", "Bern"),
    "Austria": ("Austrian", "Vienna"),
    "Gulf states": ("Gulf", "Gulf countries", "Gulf monarchies"),
}
# regions: named as an audience or a setting, never a party that replaces or joins a claim's own
_REGIONS: dict[str, tuple[str, ...]] = {
    "Europe": ("European", "Europeans"),
}
_ORGS: dict[str, tuple[str, ...]] = {
    "NATO": (
        "Nato",
        "North Atlantic Treaty Organization",
        "North Atlantic Treaty Organisation",
        "Atlantic alliance",
    ),
    "European Union": ("EU", "E.U.", "European Commission"),
    "United Nations": ("UN", "U.N.", "UN Security Council"),
    "G7": ("Group of Seven",),
    "G20": ("Group of 20",),
    "World Health Organization": ("WHO", "World Health Organisation"),
    "IMF": ("International Monetary Fund",),
    "World Bank": (),
    "Pentagon": ("US Department of Defense", "Department of Defense"),
    "Congress": ("US Congress", "House of Representatives"),
    "White House": (),
    "State Department": ("US State Department",),
    "Parliament": ("Commons", "House of Commons", "Bundestag"),
    "Bloomberg": (),
    "Reuters": (),
    "BBC": (),
}
# office titles -> the person who holds them
_OFFICES: dict[str, tuple[str, ...]] = {
    "Donald Trump": ("Trump", "US President", "President Trump", "American president", "Donald J. Trump"),
    "Pete Hegseth": (
        "Hegseth",
        "US defence secretary",
        "US defense secretary",
        "Pentagon chief",
        "US secretary of defense",
        "Defense Secretary",
    ),
    "Keir Starmer": (
        "Starmer",
        "Sir Keir",
        "Keir",
        "British prime minister",
        "UK prime minister",
        "Prime Minister Keir Starmer",
    ),
    "Mark Rutte": (
        "Rutte",
        "Nato chief",
        "Nato secretary general",
        "NATO secretary-general",
        "Nato Secretary-General",
        "alliance chief",
    ),
    "Jurgen Hardt": ("Hardt",),
    "Emmanuel Macron": ("Macron", "French president"),
    "Olaf Scholz": ("Scholz",),
    "Friedrich Merz": ("Merz", "German chancellor", "Chancellor Merz"),
    "Volodymyr Zelensky": ("Zelensky", "Zelenskyy", "Ukrainian president"),
    "Vladimir Putin": ("Putin", "Russian president"),
    "Xi Jinping": ("Xi", "Chinese president"),
    "Ursula von der Leyen": ("von der Leyen", "Commission president"),
    "Kaja Kallas": ("Kallas", "EU foreign policy chief"),
    "Antonio Costa": ("Costa",),
    "John Healey": ("Healey", "UK defence secretary", "British defence secretary"),
    "David Lammy": ("Lammy", "UK foreign secretary", "British foreign secretary"),
    "Boris Pistorius": ("Pistorius", "German defence minister"),
    "Giorgia Meloni": ("Meloni", "Italian prime minister"),
    "Donald Tusk": ("Tusk", "Polish prime minister"),
    "Andrzej Duda": ("Duda", "Polish president"),
    "Mette Frederiksen": ("Frederiksen", "Danish prime minister"),
    "Sergey Lavrov": ("Lavrov", "Russian foreign minister"),
    "Mike Waltz": ("Waltz", "US national security adviser"),
    "Steve Witkoff": ("Witkoff",),
    "Matthew Whitaker": ("Whitaker", "US ambassador to Nato", "US ambassador to NATO"),
    "Elon Musk": ("Musk",),
    "Joe Biden": ("Biden",),
    "Barack Obama": ("Obama",),
    "Mark Burnett": ("Burnett",),
    "Brian Hughes": (),
    "JD Vance": ("Vance", "US vice president", "Vice-President JD Vance", "Vice President JD Vance"),
    "Marco Rubio": ("Rubio", "US secretary of state", "Secretary of State Marco Rubio"),
}

KIND_COUNTRY, KIND_ORG, KIND_PERSON, KIND_REGION = "country", "org", "person", "region"

# the country a person or body acts for: "Trump insists" restates "the US insists", "Rutte insists" does not
_AFFILIATION: dict[str, tuple[str, ...]] = {
    "United States": (
        "Donald Trump",
        "Pete Hegseth",
        "JD Vance",
        "Marco Rubio",
        "Mike Waltz",
        "Steve Witkoff",
        "Matthew Whitaker",
        "Elon Musk",
        "Joe Biden",
        "Barack Obama",
        "Pentagon",
        "Congress",
        "White House",
        "State Department",
    ),
    "United Kingdom": ("Keir Starmer", "John Healey", "David Lammy", "Parliament"),
    "Germany": ("Friedrich Merz", "Olaf Scholz", "Boris Pistorius", "Jurgen Hardt"),
    "France": ("Emmanuel Macron",),
    "Italy": ("Giorgia Meloni",),
    "Poland": ("Donald Tusk", "Andrzej Duda"),
    "Denmark": ("Mette Frederiksen",),
    "Ukraine": ("Volodymyr Zelensky",),
    "Russia": ("Vladimir Putin", "Sergey Lavrov"),
    "China": ("Xi Jinping",),
}


def _table() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    sources = (
        (KIND_ORG, _ORGS),
        (KIND_COUNTRY, _COUNTRIES),
        (KIND_REGION, _REGIONS),
        (KIND_PERSON, _OFFICES),
    )
    for kind, source in sources:
        for canonical, others in source.items():
            for name in (canonical, *others):
                table[name.lower()] = (canonical, kind)
    return table


@lru_cache(maxsize=1)
def lookup_table() -> dict[str, tuple[str, str]]:
    """Lowercased surface form -> (canonical party, kind); built once, on first use."""
    return _table()


@lru_cache(maxsize=1)
def pattern() -> re.Pattern[str]:
    """Every surface form, the longest that fits first, matched case-insensitively on word bounds."""
    return re.compile(r"(?<![\w.])(?:" + trie_pattern(lookup_table()) + r")(?![\w])", re.IGNORECASE)


# surface forms that are common words unless written in capitals ("US" the country, "us" the pronoun)
_UPPER_ONLY = frozenset(
    {"us", "usa", "uk", "eu", "un", "who", "u.s.", "u.k.", "u.n.", "e.u.", "imf", "bbc", "g7", "g20"}
)


def accepts(surface: str) -> bool:
    """Whether a case-insensitive hit is really the name: capitalised, and upper case for short acronyms."""
    if surface.lower() in _UPPER_ONLY:
        return surface.isupper()
    return surface[:1].isupper()


def kind_of(party: str) -> str:
    """The kind of a canonical party; unknown capitalised names are people."""
    found = lookup_table().get(party.lower())
    return found[1] if found else KIND_PERSON


@lru_cache(maxsize=1)
def _country_of() -> dict[str, str]:
    return {member: country for country, members in _AFFILIATION.items() for member in members}


def acts_for(party: str) -> str:
    """The country a party acts for: itself for a country, its affiliation for a known person or body."""
    if kind_of(party) == KIND_COUNTRY:
        return party
    return _country_of().get(party, party)
