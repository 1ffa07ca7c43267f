"""`xuewei season status` and `xuewei season replay` as an operator types them."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from core.cli import main


def test_status_shows_phases_windows_what_is_due_and_what_ran(engine, season, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("XUEWEI_NOW", "2021-06-02T09:00:00+08:00")
    runner = CliRunner()
    assert runner.invoke(main, ["scheduler", "--once"]).exit_code == 0
    result = runner.invoke(main, ["season", "status"])
    assert result.exit_code == 0, result.output
    assert "phase collection" in result.output
    assert " * collection      06-01 10:00 → 06-16 17:00  open" in result.output
    assert " * W3              opens 06-02 08:00  open     青山湖区、高新区" in result.output
    assert "06-02 14:00  season-2021-window-W4  pending" in result.output
    assert "season-2021-window-W3" in result.output.split("ran:")[1]


@pytest.mark.slow
def test_replay_prints_the_phase_log_and_the_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'replay.sqlite3'}")
    result = CliRunner().invoke(main, ["season", "replay", "--population", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "season-2021-collection-end           fired {'close_unsubmitted'" in result.output
    assert "submissions per district and state:" in result.output and "seats filled: " in result.output
    again = CliRunner().invoke(main, ["season", "replay", "--population", "40", "--seed", "3"])
    assert again.exit_code != 0 and "already has applications" in again.output
