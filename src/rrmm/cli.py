"""The ``rrmm`` command line. An interface only: it reads, calls the library and prints."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rrmm.record import Record, RecordError, record_from_json

app = typer.Typer(
    help="Clinical decision support for relapsed/refractory multiple myeloma.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INVALID_RECORD = 2


class Format(StrEnum):
    text = "text"
    json = "json"


class Jurisdiction(StrEnum):
    us = "us"
    eu = "eu"


def _fail(message: str) -> typer.Exit:
    """One line on stderr, exit code 2, nothing on stdout."""
    sys.stderr.write(f"rrmm: error: {message}\n")
    return typer.Exit(EXIT_INVALID_RECORD)


def _console() -> Console:
    """The terminal, or 110 columns when the output goes to a file or a pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 110))


def read_record(source: str) -> Record:
    """Read and validate a record from a file path, or from standard input for ``-``."""
    try:
        text = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {source}: {exc.strerror}") from None
    try:
        return record_from_json(text)
    except RecordError as exc:
        raise _fail(str(exc)) from None


@app.command()
def plan(
    record: Annotated[str, typer.Argument(help="Patient record (JSON, schema version 1), or - for stdin.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    jurisdiction: Annotated[
        Jurisdiction, typer.Option("--jurisdiction", "-j", help="Whose drug approvals apply.")
    ] = Jurisdiction.us,
) -> None:
    """Work out the disease state and the ranked, explained treatment options for one patient record."""
    from rrmm.planning import build_plan

    result = build_plan(read_record(record), jurisdiction.value)
    if format is Format.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
    else:
        from rrmm.report.text import render_plan

        render_plan(result, _console())


@app.command()
def regimens(
    regimen_id: Annotated[str | None, typer.Argument(help="Show one regimen in full.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """List the regimens of the knowledge base, or show one with its evidence and rules."""
    from rrmm.knowledge import knowledge_base
    from rrmm.report.text import render_regimen, render_regimens

    kb = knowledge_base()
    if regimen_id is None:
        if format is Format.json:
            sys.stdout.write(
                json.dumps([r.model_dump(mode="json") for r in kb.regimens], indent=2, default=str)
            )
            sys.stdout.write("\n")
        else:
            render_regimens(kb, _console())
        return
    try:
        regimen = kb.regimen(regimen_id)
    except KeyError:
        known = ", ".join(r.id for r in kb.regimens)
        raise _fail(f"no regimen {regimen_id!r} in the knowledge base (known: {known})") from None
    if format is Format.json:
        sys.stdout.write(json.dumps(regimen.model_dump(mode="json"), indent=2, default=str) + "\n")
    else:
        render_regimen(regimen, _console())


@app.command()
def synth(
    n: Annotated[int, typer.Option("--n", min=1, help="How many records.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same records).")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write one JSON file per record; stdout if absent.")
    ] = None,
) -> None:
    """Write realistic synthetic patient records (schema version 1)."""
    from rrmm.synth import synthesize

    records = synthesize(n, seed)
    if out is None:
        sys.stdout.write(json.dumps(records, indent=2) + "\n")
        return
    out.mkdir(parents=True, exist_ok=True)
    for rec in records:
        (out / f"{rec['id']}.json").write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {len(records)} records to {out}\n")


def main() -> None:  # pragma: no cover - console entry point
    app()
