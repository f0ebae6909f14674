"""The documents promise what exists: every command has help with an example and a place in
the README, and every query of the library is in the README's table."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import readme_library_queries, readme_section

from kg.cli.common import main
from kg.library import library

COMMANDS = sorted(main.commands)
QUERIES = sorted(library())


def test_there_are_commands_and_queries_to_check():
    assert len(COMMANDS) >= 9 and len(QUERIES) >= 10


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    example = result.output.split("Example:", 1)
    assert len(example) == 2, f"kg {name} --help shows no example"
    assert f"kg {name}" in example[1], f"kg {name} --help: the example does not run kg {name}"


@pytest.mark.parametrize("name", COMMANDS)
def test_readme_describes_command(name):
    assert f"**`kg {name}" in readme_section("Commands"), f"the README's Commands section has no kg {name}"


@pytest.mark.parametrize("name", QUERIES)
def test_readme_names_library_query(name):
    assert name in readme_library_queries(), f"the README's query library table has no {name}"


def test_readme_names_no_query_the_library_lacks():
    assert sorted(readme_library_queries()) == QUERIES


def test_top_level_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:", 1)[1].split()
    assert all(name in listed for name in COMMANDS)
