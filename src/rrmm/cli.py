"""The ``rrmm`` command line. An interface only: it reads, calls the library and prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from rrmm.record import Record, RecordError, record_from_json

if TYPE_CHECKING:
    from rrmm.db import Repository
    from rrmm.toxicity.astct import AstctGrade
    from rrmm.trials.study import Study

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


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    fhir = "fhir"


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


StudiesOption = Annotated[
    Path | None,
    typer.Option("--studies", help="A file of ClinicalTrials.gov API v2 study objects to match against."),
]
StoreOption = Annotated[
    Path | None, typer.Option("--store", help="The local trial database (default: $RRMM_HOME/trials.sqlite).")
]


def _corpus(studies: Path | None, store: Path | None, required: bool) -> list[Study] | None:
    """The trial corpus: a --studies file, else the local store when it exists."""
    from rrmm.trials.store import StudyStore, default_store_path
    from rrmm.trials.study import load_studies

    if studies is not None:
        try:
            return load_studies(studies)
        except (OSError, ValueError) as exc:
            raise _fail(f"--studies {studies}: {exc}") from None
    path = store or default_store_path()
    if path.exists():
        return StudyStore(path).studies()
    if required:
        raise _fail("no trial corpus: run 'rrmm trials sync' or pass --studies FILE")
    return None


@app.command()
def plan(
    record: Annotated[str, typer.Argument(help="Patient record (JSON, schema version 1), or - for stdin.")],
    format: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="Output format (fhir: a FHIR R4 Bundle).")
    ] = PlanFormat.text,
    jurisdiction: Annotated[
        Jurisdiction, typer.Option("--jurisdiction", "-j", help="Whose drug approvals apply.")
    ] = Jurisdiction.us,
    studies: StudiesOption = None,
    store: StoreOption = None,
) -> None:
    """Work out the disease state, the ranked and explained treatment options and matching trials."""
    from rrmm.planning import build_plan

    patient = read_record(record)
    result = build_plan(patient, jurisdiction.value, _corpus(studies, store, required=False))
    if format is PlanFormat.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
    elif format is PlanFormat.fhir:
        from rrmm.fhir.plan import plan_to_bundle

        sys.stdout.write(json.dumps(plan_to_bundle(result), indent=2) + "\n")
    else:
        from rrmm.report.text import render_plan

        render_plan(result, _console())


OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")]


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)  # all or nothing: no half-written file
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from None


@app.command("import-fhir")
def import_fhir(
    bundle: Annotated[str, typer.Argument(help="A FHIR R4 Bundle (JSON), or - for stdin.")],
    out: OutOption = None,
) -> None:
    """Read a patient from a FHIR R4 Bundle into a record (schema version 1); what cannot be mapped is
    listed on stderr, entry by entry."""
    from rrmm.fhir.importer import FhirImportError, import_bundle

    try:
        raw = sys.stdin.buffer.read() if bundle == "-" else Path(bundle).read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {bundle}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"{bundle}: not JSON ({exc})") from None
    try:
        result = import_bundle(data)
    except FhirImportError as exc:
        raise _fail(str(exc)) from None
    for w in result.warnings:
        sys.stderr.write(f"warning: {w}\n")
    record = result.record.model_dump(mode="json", exclude_defaults=True)
    _write(json.dumps(record, indent=2) + "\n", out)


@app.command("export-fhir")
def export_fhir(
    record: Annotated[str, typer.Argument(help="Patient record (JSON, schema version 1), or - for stdin.")],
    out: OutOption = None,
) -> None:
    """Write a record as a FHIR R4 collection Bundle (Patient, Condition, Observation, MedicationStatement,
    Procedure, AdverseEvent); import-fhir reads it back to the same record."""
    from rrmm.fhir.exporter import record_to_bundle

    _write(json.dumps(record_to_bundle(read_record(record)), indent=2) + "\n", out)


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


trials_app = typer.Typer(
    help="Clinical trials: the ClinicalTrials.gov corpus and criterion-by-criterion matching."
)
app.add_typer(trials_app, name="trials")


@trials_app.command("sync")
def trials_sync(
    store: StoreOption = None,
    max_studies: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many studies.")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Overall statuses to fetch (repeatable).")
    ] = None,
) -> None:
    """Fetch myeloma studies from ClinicalTrials.gov (API v2) into the local database."""
    from rich.progress import Progress

    from rrmm.trials.ctgov import ClinicalTrialsClient
    from rrmm.trials.store import StudyStore, default_store_path
    from rrmm.trials.sync import sync

    path = store or default_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    statuses = tuple(status) if status else ("RECRUITING", "NOT_YET_RECRUITING")
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("studies", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        client = ClinicalTrialsClient(min_interval_s=1.0)  # robots.txt asks for a 1 s crawl delay
        report = sync(client, StudyStore(path), advance, statuses=statuses, max_studies=max_studies)
    sys.stderr.write(f"{report}\n")


@trials_app.command("list")
def trials_list(studies: StudiesOption = None, store: StoreOption = None) -> None:
    """List the studies of the corpus."""
    from rich.table import Table

    corpus = _corpus(studies, store, required=True) or []
    table = Table(title=f"{len(corpus)} studies", expand=True)
    for col in ("NCT id", "status", "phase", "title"):
        table.add_column(col, overflow="fold")
    for s in corpus:
        table.add_row(s.nct_id, s.status, "/".join(s.phases) or "-", s.title)
    _console().print(table)


@trials_app.command("match")
def trials_match(
    record: Annotated[str, typer.Argument(help="Patient record (JSON, schema version 1), or - for stdin.")],
    studies: StudiesOption = None,
    store: StoreOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    top: Annotated[int, typer.Option("--top", min=1, help="How many trials to show.")] = 10,
) -> None:
    """Match one patient against every trial, criterion by criterion."""
    from rrmm.clinical.state import disease_state
    from rrmm.planning.facts import PatientFacts
    from rrmm.planning.plan import trial_out
    from rrmm.trials.matching import match_studies

    patient = read_record(record)
    corpus = _corpus(studies, store, required=True) or []
    matches = match_studies(corpus, PatientFacts(state=disease_state(patient), record=patient))[:top]
    if format is Format.json:
        payload = [trial_out(m).model_dump(mode="json") for m in matches]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        from rrmm.report.text import render_trials

        render_trials([trial_out(m) for m in matches], _console())


@app.command()
def toxicity(
    record: Annotated[str, typer.Argument(help="Patient record (JSON, schema version 1), or - for stdin.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Current toxicity grades, label actions for each drug given now, supportive care, symptom trends."""
    from rrmm.clinical.state import disease_state
    from rrmm.knowledge import knowledge_base
    from rrmm.knowledge.toxicity import toxicity_knowledge
    from rrmm.planning.facts import PatientFacts
    from rrmm.planning.plan import toxicity_out
    from rrmm.toxicity.manager import toxicity_report

    patient = read_record(record)
    facts = PatientFacts(state=disease_state(patient), record=patient)
    report = toxicity_out(toxicity_report(facts, toxicity_knowledge(), knowledge_base().drugs))
    if format is Format.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    else:
        from rrmm.report.text import render_toxicity

        render_toxicity(report, _console())


@app.command()
def interactions(
    record: Annotated[str, typer.Argument(help="Patient record (JSON, schema version 1), or - for stdin.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    jurisdiction: Annotated[
        Jurisdiction, typer.Option("--jurisdiction", "-j", help="Whose drug approvals set the options.")
    ] = Jurisdiction.us,
) -> None:
    """The patient's other medicines (record.medications) against the myeloma drugs given now and those of
    each option: the label rows met, and what could not be checked."""
    from rrmm.planning import build_plan

    result = build_plan(read_record(record), jurisdiction.value, ()).interactions
    if format is Format.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
    else:
        from rich.console import Group
        from rich.panel import Panel

        from rrmm.report.text import interaction_parts

        _console().print(Panel(Group(*interaction_parts(result)), title="rrmm interactions"))


cohort_app = typer.Typer(help="Population scale: the same clinical logic over an OMOP CDM v5.4 database.")
app.add_typer(cohort_app, name="cohort")


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@cohort_app.command("run")
def cohort_run(
    omop: Annotated[
        str,
        typer.Option(
            "--omop", help="Folder of Parquet tables, a DuckDB file, a postgresql:// URL, or spark:DATABASE."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Parquet outputs and summary.html.")],
    engine: Annotated[Engine, typer.Option(help="duckdb (embedded) or spark.")] = Engine.duckdb,
    spark_master: Annotated[
        str | None, typer.Option("--spark-master", help="Spark master URL (default local[2]).")
    ] = None,
    jurisdiction: Annotated[Jurisdiction, typer.Option("--jurisdiction", "-j")] = Jurisdiction.us,
    studies: StudiesOption = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes for the per-patient step (DuckDB).")] = 2,
) -> None:
    """Lines of therapy, refractoriness and options for every myeloma patient, and trial feasibility."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rrmm.cohort.pipeline import SourceError
    from rrmm.cohort.run import run_cohort

    corpus = _corpus(studies, None, required=False) if studies is not None else []
    columns = (TextColumn("patients"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("patients", total=None)
        try:
            summary = run_cohort(
                omop,
                out,
                engine=engine.value,
                jurisdiction=jurisdiction.value,
                studies=corpus or [],
                spark_master=spark_master,
                workers=workers,
                progress=lambda k: bar.advance(task, k),
            )
        except SourceError as exc:
            raise _fail(str(exc)) from None
    _console().print(
        f"{summary.patients} patients ({summary.failed} failed, each with its reason) in "
        f"{summary.seconds:.1f} s on {summary.engine}; outputs: " + ", ".join(summary.outputs.values())
    )


users_app = typer.Typer(help="Users of the clinic service: add one, issue an API token.")
app.add_typer(users_app, name="users")


class Role(StrEnum):
    hematologist = "hematologist"
    pharmacist = "pharmacist"
    nurse = "nurse"
    read_only = "read-only"


def _repository() -> Repository:
    from rrmm.db import Repository, make_engine, migrate

    engine = make_engine()
    migrate(engine)
    return Repository(engine)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user of the clinic service (database: $RRMM_DATABASE_URL, else $RRMM_HOME/rrmm.sqlite)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from rrmm.db import AlreadyExists

    try:
        user = _repository().add_user(username, password, role.value)
    except (ValueError, AlreadyExists) as exc:
        raise _fail(str(exc) or f"user {username!r} already exists") from None
    _console().print(f"user {user.username} ({user.role}) added")


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="The user the token acts for.")],
    days: Annotated[int, typer.Option(min=1, max=365, help="Days the token is valid.")] = 30,
) -> None:
    """Issue a bearer token for the REST API or a CDS Hooks client (printed once, stored hashed)."""
    try:
        token = _repository().issue_token(username, days)
    except (ValueError, LookupError) as exc:
        raise _fail(str(exc)) from None
    sys.stdout.write(token + "\n")


cds_clients_app = typer.Typer(
    help="EHRs trusted to call the CDS Hooks service with a signed JWT (CDS Hooks 2.0, Trusting CDS Clients)."
)
app.add_typer(cds_clients_app, name="cds-clients")


@cds_clients_app.command("add")
def cds_clients_add(
    issuer: Annotated[str, typer.Argument(help="The iss of the EHR's JWTs, exactly as it sends it.")],
    user: Annotated[str, typer.Option("--user", help="The rrmm user its calls act as (role and audit).")],
    jwks: Annotated[
        Path | None,
        typer.Option("--jwks", help="Its JWK Set (public keys), a JSON file exchanged out-of-band."),
    ] = None,
    jku: Annotated[
        str | None, typer.Option("--jku", help="The one https URL its JWTs may name to publish its JWK Set.")
    ] = None,
) -> None:
    """Trust an EHR's JWTs: by its public keys (--jwks), its key-set URL (--jku), or both."""
    from rrmm.api.cds_auth import public_jwk_set
    from rrmm.db import AlreadyExists

    keys = None
    if jwks is not None:
        try:
            keys = public_jwk_set(json.loads(jwks.read_text(encoding="utf-8")))
        except OSError as exc:
            raise _fail(f"--jwks: cannot read {jwks}: {exc.strerror}") from None
        except ValueError as exc:
            raise _fail(f"--jwks {jwks}: {exc}") from None
    if jku is not None and not jku.startswith("https://"):
        raise _fail("--jku: the key-set URL must be https")
    try:
        client = _repository().add_cds_client(issuer, user, jwks=keys, jku=jku)
    except (ValueError, LookupError, AlreadyExists) as exc:
        raise _fail(str(exc)) from None
    n = len(client.jwks["keys"]) if client.jwks else 0
    _console().print(
        f"CDS client {client.issuer} trusted: {n} key(s)"
        + (f", key-set URL {client.jku}" if client.jku else "")
        + f"; its calls act as {client.user.username} ({client.user.role})"
    )


@cds_clients_app.command("list")
def cds_clients_list() -> None:
    """The trusted EHRs: issuer, user, keys and key-set URL."""
    for client in _repository().list_cds_clients():
        kids = ", ".join(k.get("kid", "?") for k in client.jwks["keys"]) if client.jwks else "-"
        sys.stdout.write(f"{client.issuer}\t{client.user.username}\tkids: {kids}\tjku: {client.jku or '-'}\n")


@cds_clients_app.command("remove")
def cds_clients_remove(issuer: Annotated[str, typer.Argument(help="The iss to stop trusting.")]) -> None:
    """Stop trusting an EHR's JWTs."""
    try:
        _repository().remove_cds_client(issuer)
    except LookupError as exc:
        raise _fail(str(exc)) from None
    _console().print(f"CDS client {issuer} removed")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the examples/ records and create a demo user for each role.")
    ] = False,
    studies: StudiesOption = None,
    store: StoreOption = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            envvar="RRMM_PUBLIC_URL",
            help="The URL users and EHRs reach the service at (behind a proxy: its https URL); CDS links "
            "point there and CDS clients' JWTs must name it in aud. Default http://HOST:PORT.",
        ),
    ] = None,
) -> None:
    """Run the clinic: web app at /, REST API at /v1 (OpenAPI at /docs), CDS Hooks at /cds-services."""
    import uvicorn

    from rrmm.api.app import Settings, create_app

    repo = _repository()
    if demo:
        from rrmm.api.demo import load_demo

        for line in load_demo(repo):
            _console().print(line)
    settings = Settings(
        app_url=(public_url or f"http://{host}:{port}").rstrip("/"),
        studies=_corpus(studies, store, required=False),
    )
    uvicorn.run(create_app(repo, settings), host=host, port=port, log_level="info")


astct_app = typer.Typer(
    help="ASTCT consensus grading (Lee et al. 2019) of CRS and ICANS at the bedside, with the ICE score."
)
app.add_typer(astct_app, name="astct")


class Pressure(StrEnum):
    none = "none"
    fluids_only = "fluids_only"
    one = "one"
    multiple = "multiple"


class Oxygen(StrEnum):
    none = "none"
    low_flow = "low_flow"
    high_flow = "high_flow"
    positive_pressure = "positive_pressure"


class Consciousness(StrEnum):
    normal = "normal"
    spontaneous = "spontaneous"
    voice = "voice"
    tactile = "tactile"
    unarousable = "unarousable"


class Seizure(StrEnum):
    none = "none"
    resolved_rapidly = "resolved_rapidly"
    prolonged = "prolonged"


class Edema(StrEnum):
    none = "none"
    focal = "focal"
    diffuse = "diffuse"


def _print_grade(grade: AstctGrade, format: Format) -> None:
    from dataclasses import asdict

    data = asdict(grade)
    if format is Format.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        _console().print(f"{data['syndrome']} grade {data['grade']} (ASTCT): " + "; ".join(data["because"]))


@astct_app.command("crs")
def astct_crs(
    fever: Annotated[
        bool, typer.Option(help="Temperature of 38 C or more not due to another cause.")
    ] = False,
    fever_treated: Annotated[
        bool, typer.Option(help="Antipyretic or anticytokine therapy (tocilizumab, steroids) has been given.")
    ] = False,
    hypotension: Annotated[Pressure, typer.Option(help="Hypotension and what it needs.")] = Pressure.none,
    oxygen: Annotated[Oxygen, typer.Option(help="Oxygen the hypoxia needs.")] = Oxygen.none,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Grade cytokine release syndrome (ASTCT 2019): fever, then the worse of hypotension and hypoxia."""
    from rrmm.toxicity.astct import explain_crs

    _print_grade(explain_crs(fever, hypotension.value, oxygen.value, fever_treated), format)


@astct_app.command("icans")
def astct_icans(
    orientation: Annotated[
        int | None, typer.Option(min=0, max=4, help="ICE: oriented to year, month, city, hospital (0-4).")
    ] = None,
    naming: Annotated[int | None, typer.Option(min=0, max=3, help="ICE: objects named (0-3).")] = None,
    commands: Annotated[bool, typer.Option(help="ICE: follows simple commands.")] = False,
    writing: Annotated[bool, typer.Option(help="ICE: writes a standard sentence.")] = False,
    counting: Annotated[bool, typer.Option(help="ICE: counts backwards from 100 by 10.")] = False,
    ice: Annotated[int | None, typer.Option(min=0, max=10, help="ICE score, if already added up.")] = None,
    consciousness: Annotated[Consciousness, typer.Option()] = Consciousness.normal,
    seizure: Annotated[Seizure, typer.Option()] = Seizure.none,
    motor_weakness: Annotated[bool, typer.Option(help="Deep focal motor weakness.")] = False,
    edema: Annotated[Edema, typer.Option(help="Cerebral edema on neuroimaging.")] = Edema.none,
    unarousable: Annotated[bool, typer.Option(help="Unarousable, ICE could not be done.")] = False,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Grade ICANS (ASTCT 2019, adults) from the ICE items (or score) and the other domains."""
    from rrmm.toxicity.astct import IceAnswers, explain_icans, ice_score

    if ice is None and (orientation is not None or naming is not None):
        ice = ice_score(IceAnswers(orientation or 0, naming or 0, commands, writing, counting))
    if ice is None and not unarousable:
        raise _fail("give the ICE items (--orientation, --naming, ...) or --ice, or --unarousable")
    grade = explain_icans(
        ice,
        consciousness.value,
        seizure.value,
        motor_weakness,
        edema.value,
        unarousable,
    )
    _print_grade(grade, format)


@app.command()
def synth(
    n: Annotated[int, typer.Option("--n", min=1, help="How many records.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same records).")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write one JSON file per record; stdout if absent.")
    ] = None,
    omop: Annotated[
        Path | None,
        typer.Option("--omop", help="Write an OMOP CDM v5.4 cohort (Parquet tables) to this folder instead."),
    ] = None,
) -> None:
    """Write realistic synthetic patient records (schema version 1), or the same patients as OMOP tables."""
    from rrmm.synth import iter_synthesize, synthesize

    if omop is not None:
        from rich.progress import Progress

        from rrmm.cohort.writer import write_omop
        from rrmm.record import record_from_mapping

        with Progress(console=Console(stderr=True)) as bar:
            task = bar.add_task("synthetic patients", total=n)

            def stream() -> Iterator[Record]:
                for raw in iter_synthesize(n, seed):
                    bar.advance(task)
                    yield record_from_mapping(raw)

            counts = write_omop(stream(), omop)
        sys.stderr.write(
            f"wrote {n} patients to {omop}: " + ", ".join(f"{t} {c}" for t, c in counts.items()) + "\n"
        )
        return
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
