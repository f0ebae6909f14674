"""Page text reaches a terminal escaped: no control sequence or bidi override runs; files and pipes stay exact."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pages
import pytest
from click.testing import CliRunner

from kg.cli.common import main

SITE = "https://tricky.example/"
# Sets the terminal's title, rings its bell and clears its screen; then a right-to-left override.
AREA = "Tricky\x1b]0;TITLE\x07\x1b[2J Area"
WORD = "Mirror \u202eWord"
AREA_SHOWN = "Tricky\\x1b]0;TITLE\\x07\\x1b[2J Area"
WORD_SHOWN = "Mirror \\u202eWord"


def dump(name: str, url: str, data: dict) -> str:
    return pages.dump(url, data, title=name)


@pytest.fixture(scope="module")
def tricky(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tricky")
    (folder / "pages").mkdir()
    word = {"@type": "DefinedTerm", "name": WORD, "url": SITE + "definition/mirror/", "description": "Reads backwards."}
    area = {"@context": "https://schema.org", "@type": "CollectionPage", "@id": SITE + "area/tricky/"}
    area |= {"url": SITE + "area/tricky/", "name": AREA, "hasPart": [word]}
    (folder / "pages" / "area.txt").write_text(dump("area", SITE + "area/tricky/", area), "utf-8")
    result = CliRunner().invoke(main, ["build", str(folder / "pages"), "-o", str(folder / "out")])
    assert result.exit_code == 0, result.output
    return folder / "out"


def kg(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def on_a_terminal(*args: str) -> str:
    """What `kg ARGS` writes to a real terminal (a pseudo-terminal as its standard output)."""
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "kg", *args], stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert child.wait(timeout=60) == 0, child.stderr.read()
    return b"".join(chunks).decode("utf-8")


LABELS = "SELECT ?label WHERE { ?c kg:kind ?kind ; skos:prefLabel ?label } ORDER BY ?kind"


def test_a_query_table_shows_control_and_bidi_characters_escaped(tricky: Path):
    output = kg("query", "-o", str(tricky), "-e", LABELS)
    assert AREA_SHOWN in output and WORD_SHOWN in output
    assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output


def test_csv_and_json_to_a_pipe_stay_exact(tricky: Path):
    csv_text = kg("query", "-o", str(tricky), "-f", "csv", "-e", LABELS)
    assert csv_text.splitlines()[1:] == [AREA, WORD]
    rows = json.loads(kg("query", "-o", str(tricky), "-f", "json", "-e", LABELS))["results"]["bindings"]
    assert [row["label"]["value"] for row in rows] == [AREA, WORD]


def test_csv_to_a_terminal_is_escaped(tricky: Path):
    shown = on_a_terminal("query", "-o", str(tricky), "-f", "csv", "-e", LABELS)
    assert AREA_SHOWN in shown and WORD_SHOWN in shown
    assert "\x1b" not in shown and "\u202e" not in shown


def test_stats_and_path_show_labels_escaped(tricky: Path):
    for output in (kg("stats", "-o", str(tricky)), kg("path", "-o", str(tricky), "Tricky", "Mirror")):
        assert AREA_SHOWN in output and WORD_SHOWN in output, output
        assert "\x1b" not in output and "\u202e" not in output
