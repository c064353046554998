"""The report's "who stands where" section: findings on hand-built stances, and the rendered Markdown and HTML
of a real database (stances written by write_tags, read back by storage.reads.report_data)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from models.report import StanceRow
from models.settings import Settings
from reports.findings import who_stands_where
from tests.test_stance_storage import _db

OPTIONS = (("troops_training", "European troops in Ukraine"), ("air_sea_shield", "Air and sea shield"))


def _row(week: str, day: int, actor: str, option: str, stance: str) -> StanceRow:
    return StanceRow(week, actor, option, stance, f"{actor} {stance}s {option}", f"title {day}",
                     f"https://wire.example/{day}", "Wire", datetime(2026, 11, day, tzinfo=UTC))


def test_matrix_changes_and_most_active() -> None:
    rows = (
        _row("2026-W46", 10, "merz", "troops_training", "oppose"),
        _row("2026-W46", 11, "macron", "troops_training", "support"),
        _row("2026-W47", 17, "merz", "troops_training", "support"),
        _row("2026-W47", 18, "macron", "troops_training", "support"),
        _row("2026-W47", 18, "putin", "troops_training", "oppose"),
        _row("2026-W47", 19, "macron", "air_sea_shield", "support"),
    )
    w = who_stands_where(rows, OPTIONS, "2026-W47", ("2026-W46", "2026-W47"))
    assert w.actors[0] == "macron" and set(w.actors) == {"macron", "merz", "putin"}
    assert w.cells[("putin", "troops_training")] == (0, 1) and w.cells[("macron", "air_sea_shield")] == (1, 0)
    assert [(c.actor_id, c.before.stance, c.now.stance, c.before.url) for c in w.changes] == [
        ("merz", "oppose", "support", "https://wire.example/10")]
    assert w.active["troops_training"][0] == ("macron", 2, 0)
    # Last week had no change: Merz's first position is not a change.
    assert who_stands_where(rows, OPTIONS, "2026-W46", ("2026-W46",)).changes == ()


def test_the_report_shows_who_stands_where(tmp_path: Path) -> None:
    from flows.reporting import build_reports

    db = _db(tmp_path)
    built = build_reports(Settings(db=db), week="2026-W47", out=tmp_path / "out")
    md = built.markdown["2026-W47"]
    section = md.split("## Who stands where, 2026-W47", 1)[1].split("## Feed health", 1)[0]
    assert "| Merz |" in section or "| merz |" in section.lower()
    assert "oppose (2026-W46) → support" in section
    assert "[t2](https://wire.example/2)" in section and "[t3](https://wire.example/3)" in section
    html = (tmp_path / "out" / "2026-W47.html").read_text(encoding="utf-8")
    assert 'id="stances"' in html and "Changes of position" in html and 'href="https://wire.example/3"' in html
