"""Ruleset pages: the editor (fields + JSON, or an uploaded file), a version's review, activation."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from core import ruleset_editor as editor
from core.ruleset_drafts import RULESET_NOTE_MAX, deletion_refusals
from core.db import read_session, write_session
from core.models import RulesetStatus, Season
from core.portal import current_season
from core.rules.diff import shown
from core.rules.errors import Problem
from core.rules.loader import NOT_UTF8
from core.rulesets import (RulesetNotActivatable, activation_refusals, ruleset_document, season_for,
                           season_refusals, store_ruleset)
from web.admin import ADMINS, bp
from web.context import engine, now
from web.i18n import t
from web.security import current_actor, role_required

FIELD_PREFIX = "f:"  # form field names are f:<kind>:<JSON pointer>


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _editor(fields: list[editor.Field], rest_text: str, problems: list[Problem], document: Any = None,
            base: str | None = None, status: int = 200):
    at_field, at_rest = editor.field_problems(fields, problems)
    excerpts = {p.pointer: _pretty(editor.value_at(document, p.pointer)[1])[:600]
                for p in at_rest if document is not None and p.pointer and editor.value_at(document, p.pointer)[0]}
    page = render_template("admin/editor.html", sections=editor.sections(fields), rest=rest_text, problems=problems,
                           at_field=at_field, at_rest=at_rest, excerpts=excerpts, base=base, prefix=FIELD_PREFIX)
    return page, status


@bp.get("/rulesets/new")
@role_required(*ADMINS)
def new_ruleset():
    """The editor, filled from a stored version (`?from=sha`, default the active one; with
    `&next_year=1` moved a year on, to start next year's draft: core.ruleset_editor.next_year)."""
    with read_session(engine()) as session:
        base = request.args.get("from") or _current_sha(session)
        document = ruleset_document(session, editor.version_of(session, base).sha256) if base else {}
    if document and request.args.get("next_year"):
        document = editor.next_year(document)
    fields, rest = editor.split(document)
    return _editor(fields, _pretty(rest), [], document, base)


def _from_upload(data: bytes) -> tuple[Any, list[editor.Field], str, list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [], "", [NOT_UTF8]
    document, problems = editor.parse_json(text, "the uploaded file", "上传的文件")
    if document is None:
        return None, [], text, problems
    problems = editor.check(document)
    fields, rest = editor.split(document) if isinstance(document, dict) else ([], document)
    return document, fields, _pretty(rest), problems


def _from_form() -> tuple[Any, list[editor.Field], str, list[Problem]]:
    typed: dict[str, tuple[str, str]] = {}
    for name, value in request.form.items():
        if name.startswith(FIELD_PREFIX):
            kind, _, pointer = name[len(FIELD_PREFIX):].partition(":")
            typed[pointer] = (kind, value)
    fields = [editor.Field(pointer, kind, value, editor.group_of(pointer)) for pointer, (kind, value) in typed.items()]
    rest_text = request.form.get("rest", "")
    rest, problems = editor.parse_json(rest_text, "the JSON of the rest", "“其余部分”的内容")
    if rest is not None and not isinstance(rest, dict):
        rest, problems = None, [Problem("", "the JSON of the rest must be an object ({ … })",
                                        zh="“其余部分”的 JSON 必须是一个对象（{ … }）")]
    if rest is None:
        return None, fields, rest_text, problems
    document, problems = editor.merge(typed, rest)
    return document, fields, rest_text, problems or editor.check(document)


@bp.post("/rulesets/new")
@role_required(*ADMINS)
def save_ruleset():
    """Check an edited or uploaded ruleset; store it as a draft version only when it is valid."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        document, fields, rest_text, problems = _from_upload(upload.read())
    else:
        document, fields, rest_text, problems = _from_form()
    if problems:
        return _editor(fields, rest_text, problems, document, request.form.get("base"), status=422)
    with write_session(engine()) as session:
        version = store_ruleset(session, season_for(session, document), document, current_actor(), at=now())
    if version.status == RulesetStatus.draft.value:
        flash(t("规则已校验并保存为草稿版本", "The ruleset validates and is stored as a draft version"), "ok")
    else:  # identical content is stored once: this is that version, already active or retired
        flash(t(f"内容与已有的规则版本 {version.version} 完全相同，未另存",
                f"identical to the stored version {version.version}: nothing new was stored"), "ok")
    return redirect(url_for("admin.ruleset", sha256=version.sha256))


def _current_sha(session) -> str | None:
    """The active version of the season guardians register in now; None before the first."""
    season = current_season(session)
    return season.active_ruleset_sha256 if season else None


def _version(session, sha256: str):
    """A stored version's season (the one of its year), the version and its document."""
    version = editor.version_of(session, sha256)
    return session.get(Season, version.season_id), version, ruleset_document(session, version.sha256)


@bp.get("/rulesets/<sha256>")
@role_required(*ADMINS)
def ruleset(sha256: str):
    """One version: its note, its problems, the semantic diff against the active one, its embedded
    tests, why it cannot be activated when it cannot, and whether it may be deleted."""
    with read_session(engine()) as session:
        season, version, document = _version(session, sha256)
        active = season.active_ruleset_sha256
        active_document = ruleset_document(session, active) if active and active != version.sha256 else None
        problems = editor.check(document)
        warnings = [] if problems or version.sha256 == active else editor.activation_warnings(session, version, now())
        undeletable = deletion_refusals(session, version)
    results = [] if problems else editor.test_results(document)
    changes = [] if problems else editor.changes(active_document, document)
    return render_template("admin/ruleset.html", version=version, season=season, problems=problems,
                           results=results, failed=[r for r in results if not r.passed], changes=changes,
                           refusals=season_refusals(document, season) + activation_refusals(problems, results),
                           warnings=warnings, shown=shown, is_active=version.sha256 == active,
                           has_active=active is not None, undeletable=undeletable, note_max=RULESET_NOTE_MAX)


@bp.get("/rulesets/<sha256>.json")
@role_required(*ADMINS)
def ruleset_json(sha256: str):
    """The version's canonical JSON, to download and edit offline."""
    with read_session(engine()) as session:
        version = editor.version_of(session, sha256)
    return Response(version.canonical_json, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=ruleset-{sha256[:12]}.json"})


@bp.get("/rulesets/<sha256>/simulation")
@role_required(*ADMINS)
def simulation(sha256: str):
    """The version over this season's submitted applications: tier matrix and who changes, and why."""
    with read_session(engine()) as session:
        season, version, document = _version(session, sha256)
        problems = editor.check(document)
        report = None if problems else editor.simulation(session, season, document)
    return render_template("admin/simulation.html", version=version, season=season, problems=problems,
                           report=report, tiers=report.tiers() if report else [])


@bp.post("/rulesets/<sha256>/activate")
@role_required(*ADMINS)
def activate(sha256: str):
    """Make the version its season's active one (refused unless it validates and its tests pass,
    and, when it moves a season at once or opens a new one, unless the administrator ticked that
    it should: core.ruleset_editor.activation_warnings)."""
    try:
        with write_session(engine()) as session:
            editor.activate(session, sha256, current_actor(), now=now(), confirmed=request.form.get("confirmed") == "1")
    except RulesetNotActivatable as error:
        for problem in error.problems:
            flash(t(f"不能启用：{problem.pointer or '/'}：{problem.zh}", f"cannot activate: {problem}"), "error")
    else:
        flash(t("规则版本已启用，日程已按新版本排定", "The version is active; the calendar follows it"), "ok")
    return redirect(url_for("admin.ruleset", sha256=sha256))
