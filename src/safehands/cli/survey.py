"""`safehands survey`: score safety-culture survey responses from a CSV file.

`safehands survey score RESPONSES.csv --instrument saq|sops-hospital-2 [--by COL]
[--min-respondents N] --out SCORES.csv` needs no database. RESPONSES.csv has one row per
respondent, an optional grouping column and one column per item code holding the numeric
answer (1-5, empty when missing, 9 for "does not apply"). SCORES.csv has one row per group
and scale: `group, scale, respondents, mean_score, pct_positive, suppressed` (and `mature` for
SAQ). The first group, `all`, is every respondent; with --by, one group per value follows.
Groups below the minimum, and siblings that would give them away, are suppressed and carry
no numbers. Formatting follows `safehands spc`: booleans `true`/`false`, numbers the
shortest round-trip decimal, whole numbers without `.0`, missing values empty.
"""

from __future__ import annotations

from pathlib import Path

import click

from safehands.core.tables import csv_writer

OVERALL = "all"   # the same as safehands.culture.responses_csv.OVERALL
COLUMNS = ["group", "scale", "respondents", "mean_score", "pct_positive", "suppressed"]
INSTRUMENTS = ("saq", "sops-hospital-2")


@click.group()
def survey() -> None:
    """Safety-culture surveys: score responses (SAQ, SOPS Hospital 2.0)."""


def _number(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_responses(path: Path, spec, by: str | None) -> dict[str, list[dict[str, int | None]]]:
    """Groups of answers; every problem names the file, its row (line) and column."""
    from safehands.culture.responses_csv import ResponsesInvalid
    from safehands.culture.responses_csv import read_responses as parse

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise click.ClickException(f"{path}: cannot read the file ({err})") from None
    try:
        return parse(text, spec, by=by)
    except ResponsesInvalid as err:
        raise click.ClickException(f"{path}: {err}") from None


@survey.command("score")
@click.argument("responses", metavar="RESPONSES.csv",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--instrument", required=True, type=click.Choice(INSTRUMENTS))
@click.option("--by", "by", metavar="COL", help="Grouping column (e.g. the unit code).")
@click.option("--min-respondents", type=click.IntRange(min=1), default=5, show_default=True,
              help="Hide groups with fewer respondents (and siblings that would reveal them).")
@click.option("--out", "out_path", required=True, metavar="SCORES.csv",
              type=click.Path(dir_okay=False, path_type=Path))
def score(responses: Path, instrument: str, by: str | None, min_respondents: int,
          out_path: Path) -> None:
    """Score RESPONSES.csv per group and scale, with minimum-respondent protection."""
    from safehands.core.errors import DomainError
    from safehands.culture.instruments import packaged_spec
    from safehands.culture.scoring import score_groups

    try:
        spec = packaged_spec(instrument)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    groups = read_responses(responses, spec, by)
    subgroups = sorted(g for g in groups if g != OVERALL)
    children = {OVERALL: subgroups} if subgroups else None
    results = score_groups(groups, spec, children=children, min_respondents=min_respondents)
    order = {g: i for i, g in enumerate([OVERALL, *subgroups])}
    scale_order = {s: i for i, s in enumerate(spec.scales)}
    results.sort(key=lambda r: (order[r.group], scale_order[r.scale]))
    columns = COLUMNS + (["mature"] if spec.method == "saq" else [])
    try:
        with out_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv_writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for r in results:
                row = [r.group, r.scale, _number(r.respondents), _number(r.mean_score),
                       _number(r.pct_positive), _number(r.suppressed)]
                if spec.method == "saq":
                    row.append(_number(r.mature))
                writer.writerow(row)
    except OSError as err:
        raise click.ClickException(f"cannot write {out_path}: {err.strerror or err}") from None
    shown = sum(1 for r in results if not r.suppressed)
    click.echo(f"{out_path}: {len(results)} rows ({shown} shown, "
               f"{len(results) - shown} suppressed), {len(groups[OVERALL])} respondents")


@survey.command("questionnaire")
@click.option("--instrument", required=True, type=click.Choice(INSTRUMENTS))
@click.option("--out", "out_path", required=True, metavar="Q.json",
              type=click.Path(dir_okay=False, path_type=Path))
def questionnaire(instrument: str, out_path: Path) -> None:
    """Write the packaged instrument as a FHIR R4 Questionnaire (demo wording)."""
    import json

    from safehands.culture.instruments import packaged, questionnaire_resource

    resource = questionnaire_resource(packaged()[instrument])
    try:
        out_path.write_text(json.dumps(resource, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    except OSError as err:
        raise click.ClickException(f"cannot write {out_path}: {err.strerror or err}") from None
    click.echo(f"{out_path}: {len(resource['item'])} scales and items")


def _actor(username: str):
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise click.ClickException(f"There is no active user '{username}'.")
    return actor


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise click.ClickException(f"{path}: cannot read the file as UTF-8 text ({err})") \
            from None


@survey.command("define")
@click.argument("file", metavar="INSTRUMENT.yaml", type=click.Path(dir_okay=False,
                                                                    path_type=Path))
@click.option("--as", "as_user", required=True, metavar="USERNAME",
              help="A programme administrator.")
def define(file: Path, as_user: str) -> None:
    """Add a local instrument from YAML in the packaged format (docs/culture.md)."""
    from safehands.cli._django import django_setup

    django_setup()
    from safehands.core.errors import DomainError
    from safehands.culture.services import instrument_define

    try:
        instrument = instrument_define(text=_read_text(file), actor=_actor(as_user),
                                       source="cli")
    except DomainError as err:
        raise click.ClickException(f"{file}: {err.message}") from None
    click.echo(f"instrument {instrument.code}: {instrument.items.count()} items")


@survey.command("import-wording")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--instrument", "code", required=True, metavar="CODE")
@click.option("--format", "fmt", type=click.Choice(["csv", "fhir"]), required=True)
@click.option("--as", "as_user", required=True, metavar="USERNAME",
              help="A programme administrator of a licensed organisation.")
def import_wording(file: Path, code: str, fmt: str, as_user: str) -> None:
    """Replace the demo wording with the licensed official item texts; all or nothing."""
    from safehands.cli._django import django_setup

    django_setup()
    from safehands.core.errors import DomainError
    from safehands.culture.models import Instrument
    from safehands.culture.services import instrument_wording_import

    instrument = Instrument.objects.filter(code=code).first()
    if instrument is None:
        raise click.ClickException(f"There is no instrument '{code}' in the database.")
    try:
        count = instrument_wording_import(instrument=instrument, text=_read_text(file),
                                          fmt=fmt, actor=_actor(as_user), source="cli")
    except DomainError as err:
        raise click.ClickException(f"{file}: {err.message}") from None
    click.echo(f"{instrument.code}: {count} item texts replaced")
