"""A deterministic synthetic glossary corpus in the crawler-dump format of the seeds, for benchmarks.

Area pages (a CollectionPage whose hasPart lists 3-30 definitions, an FAQPage, a BreadcrumbList)
make up most of the corpus; the rest are definition pages (an Article, a BreadcrumbList and
sometimes an FAQPage). Definitions are shared across areas with a Zipf-like reuse: a few
appear in thousands of areas, most in one or two. Every page is 10-20 KB. All text is made
of words from the vocabulary below; nothing is copied from a real site.

    python benchmarks/corpus.py 10000 /tmp/kg-bench/corpus-10000-s0
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import random
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson

SITE = "https://bench.example.org/"
SITE_NAME = "Bench Glossary"
# Bump when the output changes, so cached corpora are regenerated.
GENERATOR_VERSION = 2
MARKER = ".corpus.json"
ORIGINALS = ".originals"  # mutate() keeps the pages it changed here; restore() puts them back

MIN_BYTES = 10_240  # 10 KiB
MAX_BYTES = 20_000  # 20 kB
_TARGET_LOW, _TARGET_HIGH = 10_700, 19_500  # leaves room for mutate() to change a description
DEFINITION_PAGE_SHARE = 0.2
# Zipf-Mandelbrot popularity 1 / (rank + offset) ** exponent: long-tailed, but the most used
# definition appears in about a fifth of the areas rather than in most of them.
ZIPF_EXPONENT, ZIPF_OFFSET = 1.0, 10
MIN_AREA_SIZE, MAX_AREA_SIZE = 3, 30

# Topic words, used for names and prose alike.
NOUNS = """
liquidity oracle collateral margin vault pool swap bridge rollup channel validator sequencer
mempool slippage spread order book auction settlement custody wallet signature nonce block
epoch shard relay router gateway peer node packet latency bandwidth throughput gossip
consensus finality fork reorg checkpoint stake delegation governance treasury token bond
yield lending borrowing leverage position option future perpetual funding basis hedge delta
gamma vega theta volatility premium strike expiry payoff derivative clearing netting escrow
timelock hashlock preimage commitment proof circuit verifier prover state transition
ledger account balance fee gas calldata blob bundle builder proposer searcher arbitrage
keeper liquidation solvency insurance reserve peg stablecoin index basket curve invariant
reward emission incentive vesting airdrop snapshot quorum proposal multisig custodian
counterparty exposure risk hazard attack exploit audit upgrade proxy module registry
socket handshake session tunnel overlay topology mesh hop route discovery beacon heartbeat
congestion backpressure queue buffer window retransmission checksum frame protocol
encoding compression serialization endpoint client server broker stream topic partition
replica leader follower quorum lease lock timeout watchdog watchtower challenge dispute
fraud validity batch compression aggregation threshold cryptography entropy randomness
""".split()
ADJECTIVES = """
decentralized permissionless trustless atomic optimistic synthetic cross-chain on-chain
off-chain layer-two automated adaptive dynamic fixed variable isolated shared composable
programmable collateralized undercollateralized overcollateralized algorithmic
deterministic probabilistic asynchronous synchronous distributed peer-to-peer multi-party
bidirectional unidirectional private public encrypted signed verified modular
low-latency high-frequency non-custodial custodial fungible non-fungible
""".split()
CONNECTIVES = """
the the the a a of of of and and with across between within for for to to by by in in on
through under over against without while when where which that this its each every many
several some most
""".split()
VERBS = """
settles routes secures balances hedges prices matches clears nets locks releases signs
verifies aggregates batches compresses forwards relays broadcasts validates finalizes
liquidates rebalances allocates distributes measures bounds limits reduces increases
exposes mitigates coordinates schedules replicates partitions
""".split()
# Prose weights: mostly topic words, held together by connectives and verbs.
_PROSE = NOUNS * 3 + ADJECTIVES * 3 + CONNECTIVES * 4 + VERBS * 3 + ["protocol's", "counterparty's", "market's"]
ASPECTS = """
Action Architecture Risk Algorithm Mechanism Protocol Function Analysis Governance Settlement
Liquidity Security Latency Incentive Topology Consensus Execution Custody Pricing Design
""".split()
AUTHORS = [
    ("Bench Glossary Editors", "editors"),
    ("Protocol Research Desk", "protocol-research"),
    ("Market Structure Team", "market-structure"),
    ("Network Operations Notes", "network-operations"),
    ("Derivatives Working Group", "derivatives"),
]
_SEP = " \u238a "  # the "⎊" separator the seeds use in titles and descriptions


@dataclass(frozen=True)
class Definition:
    name: str
    slug: str
    kind: str  # "definition" or "term": the two URL folders of the seeds' site

    @property
    def url(self) -> str:
        return f"{SITE}{self.kind}/{self.slug}/"


@dataclass(frozen=True)
class DefinitionDetails:
    description: str
    published: str
    modified: str
    author: int
    image_caption: str


def _title(words: list[str]) -> str:
    return " ".join(word if word.isupper() else word[:1].upper() + word[1:] for word in words)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_PROSE, k=rng.randint(8, 22))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), "\u2013")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def text(rng: random.Random, chars: int) -> str:
    """Synthetic prose of about `chars` characters (never more), ending with a full stop."""
    parts: list[str] = []
    total = 0
    while total < chars:
        sentence = _sentence(rng)
        parts.append(sentence)
        total += len(sentence) + 1
    prose = " ".join(parts)
    if len(prose) > chars:
        prose = prose[: max(prose.rfind(" ", 0, chars - 1), 1)].rstrip(" ,.\u2013") + "."
    return prose


def _unique_names(rng: random.Random, count: int, lengths: tuple[int, int], taken: set[str]) -> list[str]:
    names = []
    while len(names) < count:
        words = rng.choices(ADJECTIVES if rng.random() < 0.4 else NOUNS, k=1) + rng.choices(
            NOUNS, k=rng.randint(lengths[0], lengths[1]) - 1
        )
        name = _title(words)
        slug = _slug(name)
        if slug in taken or len(set(words)) < len(words):
            continue
        taken.add(slug)
        names.append(name)
    return names


def _iso(rng: random.Random, year_from: int = 2024) -> str:
    return (
        f"{rng.randint(year_from, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00:00"
    )


class _Plan:
    """Who is in which area: decided once, up front, so every page agrees with every other."""

    def __init__(self, pages: int, seed: int) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.definition_pages = round(pages * DEFINITION_PAGE_SHARE) if pages >= 5 else 0
        self.area_pages = pages - self.definition_pages
        pool = max(2 * pages, 3 * MAX_AREA_SIZE, self.definition_pages)
        taken: set[str] = set()
        self.definitions = [
            Definition(name, _slug(name), "term" if rng.random() < 0.4 else "definition")
            for name in _unique_names(rng, pool, (2, 4), taken)
        ]
        taken = set()
        self.areas = _unique_names(rng, self.area_pages, (1, 4), taken)
        cumulative, total = [], 0.0
        for rank in range(pool):
            total += 1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT
            cumulative.append(total)
        self.members: list[list[int]] = []
        for _ in range(self.area_pages):
            size = round(MIN_AREA_SIZE + (MAX_AREA_SIZE - MIN_AREA_SIZE) * rng.random() ** 2)
            chosen: dict[int, None] = {}
            while len(chosen) < size:
                index = bisect.bisect_left(cumulative, rng.random() * total)
                chosen[min(index, pool - 1)] = None
            self.members.append(list(chosen))
        # The most used definitions have pages of their own, as on a real glossary.
        self.sections: dict[int, list[int]] = {d: [] for d in range(self.definition_pages)}
        for area, members in enumerate(self.members):
            for definition in members:
                listed = self.sections.get(definition)
                if listed is not None and len(listed) < 8:
                    listed.append(area)
        self.order = [("area", i) for i in range(self.area_pages)] + [
            ("definition", i) for i in range(self.definition_pages)
        ]
        rng.shuffle(self.order)

        self.details = functools.lru_cache(maxsize=50_000)(self._details)

    def _details(self, index: int) -> DefinitionDetails:
        rng = random.Random(f"{self.seed}/definition/{index}")
        published = _iso(rng)
        return DefinitionDetails(
            description=text(rng, rng.randint(70, 190)),
            published=published,
            modified=max(published, _iso(rng, 2025)),
            author=rng.randrange(len(AUTHORS)),
            image_caption=text(rng, rng.randint(80, 200)),
        )


def _author(index: int) -> dict:
    name, slug = AUTHORS[index]
    return {"@type": "Person", "name": name, "url": f"{SITE}author/{slug}/"}


def _image_url(definition: Definition) -> str:
    return f"{SITE}media/{definition.slug}.jpg"


def _listing_description(definition: Definition, details: DefinitionDetails) -> str:
    prefix = "Meaning" + _SEP if definition.kind == "term" else ""
    return f"{prefix}{details.description}{_SEP}Definition"


def _breadcrumb(section: str, name: str, url: str) -> dict:
    items = [("Home", SITE), (section.title(), f"{SITE}{section}/"), (name, url)]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": label, "item": item}
            for position, (label, item) in enumerate(items, 1)
        ],
    }


def _faq(questions: list[tuple[str, str]]) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {"@type": "Question", "name": question, "acceptedAnswer": {"@type": "Answer", "text": answer}}
            for question, answer in questions
        ],
    }


_INDENT = re.compile(r"^( +)", re.MULTILINE)


def _dump(data: dict, compact: bool) -> str:
    """JSON as the seeds write it (4-space indent), or minified; orjson only indents by 2, so double it."""
    if compact:
        return orjson.dumps(data).decode("utf-8")
    return _INDENT.sub(r"\1\1", orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8"))


def _page(title: str, body: str, blocks: list[str], url: str) -> str:
    fenced = "\n\n".join(f"```json\n{block}\n```" for block in blocks)
    return f"# {title}\n\n---\n\n{body}\n\n---\n\n## Raw Schema Data\n\n{fenced}\n\n\n---\n\n**Original URL:** {url}\n"


def _size(page: str) -> int:
    return len(page.encode("utf-8"))


def _area_page(plan: _Plan, index: int) -> str:
    rng = random.Random(f"{plan.seed}/area/{index}")
    name = plan.areas[index]
    url = f"{SITE}area/{_slug(name)}/"
    title = f"{name}{_SEP}Area{_SEP}{SITE_NAME}"
    members = [(plan.definitions[d], plan.details(d)) for d in plan.members[index]]
    target = rng.randint(_TARGET_LOW, _TARGET_HIGH)
    aspects = rng.sample(ASPECTS, 5)
    lead = text(rng, rng.randint(120, 260))

    def render(level: int, answers: list[str]) -> str:
        # Big areas are written more tersely (compact JSON, fewer fields) to stay under 20 kB.
        compact, images, listed_descriptions, bylines = level >= 1, level <= 1, level <= 2, level <= 3
        questions = [
            (f"What is the {aspect} of {name}?", answer) for aspect, answer in zip(aspects, answers, strict=False)
        ]
        parts = []
        for definition, details in members:
            article = {
                "@type": "Article",
                "@id": definition.url,
                "url": definition.url,
                "headline": definition.name,
                "description": _listing_description(definition, details),
                "datePublished": details.published,
            }
            if bylines:
                article["dateModified"] = details.modified
                article["author"] = _author(details.author)
            if images:
                article["image"] = {
                    "@type": "ImageObject",
                    "url": _image_url(definition),
                    "width": 3850,
                    "height": 2166,
                    "caption": details.image_caption,
                }
            parts.append(article)
        collection = {
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "headline": title,
            "description": f"{aspects[0]}{_SEP}{lead}",
            "url": url,
            "publisher": {"@type": "Organization", "name": SITE_NAME},
            "hasPart": parts,
            "image": {"@type": "ImageObject", "url": _image_url(members[0][0])},
        }
        faq_md = "\n\n".join(f"## {question}\n\n{answer}" for question, answer in questions)
        links = "\n\n".join(
            f"## [{d.name}]({d.url})" + (f"\n\n{_listing_description(d, x)}" if listed_descriptions else "")
            for d, x in members
        )
        blocks = [
            _dump(_breadcrumb("area", name, url), compact),
            _dump(_faq(questions), compact),
            _dump(collection, compact),
        ]
        return _page(title, f"{faq_md}\n\n\n---\n\n{links}", blocks, url)

    for level in range(5):
        count = 3 if level == 0 else 2
        bare = _size(render(level, [""] * count))
        if bare + 2 * count * 150 <= target or level == 4:
            break
    # Each answer is written twice (markdown and FAQPage), so it gets half its share of the room.
    room = max(target - bare, 2 * count * 100)
    while room // (2 * count) > 2_000 and count < 5:
        count += 1
        bare = _size(render(level, [""] * count))
        room = max(target - bare, 2 * count * 100)
    answers = [text(rng, room // (2 * count)) for _ in range(count)]
    return render(level, answers)


def _definition_page(plan: _Plan, index: int) -> str:
    rng = random.Random(f"{plan.seed}/definition-page/{index}")
    definition, details = plan.definitions[index], plan.details(index)
    url = definition.url
    section = definition.kind
    title = f"{definition.name}{_SEP}{section.title()}{_SEP}{SITE_NAME}"
    target = rng.randint(_TARGET_LOW, _TARGET_HIGH)
    article = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "headline": definition.name,
        "description": _listing_description(definition, details),
        "articleSection": [plan.areas[area] for area in plan.sections.get(index, [])],
        "mainEntityOfPage": url,
        "about": {"@type": "DefinedTerm", "name": definition.name},
        "datePublished": details.published,
        "dateModified": details.modified,
        "author": _author(details.author),
        "image": {
            "@type": "ImageObject",
            "url": _image_url(definition),
            "width": 3850,
            "height": 2166,
            "caption": details.image_caption,
        },
    }
    blocks = [_dump(_breadcrumb(section, definition.name, url), False), _dump(article, False)]
    if rng.random() < 0.5:
        aspects = rng.sample(ASPECTS, rng.randint(2, 3))
        questions = [(f"What is the {a} of {definition.name}?", text(rng, rng.randint(300, 700))) for a in aspects]
        blocks.append(_dump(_faq(questions), False))
    bare = _size(_page(title, "", blocks, url))
    paragraphs = []
    room = target - bare
    while room > 200:
        paragraph = text(rng, min(room - 2, rng.randint(500, 1100)))
        paragraphs.append(paragraph)
        room -= _size(paragraph) + 2
    return _page(title, "\n\n".join(paragraphs), blocks, url)


def _clear(folder: Path) -> None:
    """Empty a folder that holds an earlier corpus; refuse any other non-empty folder."""
    if not folder.exists():
        return
    if any(folder.iterdir()) and not (folder / MARKER).exists():
        raise FileExistsError(f"{folder} is not empty and holds no generated corpus; refusing to overwrite it")
    (folder / MARKER).unlink(missing_ok=True)
    shutil.rmtree(folder / ORIGINALS, ignore_errors=True)
    for path in folder.glob("*.txt"):
        path.unlink()


def generate(folder: Path, pages: int, seed: int = 0) -> Path:
    """Write a corpus of `pages` pages into `folder` (same pages and seed -> the same bytes)."""
    folder = Path(folder)
    _clear(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plan = _Plan(pages, seed)
    sizes = []
    for number, (kind, index) in enumerate(plan.order):
        if kind == "area":
            page, slug = _area_page(plan, index), _slug(plan.areas[index])
        else:
            page, slug = _definition_page(plan, index), plan.definitions[index].slug
        data = page.encode("utf-8")
        if not MIN_BYTES <= len(data) <= MAX_BYTES:
            raise RuntimeError(f"generator bug: {kind} page {index} is {len(data)} bytes")
        sizes.append(len(data))
        (folder / f"{number:06d}_{kind}_{slug}.txt").write_bytes(data)
    area_sizes = sorted((len(m) for m in plan.members), reverse=True)
    used = Counter(definition for members in plan.members for definition in members)
    uses = sorted(used.values(), reverse=True)
    most_used = used.most_common(1)[0][0] if used else None
    marker = {
        "generator_version": GENERATOR_VERSION,
        "pages": pages,
        "seed": seed,
        "area_pages": plan.area_pages,
        "definition_pages": plan.definition_pages,
        "definition_pool": len(plan.definitions),
        "bytes": sum(sizes),
        "min_page_bytes": min(sizes, default=0),
        "max_page_bytes": max(sizes, default=0),
        "area_sizes": {
            "min": min(area_sizes, default=0),
            "max": max(area_sizes, default=0),
            "mean": round(sum(area_sizes) / max(len(area_sizes), 1), 1),
        },
        "definitions_listed": len(uses),
        "areas_per_definition": {
            "max": uses[0] if uses else 0,
            "p50": uses[len(uses) // 2] if uses else 0,
            "p99": uses[len(uses) // 100] if uses else 0,
            "listed_once_share": round(sum(1 for u in uses if u == 1) / max(len(uses), 1), 3),
        },
        # Values that exist in this corpus, for queries that take a parameter.
        "largest_area": plan.areas[max(range(len(plan.members)), key=lambda a: len(plan.members[a]))]
        if plan.members
        else None,
        "most_listed_definition": plan.definitions[most_used].name if most_used is not None else None,
    }
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    return folder


def is_generated(folder: Path, pages: int, seed: int = 0) -> bool:
    """True when `folder` holds an unmodified corpus made by this generator with these settings."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return False
    pristine = not (Path(folder) / ORIGINALS).exists()
    return (
        pristine
        and marker.get("generator_version") == GENERATOR_VERSION
        and marker.get("pages") == pages
        and marker.get("seed") == seed
    )


_DESCRIPTION = re.compile(r'("description":\s*")((?:[^"\\]|\\.)*)(")')


def page_description(page: str) -> str:
    """The description mutate() changes: the first JSON "description" of the page."""
    found = _DESCRIPTION.search(page)
    if found is None:
        raise ValueError("the page has no description")
    return json.loads(f'"{found.group(2)}"')


def mutate(folder: Path, fraction: float, seed: int = 1) -> list[Path]:
    """Rewrite the page description (the first JSON "description") of `fraction` of the pages.

    The originals are kept in FOLDER/.originals until restore(); returns the changed files.
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.txt"))
    count = min(len(files), max(1, round(len(files) * fraction)))
    rng = random.Random(seed)
    chosen = sorted(rng.sample(files, count))
    keep = folder / ORIGINALS
    keep.mkdir(exist_ok=True)
    for path in chosen:
        page = path.read_text("utf-8")
        if not (keep / path.name).exists():
            shutil.copy2(path, keep / path.name)
        found = _DESCRIPTION.search(page)
        if found is None:
            raise ValueError(f"{path} has no description to change")
        old = json.loads(f'"{found.group(2)}"')
        new = "Revised" + _SEP + text(rng, max(len(old) - 10, 40))
        replacement = json.dumps(new, ensure_ascii=False)[1:-1]
        page = page[: found.start(2)] + replacement + page[found.end(2) :]
        path.write_text(page, "utf-8")
    return chosen


def restore(folder: Path) -> int:
    """Undo mutate(): put the kept originals back; returns how many pages were restored."""
    keep = Path(folder) / ORIGINALS
    if not keep.is_dir():
        return 0
    restored = 0
    for original in keep.iterdir():
        original.replace(Path(folder) / original.name)
        restored += 1
    keep.rmdir()
    return restored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic glossary corpus for benchmarks.")
    parser.add_argument("pages", type=int, help="number of pages")
    parser.add_argument("folder", type=Path, help="where to write them (created; an earlier corpus is replaced)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    generate(args.folder, args.pages, args.seed)
    marker = json.loads((args.folder / MARKER).read_text())
    print(
        f"wrote {args.pages} pages ({marker['area_pages']} areas, {marker['definition_pages']} definitions), "
        f"{marker['bytes'] / 1e6:.1f} MB, {marker['min_page_bytes']}-{marker['max_page_bytes']} bytes a page, "
        f"into {args.folder}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
