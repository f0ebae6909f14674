"""The W3C JSON-LD 1.1 toRdf manifest through kg's JSON-LD path and through plain pyld.

One test runs every case of ../shared/conformance/json-ld-api/tests/toRdf-manifest.jsonld
twice, once through kg.expand.to_quads (with kg's ContextLoader mapping the suite's
URL prefix onto the local folder) and once through pyld.jsonld.to_rdf (with an
equivalent file loader), prints a summary, and asserts that kg is never worse than
pyld. Positive tests compare datasets exactly up to blank-node renaming (see
tests/w3c_manifest.py); negative tests pass when an error is raised (kg must raise
kg.errors.JsonLdError; for pyld any exception counts, as kg turns any pyld
exception into a JsonLdError). Each case has a 10 s budget; a case over it is
skipped with that reason.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyld import jsonld
from w3c_manifest import FAIL, PASS, SKIP, SUITE_BASE, FileLoader, Tally, run_manifest

from kg.config import BuildConfig
from kg.contexts import ContextLoader
from kg.errors import JsonLdError
from kg.expand import to_quads


def _kg_processor(tests_dir: Path):
    loader = ContextLoader(BuildConfig(context_files={SUITE_BASE: tests_dir}))

    def process(document: Any, base: str, options: dict[str, Any]) -> str:
        quads = to_quads(document, base=base, loader=loader, options=options)
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode("utf-8")

    return process


def _pyld_processor(tests_dir: Path):
    loader = FileLoader(tests_dir)

    def process(document: Any, base: str, options: dict[str, Any]) -> str:
        return jsonld.to_rdf(
            document, {**options, "base": base, "documentLoader": loader, "format": "application/n-quads"}
        )

    return process


def _summary(total: int, tallies: dict[str, Tally], seconds: float) -> str:
    lines = [f"W3C JSON-LD 1.1 toRdf manifest: {total} cases, {seconds:.1f} s", ""]
    lines.append(f"{'':6} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for name, tally in tallies.items():
        lines.append(f"{name:6} {tally.count(PASS):7d} {tally.count(FAIL):7d} {tally.count(SKIP):8d}")
    for name, tally in tallies.items():
        lines.append("")
        lines.append(f"{name} skip reasons:")
        for reason, count in sorted(tally.skip_reasons().items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {count:4d}  {reason}")
    lines.append("")
    lines.append("negative tests passed with an error naming the expected code (informational):")
    for name, tally in tallies.items():
        matched, passed = tally.code_matches()
        lines.append(f"  {name:6} {matched}/{passed}")
    kg = tallies["kg"]
    lines.append("")
    lines.append(f"kg failures ({kg.count(FAIL)}):")
    for case_id in kg.ids(FAIL):
        lines.append(f"  {case_id}: {kg.outcomes[case_id].reason[:300]}")
    differing = [
        case_id for case_id in kg.outcomes if kg.outcomes[case_id].status != tallies["pyld"].outcomes[case_id].status
    ]
    lines.append("")
    lines.append(f"cases where kg and pyld differ ({len(differing)}):")
    for case_id in differing:
        lines.append(
            f"  {case_id}: kg {kg.outcomes[case_id].status} ({kg.outcomes[case_id].reason[:150]}), "
            f"pyld {tallies['pyld'].outcomes[case_id].status} ({tallies['pyld'].outcomes[case_id].reason[:150]})"
        )
    slowest = sorted(kg.outcomes.items(), key=lambda item: -item[1].seconds)[:3]
    lines.append("")
    lines.append("slowest kg cases: " + ", ".join(f"{cid} {o.seconds:.2f} s" for cid, o in slowest))
    return "\n".join(lines)


def test_w3c_to_rdf_conformance(conformance_dir: Path) -> None:
    tests_dir = Path(conformance_dir)
    started = time.perf_counter()
    with warnings.catch_warnings():
        # pyld warns (as the spec asks) on keyword-like terms; several cases test exactly that.
        warnings.simplefilter("ignore", SyntaxWarning)
        cases, tallies = run_manifest(
            tests_dir,
            {
                "kg": (_kg_processor(tests_dir), (JsonLdError,)),
                "pyld": (_pyld_processor(tests_dir), (Exception,)),
            },
        )
    summary = _summary(len(cases), tallies, time.perf_counter() - started)
    print("\n" + summary)

    kg, pyld = tallies["kg"], tallies["pyld"]
    assert len(cases) >= 400, f"the manifest holds only {len(cases)} cases:\n{summary}"
    regressions = [cid for cid in pyld.ids(PASS) if kg.outcomes[cid].status != PASS]
    assert not regressions, (
        "kg fails cases plain pyld passes:\n"
        + "\n".join(f"  {cid}: {kg.outcomes[cid].status}: {kg.outcomes[cid].reason}" for cid in regressions)
        + "\n\n"
        + summary
    )
    assert kg.count(PASS) >= pyld.count(PASS), f"kg passes fewer cases than pyld:\n{summary}"
