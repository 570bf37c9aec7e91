"""Site profiles: loading ``tasks/sites/*.toml`` and recognising the site of a page.

``load_profiles`` reads ``_generic.toml`` (months, sections, breadcrumbs, header patterns, the
generic rules and metadata patterns) and every site profile, expands the placeholders (``{month}``,
``{U}``, ``{home}``, ``{nav}``, ...) and compiles them; a site profile is its own data followed by
the generic layer. ``detect_site`` scores the ``recognize`` patterns of every site.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tasks.clean.prefilter import SiteSignal
from tasks.clean.rules import DatetimeLine, LineRule, RuleMatcher, _datetime_line
from tasks.clean.text import norm_exact

SITES_DIR = Path(__file__).parent.with_name("sites")  # tasks/sites/
GENERIC_PROFILE = "_generic"
UNKNOWN_SITE = "unknown"


_UPPER = "A-ZƏÇĞİÖŞÜÄÂÎÛА-ЯЁҒҚҢӨҮҰҺІЇЄҐ"


@dataclass(frozen=True, slots=True)
class Profile:
    """A site profile merged with the generic layer (site data first)."""

    name: str | None
    strong: tuple[re.Pattern[str], ...]
    weak: tuple[re.Pattern[str], ...]
    rules: tuple[LineRule, ...]
    time: tuple[re.Pattern[str], ...]
    author: tuple[re.Pattern[str], ...]
    author_line: re.Pattern[str] | None
    tags: tuple[re.Pattern[str], ...]
    datelines: tuple[re.Pattern[str], ...]
    header_noise: tuple[re.Pattern[str], ...]
    header_byline: tuple[re.Pattern[str], ...]
    breadcrumb_home: frozenset[str]
    section_labels: frozenset[str]  # section and navigation labels (whole lines)
    category_labels: frozenset[str]  # the section labels that name a category
    signals: tuple[SiteSignal, ...] = ()  # ``strong`` (weight 3) then ``weak`` (weight 1)
    matcher: RuleMatcher = field(init=False, compare=False)  # ``rules``, one regex call per line
    tail_rules: frozenset[str] = field(init=False, compare=False)  # the ``starts_tail`` rules

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", RuleMatcher(self.rules))
        object.__setattr__(
            self, "tail_rules", frozenset(r.name for r in self.rules if r.starts_tail)
        )


@dataclass(frozen=True, slots=True)
class Profiles:
    generic: Profile
    sites: tuple[Profile, ...]
    months: dict[str, int]
    month_alt: str


def _expand(pattern: str, placeholders: dict[str, str]) -> str:
    for key, value in placeholders.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


def _compile_all(patterns: list[str], placeholders: dict[str, str], where: str):
    out = []
    for p in patterns:
        try:
            out.append(re.compile(_expand(p, placeholders)))
        except re.error as exc:  # a broken profile must fail loudly, naming the file
            raise ValueError(f"{where}: bad regex {p!r}: {exc}") from exc
    return tuple(out)


def _rules(
    data: dict,
    placeholders: dict[str, str],
    lists: dict[str, list[str]],
    where: str,
    builtins: dict[str, DatetimeLine] | None = None,
):
    rules = []
    for raw in data.get("rules", []):
        exact = list(raw.get("exact", []))
        if "exact_from" in raw:
            exact += lists[raw["exact_from"]]
        builtin = None
        if "builtin" in raw:
            if raw["builtin"] not in (builtins or {}):
                raise ValueError(f"{where}: unknown builtin {raw['builtin']!r}")
            builtin = (builtins or {})[raw["builtin"]]
        rules.append(
            LineRule(
                name=raw["name"],
                exact=frozenset(norm_exact(e) for e in exact),
                patterns=_compile_all(raw.get("patterns", []), placeholders, where),
                max_chars=raw.get("max_chars"),
                starts_tail=bool(raw.get("starts_tail", False)),
                builtin=builtin,
            )
        )
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every profile file is compiled with: placeholders, word lists and builtins."""

    placeholders: dict[str, str]
    lists: dict[str, list[str]]
    builtins: dict[str, DatetimeLine]


@lru_cache(maxsize=4)
def load_profiles(sites_dir: Path = SITES_DIR) -> Profiles:
    """Read ``_generic.toml`` and every site profile once (cached per process)."""
    with open(sites_dir / f"{GENERIC_PROFILE}.toml", "rb") as fh:
        gdata = tomllib.load(fh)
    months: dict[str, int] = {}
    for num, names in gdata["months"].items():
        for name in names:
            months[name.casefold()] = int(num)
    month_alt = "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))
    shared = _shared(gdata, month_alt)
    generic = _generic_profile(gdata, shared, str(sites_dir / f"{GENERIC_PROFILE}.toml"))
    sites = []
    for path in sorted(sites_dir.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        sites.append(_site_profile(path, generic, shared))
    return Profiles(generic=generic, sites=tuple(sites), months=months, month_alt=month_alt)


def _shared(gdata: dict, month_alt: str) -> _Shared:
    sections = gdata.get("sections", {})
    home = list(gdata.get("breadcrumbs", {}).get("home", []))
    lists = {
        "sections": list(sections.get("labels", [])) + list(sections.get("navigation", [])),
        "home": home,
    }

    def alt(words: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))

    placeholders = {
        "month": month_alt,
        "U": _UPPER,
        "home": alt(home),
        "nav": alt(list(sections.get("navigation", []))),
        **gdata.get("placeholders", {}),
    }
    # placeholders may use {U} and {month} themselves
    placeholders = {k: _expand(v, placeholders) for k, v in placeholders.items()}
    builtins = {
        "datetime_line": _datetime_line(month_alt, gdata.get("datetime", {}).get("words", []))
    }
    return _Shared(placeholders, lists, builtins)


def _generic_profile(gdata: dict, shared: _Shared, where: str) -> Profile:
    placeholders, lists = shared.placeholders, shared.lists
    sections = gdata.get("sections", {})
    gmeta = gdata.get("meta", {})
    grules = _rules(gdata, placeholders, lists, where, shared.builtins)
    return Profile(
        name=None,
        strong=(),
        weak=(),
        rules=grules,
        time=_compile_all(gmeta.get("time", []), placeholders, where),
        author=_compile_all(gmeta.get("author", []), placeholders, where),
        author_line=None,
        tags=_compile_all(gmeta.get("tags", []), placeholders, where),
        datelines=_compile_all(gmeta.get("datelines", []), placeholders, where),
        header_noise=_compile_all(gdata.get("header", {}).get("noise", []), placeholders, where),
        header_byline=_compile_all(gdata.get("header", {}).get("byline", []), placeholders, where),
        breadcrumb_home=frozenset(
            norm_exact(h) for h in gdata.get("breadcrumbs", {}).get("home", [])
        ),
        section_labels=frozenset(norm_exact(s) for s in lists["sections"]),
        category_labels=frozenset(norm_exact(s) for s in sections.get("labels", [])),
    )


def _site_profile(path: Path, generic: Profile, shared: _Shared) -> Profile:
    """One ``tasks/sites/<site>.toml``: its own data first, then the generic layer."""
    placeholders, lists = shared.placeholders, shared.lists
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    where = str(path)
    meta = data.get("meta", {})
    rec = data.get("recognize", {})
    author_line = meta.get("author_line")
    strong = _compile_all(rec.get("strong", []), placeholders, where)
    weak = _compile_all(rec.get("weak", []), placeholders, where)
    rules = _rules(data, placeholders, lists, where, shared.builtins) + generic.rules
    return Profile(
        name=data["name"],
        strong=strong,
        weak=weak,
        rules=rules,
        time=_compile_all(meta.get("time", []), placeholders, where) + generic.time,
        author=_compile_all(meta.get("author", []), placeholders, where) + generic.author,
        author_line=re.compile(_expand(author_line, placeholders)) if author_line else None,
        tags=_compile_all(meta.get("tags", []), placeholders, where) + generic.tags,
        datelines=_compile_all(meta.get("datelines", []), placeholders, where) + generic.datelines,
        header_noise=generic.header_noise,
        header_byline=generic.header_byline,
        breadcrumb_home=generic.breadcrumb_home,
        section_labels=generic.section_labels,
        category_labels=generic.category_labels,
        signals=tuple(SiteSignal.of(3, p) for p in strong)
        + tuple(SiteSignal.of(1, p) for p in weak),
    )


def detect_site(text: str, profiles: Profiles | None = None) -> Profile:
    """The best-scoring site profile (strong pattern = 3, weak = 1; needs >= 2), else generic."""
    profiles = profiles or load_profiles()
    best, best_score = profiles.generic, 1
    lowered = text.lower()
    for prof in profiles.sites:
        score = 0
        for sig in prof.signals:
            if sig.found(text, lowered):
                score += sig.weight
        if score > best_score:
            best, best_score = prof, score
    return best


def site_index(profile: Profile, profiles: Profiles | None = None) -> int:
    """A profile as a small integer (its place among the site profiles; -1 for the generic one),
    the form in which a run hands pass 1's site detection to pass 2 (``run_clean``)."""
    profiles = profiles or load_profiles()
    return -1 if profile is profiles.generic else profiles.sites.index(profile)


def _site_key(profile: Profile, text: str | None = None) -> str:
    """The name a page's repeated lines are counted under: its profile's name, else the domain
    the page names most often (``site_domain``), else ``unknown``. So the pages of a site without
    a profile are counted together, apart from other unknown sites."""
    if profile.name:
        return profile.name
    return (site_domain(text) if text else None) or UNKNOWN_SITE


# a domain written in the text ("News.Az", "www.example.com", "en.example.ru"), not an e-mail:
# found from its top-level part (a literal "." first: a fast scan), then its labels before it
_TLDS = "az|ru|com|net|org|info|news|media|tv|ge|kz|uz|tr|ua|by|am|io|uk|de|fr|us|eu|global"
_TLD = re.compile(rf"(?i)\.(?:{_TLDS})(?![\w\-])")
_LABELS = re.compile(
    r"(?i)(?<![\w@.\-/])(?:www\.)?((?:[a-z0-9][a-z0-9\-]{0,40}\.){0,2}[a-z0-9][a-z0-9\-]{0,40})\Z"
)
DOMAIN_LABELS_MAX = 90  # characters before the top-level part that may hold the labels


def site_domain(text: str) -> str | None:
    """The registered domain the page names most often (ties: the last named), lower case."""
    counts: dict[str, int] = {}
    last: dict[str, int] = {}
    for k, m in enumerate(_TLD.finditer(text)):
        lo = max(0, m.start() - DOMAIN_LABELS_MAX)
        h = _LABELS.search(text, lo, m.start())
        if h is None:
            continue
        labels = (h.group(1) + m.group(0)).lower().split(".")
        keep = 3 if labels[-2] in ("co", "com", "org") and len(labels) > 2 else 2
        dom = ".".join(labels[-keep:])
        counts[dom] = counts.get(dom, 0) + 1
        last[dom] = k
    if not counts:
        return None
    return max(counts, key=lambda d: (counts[d], last[d]))
