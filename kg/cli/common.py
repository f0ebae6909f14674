"""The `kg` command group and what its commands share: the build-folder option, one-line errors, lazy choices."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .. import __version__
from ..errors import KgError, disk_full
from ..terminal import printable


def output_option(command):
    """-o/--output DIR: the build folder every command reads or writes."""
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Build folder: holds the store and the generated files.",
    )(command)


def user_errors(command):
    """Turn the library's named errors into one-line messages (no tracebacks)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (KgError, OSError) as exc:
            known = exc if isinstance(exc, KgError) else disk_full(exc)
            if known is None:
                raise
            error = click.ClickException(printable(str(known)))  # it may quote page text
            error.exit_code = known.exit_code
            raise error from None
        except KeyboardInterrupt:
            click.echo("interrupted; the previous build is intact", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main():
    """kg builds a knowledge graph from web pages that carry schema.org JSON-LD.

    \b
    kg build ../shared/seeds        # pages -> output/store and output/graph.ttl
    kg export -f trig --to -        # the store in a standard format
    """


class LazyHelpOption(click.Option):
    """An option whose help ends with text from a registry, read only when help is shown,
    so that `kg --help` loads no store."""

    def __init__(self, *args, help_tail, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_tail = help_tail

    def get_help_record(self, ctx):
        if self.help_tail is not None:
            self.help, self.help_tail = f"{self.help} {self.help_tail()}", None
        return super().get_help_record(ctx)


class LazyChoice(click.Choice):
    """A choice among a registry's names, read when an option is parsed or shown."""

    def __init__(self, load, case_sensitive: bool = True):
        self._load = load
        self.case_sensitive = case_sensitive

    @property
    def choices(self):
        return tuple(self._load())
