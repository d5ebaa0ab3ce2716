"""`ServicePages`: the `PageSource` the app serves, the feature modules' functions
(`api/web/pages/`) bound to the app's `Pages`.

Each line binds one page operation to its plain function, whose first parameter is the
`Pages` (so it becomes the method's ``self``); tests pass a fake `PageSource` instead.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.web.pages import accounts, actions, audit, context, manage, overview, queue, student
from api.web.pages import gradebook as gradebook_page
from api.web.pages import regrade as regrade_page
from api.web.pages import stats as stats_page
from api.web.pages import submission as submission_page


class ServicePages(context.Pages):
    """Every page over the database, with the app's settings, signer, throttle and
    dispatcher (see `api.web.source.PageSource` for what each does)."""

    @classmethod
    def from_app(cls, app: FastAPI) -> ServicePages:
        return cls(app.state.sessionmaker, app.state.settings, app.state)

    viewer = accounts.viewer
    login = accounts.login
    logout = accounts.logout

    role = context.role
    my_courses = student.my_courses
    course = student.course
    assignment = student.assignment
    template_file = student.template_file
    data_file = student.data_file
    submit = student.submit
    submission = submission_page.submission
    submission_file = submission_page.submission_file
    my_items = overview.my_items

    gradebook = gradebook_page.gradebook
    gradebook_csv = gradebook_page.gradebook_csv
    counted_submission = gradebook_page.counted_submission
    adjust = actions.adjust
    rerun = actions.rerun
    set_exam = actions.set_exam
    set_extension = actions.set_extension
    revoke_extension = actions.revoke_extension
    regrade = regrade_page.regrade
    regrade_start = regrade_page.regrade_start
    regrade_finish = regrade_page.regrade_finish
    queue_panel = queue.queue_panel
    queue_jobs = queue.queue_jobs
    queue_job = queue.queue_job
    cancel_evaluation = queue.cancel_evaluation
    audit_log = audit.audit_log
    staff_overview = overview.staff_overview
    student_detail = overview.student_detail
    extensions_list = overview.extensions_list
    stats = stats_page.stats

    roster_preview = manage.roster_preview
    import_roster = manage.import_roster
    create_course = manage.create_course
    course_setup = manage.course_setup
    edit_course = manage.edit_course
    publish = manage.publish
    assignment_setup = manage.assignment_setup
    edit_assignment = manage.edit_assignment
    set_published = manage.set_published
    members = manage.members
    set_role = manage.set_role
