"""The teachers' set-up pages of the real page source: each calls the service function the
REST routes call (`api.services.roster`), so the role rule, the preview token and the audit
records are the same whichever way staff act."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.services import roster
from api.web.manage_views import RosterLineView, RosterPreviewView
from api.web.views import Viewer

if TYPE_CHECKING:
    from api.web.sql_source import SqlPageSource


class ManagePages:
    """Mixed into `SqlPageSource`."""

    def roster_preview(self: SqlPageSource, viewer: Viewer, course_id: int,
                       csv_text: str) -> RosterPreviewView:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            shown = roster.preview(session, member.course, csv_text, actor_id=viewer.user_id,
                                   actor_role=member.role)
            return RosterPreviewView(course_id, csv_text, shown.token, tuple(
                RosterLineView(x.line, x.username, x.change, x.old_role, x.role)
                for x in shown.lines))

    def import_roster(self: SqlPageSource, viewer: Viewer, course_id: int, csv_text: str,
                      token: str) -> str:
        with self.sessions() as session:
            member = self._staff(session, viewer, course_id)
            done = roster.apply(session, member.course, csv_text, actor_id=viewer.user_id,
                                actor_role=member.role, token=token)
            return (f"{len(done.lines)} people in the file: {done.count('new')} new accounts, "
                    f"{done.count('enrol')} enrolled, {done.count('role')} roles changed, "
                    f"{done.count('unchanged')} unchanged.")
