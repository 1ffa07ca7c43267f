"""Per-object access checks: who may see or act on which application."""
from __future__ import annotations

from core.errors import Forbidden, NotFound
from core.models import Application, Role
from core.workflow import Actor

__all__ = ["can_view", "ensure_can_act", "ensure_can_view"]

# Operators watch the season (phases, jobs, sources, counts), not families: they see no
# application. Their retry of a stuck one asks the sources as the system does (web/operator).
_CITY_WIDE = {Role.city_admin.value, Role.system.value}
_DISTRICT = {Role.reviewer.value, Role.district_admin.value}


def can_view(actor: Actor, application: Application) -> bool:
    """A guardian sees their own applications, district staff their district's, the city
    administrator (and the system's own jobs) all; operators none."""
    role = str(actor.role)
    if role == Role.guardian.value:
        return actor.account_id is not None and application.guardian_id == actor.account_id
    if role in _DISTRICT:
        return actor.district is not None and application.district == actor.district
    return role in _CITY_WIDE


def ensure_can_view(actor: Actor, application: Application) -> None:
    """Refuse. A guardian is answered as if the application did not exist, so the ids of other
    families' applications leak nothing; staff of another district are told they may not."""
    if can_view(actor, application):
        return
    if str(actor.role) == Role.guardian.value:
        raise NotFound("申请不存在", f"application {application.id} does not exist")
    raise Forbidden("无权查看该申请", "you may not see this application")


def ensure_can_act(actor: Actor, application: Application) -> None:
    """Acting needs the same reach as viewing; the workflow then checks the role per transition."""
    ensure_can_view(actor, application)
