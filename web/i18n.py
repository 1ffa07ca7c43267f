"""Chinese first, English on request: the page language and the helpers templates use."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request, session

from core.clock import SHANGHAI
from core.documents import DOCUMENT_KINDS
from core.rules.clauses import clause_text, clauses_in

__all__ = ["LANGUAGES", "ROLE_LABELS", "TERMS", "DASHBOARD_TERMS", "current_language", "t", "label", "role_label", "term",
           "tier_label", "tier_text", "local_time", "clause", "clauses_worded", "other_language_url", "init_app"]

LANGUAGES = ("zh", "en")

#: Account roles as people call them.
ROLE_LABELS = {
    "guardian": {"zh": "监护人", "en": "Guardian"},
    "reviewer": {"zh": "区审核员", "en": "District reviewer"},
    "district_admin": {"zh": "区管理员", "en": "District administrator"},
    "city_admin": {"zh": "市级管理员", "en": "City administrator"},
    "operator": {"zh": "运维人员", "en": "Operator"},
    "system": {"zh": "系统", "en": "System"},
}

#: The enumerated values of the facts vocabulary (schemas/facts.schema.json) as people say them,
#: by the kind of value: a relation to the pupil, a certificate type, a property's usage … and
#: what an uploaded document is.
TERMS = {
    "relation": {
        "pupil": {"zh": "学生本人", "en": "the pupil"}, "father": {"zh": "父亲", "en": "father"},
        "mother": {"zh": "母亲", "en": "mother"}, "grandfather": {"zh": "祖父", "en": "grandfather"},
        "grandmother": {"zh": "祖母", "en": "grandmother"},
        "maternal_grandfather": {"zh": "外祖父", "en": "maternal grandfather"},
        "maternal_grandmother": {"zh": "外祖母", "en": "maternal grandmother"}, "other": {"zh": "其他", "en": "other"},
    },
    "cert_type": {
        "property_certificate": {"zh": "房产证", "en": "property certificate"},
        "real_estate_certificate": {"zh": "不动产权证", "en": "real estate certificate"},
        "purchase_contract": {"zh": "购房合同", "en": "purchase contract"},
    },
    "usage": {
        "residential": {"zh": "住宅", "en": "residential"}, "apartment": {"zh": "公寓", "en": "apartment"},
        "commercial_residential": {"zh": "商住楼", "en": "commercial-residential"}, "other": {"zh": "其他", "en": "other"},
    },
    "basis_kind": {
        "property": {"zh": "房产", "en": "Property"}, "lease": {"zh": "租赁", "en": "Lease"},
        "demolition": {"zh": "拆迁", "en": "Demolition"},
    },
    "demolition_kind": {
        "metro": {"zh": "地铁建设", "en": "metro construction"},
        "shanty_town": {"zh": "棚户区改造", "en": "shanty-town renewal"},
        "state_construction": {"zh": "国家建设", "en": "state construction"},
    },
    "demolition_choice": {
        "original": {"zh": "原户籍或原住址", "en": "original hukou or home address"},
        "resettlement": {"zh": "安置房地址", "en": "resettlement address"},
        "coordinated": {"zh": "统筹安排", "en": "placed by the authority"},
    },
    "document_kind": {code: {"zh": zh, "en": en} for code, zh, en in DOCUMENT_KINDS},
    # a stored ruleset version (core.models.RulesetStatus) and the parts a ruleset diff names (core.rules.diff)
    "ruleset_status": {
        "draft": {"zh": "草稿", "en": "draft"}, "validated": {"zh": "已校验", "en": "validated"},
        "active": {"zh": "已启用", "en": "active"}, "retired": {"zh": "已停用", "en": "retired"},
    },
    "ruleset_part": {
        "meta": {"zh": "基本信息", "en": "about"}, "clause": {"zh": "条款称呼", "en": "clause wording"},
        "parameter": {"zh": "参数", "en": "parameter"},
        "derived": {"zh": "派生值", "en": "derived value"}, "predicate": {"zh": "条件", "en": "predicate"},
        "eligibility": {"zh": "报名资格", "en": "eligibility"}, "catchment": {"zh": "学区依据", "en": "catchment"},
        "evidence": {"zh": "证件核验", "en": "evidence check"}, "three_year_rule": {"zh": "三年规则", "en": "three-year rule"},
        "coordinated": {"zh": "统筹安排", "en": "coordinated placement"}, "tier_row": {"zh": "类别行", "en": "tier row"},
        "hit_policy": {"zh": "命中策略", "en": "hit policy"}, "phase": {"zh": "日程阶段", "en": "phase"},
        "window": {"zh": "首次登录时段", "en": "district window"}, "state": {"zh": "流程状态", "en": "workflow state"},
        "transition": {"zh": "流程流转", "en": "workflow transition"}, "allocation": {"zh": "学位分配", "en": "allocation"},
        "test": {"zh": "测试用例", "en": "test case"},
    },
    # a locked list version's state (core.season.lists moves them)
    "list_state": {
        "draft": {"zh": "草稿", "en": "draft"}, "submitted": {"zh": "已提交", "en": "submitted"},
        "proposed": {"zh": "更正待审批", "en": "correction proposed"},
        "approved": {"zh": "更正已批准", "en": "correction approved"},
        "refused": {"zh": "更正已驳回", "en": "correction refused"},
        "superseded": {"zh": "已被更正取代", "en": "superseded"},
    },
    # what the audit log is about (core.audit events' subject_type) and what happened to subjects
    # other than applications (an application's actions are named by its workflow)
    "subject_type": {
        "application": {"zh": "报名", "en": "application"}, "account": {"zh": "账号", "en": "account"},
        "ruleset": {"zh": "规则集", "en": "ruleset"}, "season": {"zh": "年度", "en": "season"},
        "locked_list": {"zh": "名单", "en": "list"},
    },
    "event_action": {
        "account_created": {"zh": "创建账号", "en": "account created"},
        "demo_login_assigned": {"zh": "分配演示账号", "en": "demo login assigned"},
        "ruleset_stored": {"zh": "保存规则集版本", "en": "ruleset version stored"},
        "ruleset_activated": {"zh": "启用规则集", "en": "ruleset activated"},
        "ruleset_note_changed": {"zh": "修改规则版本备注", "en": "ruleset version note changed"},
        "ruleset_deleted": {"zh": "删除规则草稿", "en": "ruleset draft deleted"},
        "phase_opened": {"zh": "阶段开始", "en": "phase opened"},
        "phase_closed": {"zh": "阶段结束", "en": "phase closed"},
        "window_opened": {"zh": "首次登录时段开放", "en": "district window opened"},
        "phase_actions_done": {"zh": "阶段操作完成", "en": "phase actions done"},
        "graduates_database_built": {"zh": "生成毕业生数据库", "en": "graduates database built"},
        "schools_imported": {"zh": "导入学校", "en": "schools imported"},
        "capacities_imported": {"zh": "导入招生计划", "en": "capacities imported"},
        "catchments_imported": {"zh": "导入学区划分", "en": "catchments imported"},
        "list_imported": {"zh": "导入名单", "en": "list imported"},
        "list_submitted": {"zh": "提交名单", "en": "list submitted"},
        "list_correction_proposed": {"zh": "提出名单更正", "en": "list correction proposed"},
        "list_correction_approved": {"zh": "批准名单更正", "en": "list correction approved"},
        "list_correction_refused": {"zh": "驳回名单更正", "en": "list correction refused"},
    },
    # the season clock as the operators' dashboard shows it (core.season.models, core.season.boundaries)
    "phase_state": {
        "pending": {"zh": "未开始", "en": "not started"}, "open": {"zh": "进行中", "en": "open"},
        "closed": {"zh": "已结束", "en": "closed"},
    },
    "window_state": {
        "pending": {"zh": "未开放", "en": "not open yet"}, "open": {"zh": "已开放", "en": "open"},
        "closed": {"zh": "已关闭", "en": "closed"},
    },
    "job_state": {
        "pending": {"zh": "待执行", "en": "pending"}, "fired": {"zh": "已触发，阶段操作进行中", "en": "fired, actions running"},
        "done": {"zh": "已完成", "en": "done"},
        # not states of the row but what the dashboard shows instead (core.dashboard.scheduler_jobs' `status`)
        "failed": {"zh": "阶段操作失败", "en": "actions failed"}, "overdue": {"zh": "逾期未执行", "en": "overdue, not run"},
    },
    "job_outcome": {
        "running": {"zh": "运行中", "en": "running"}, "fired": {"zh": "已触发", "en": "fired"},
        "already_done": {"zh": "此前已完成", "en": "already done"},
        "actions_done": {"zh": "阶段操作已完成", "en": "actions done"},
        "waiting": {"zh": "等待其他执行者完成", "en": "waiting for another runner"}, "failed": {"zh": "失败", "en": "failed"},
    },
    "breaker": {
        "closed": {"zh": "正常", "en": "closed (normal)"}, "open": {"zh": "已熔断", "en": "open (calls stopped)"},
        "half_open": {"zh": "试探恢复中", "en": "half-open (one trial call)"},
    },
}
#: The kinds of term the operators' dashboard redraws in the browser (operator.js reads them from its JSON).
DASHBOARD_TERMS = ("phase_state", "window_state", "job_state", "job_outcome", "breaker")


def current_language() -> str:
    """`?lang=` wins and is remembered in the session; otherwise the session's, else zh-CN."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    return remembered if remembered in LANGUAGES else "zh"


def t(zh: str, en: str) -> str:
    """Pick the text of the page language; every user-facing string is written in both."""
    return en if current_language() == "en" else zh


def label(value: Mapping[str, str] | str | None) -> str:
    """A ruleset label ({"zh": …, "en": …}) in the page language, falling back to Chinese."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(current_language()) or value.get("zh") or value.get("en") or ""


def other_language_url() -> str:
    """This page in the other language: the same query (a queue's filters, say) with `lang` swapped."""
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode([*query, ("lang", "zh" if current_language() == "en" else "en")])


def role_label(role: str) -> str:
    """An account role in the page language ("区审核员"), or the role itself if unknown."""
    return label(ROLE_LABELS.get(str(role))) or str(role)


def term(kind: str, code: object) -> str:
    """An enumerated value in words ("father" as relation: 父亲), or the code itself if unknown."""
    return label(TERMS[kind].get(str(code))) or str(code)


#: The tiers a classification gives other than a number (docs/rules.md), and no tier at all.
_TIER_WORDS = {
    None: {"zh": "无", "en": "none"},
    "coordinated": {"zh": "统筹安排", "en": "placed by the authority"},
    "undetermined": {"zh": "待人工审核", "en": "manual review"},
}


def tier_label(tier: str | None) -> dict[str, str]:
    """A tier in words, {"zh", "en"} ("1": 第1类 / tier 1): the one wording of tiers, which the
    pages show through `tier_text` and the review queue's CSV download in Chinese."""
    if tier in _TIER_WORDS:
        return dict(_TIER_WORDS[tier])
    return {"zh": f"第{tier}类", "en": f"tier {tier}"}


def tier_text(tier: str | None) -> str:
    """A tier in the page language (the templates' global `tier_text`)."""
    return label(tier_label(tier))


def local_time(value: datetime | str | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An instant (stored in UTC; a datetime or ISO text) as Nanchang's local time, "2021-06-16 17:00".
    With the year: staff pages put next year's drafts beside this year's season and audit events
    span years, where "06-16" alone does not say which."""
    if not value:
        return "—"
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(SHANGHAI).strftime(pattern)


def clause(value: str | None, clauses: Mapping[str, Mapping[str, str]] | None) -> str:
    """A clause id (§6-1) as `clauses` words it in the page's language ("第六部分 一类"): the
    `clauses` of the ruleset the page's explanation was made with. Every page that shows a
    clause goes through this filter (core.rules.clauses)."""
    return clause_text(clauses, value, current_language())


def clauses_worded(text: str | None, clauses: Mapping[str, Mapping[str, str]] | None) -> str:
    """A text the program wrote and stored with clause ids in it (a seat's reason), as a person
    reads it: the ids worded by `clauses`, the stored text unchanged."""
    return clauses_in(clauses, text, current_language())


def init_app(app: Flask) -> None:
    """Make `t`, `label` and `lang` available in every template, the global `tier_text` (in
    imported macros too), and the `local_time`, `clause` and `clauses_worded` filters."""
    app.add_template_global(tier_text)
    app.add_template_filter(local_time)
    app.add_template_filter(clause)
    app.add_template_filter(clauses_worded)

    @app.context_processor
    def _language():
        return {"t": t, "label": label, "role_label": role_label, "term": term,
                "other_language_url": other_language_url,
                "lang": current_language()}
