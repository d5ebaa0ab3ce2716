"""`autograde login/logout/submit/status/results/standings` against the real service."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from api.db import ApiToken, utcnow
from client import ApiClient, LoginExpired, config
from tests.client.helpers import cli, login, saved_token, submissions_of, tokens_of
from tests.client.service import GOOD_MAIN, Service, free_port


def write(folder: Path, name: str, content: bytes = GOOD_MAIN) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def submit_one(service: Service, tmp_path: Path, assignment: str = "entropy", *extra: str) -> int:
    """Submit a good solution as the logged-in user; the new submission's id."""
    run = cli("submit", "dl", assignment, str(write(tmp_path, "solution.py")), *extra)
    assert run.code == 0, run.stderr
    return int(run.stdout.split()[1])


# login / logout ---------------------------------------------------------------------------


def test_login_saves_a_working_token_readable_only_by_the_user(
    service: Service, config_home: Path
) -> None:
    run = login(service, "alice")
    path = config_home / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_home.stat().st_mode) == 0o700
    saved = json.loads(path.read_text())
    assert saved["server"] == service.url and saved["username"] == "alice"
    assert "secret-pw" not in path.read_text()
    assert "Logged in" in run.stdout and "read submit" in run.stdout
    with ApiClient(service.url, saved["token"]) as client:
        assert client.me()["username"] == "alice"
    assert [t.id for t in tokens_of(service, "alice")] == [saved["token_id"]]


def test_login_prompts_for_the_username_too(service: Service) -> None:
    run = cli("login", "--server", service.url, input="bob\nsecret-pw\n")
    assert run.code == 0, run.stderr
    assert config.load().username == "bob"


def test_login_uses_autograde_server_from_the_environment(service: Service, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADE_SERVER", service.url + "/")
    run = cli("login", "-u", "alice", input="secret-pw\n")
    assert run.code == 0, run.stderr
    assert config.load().server == service.url


def test_wrong_password_shows_the_api_message_and_saves_nothing(
    service: Service, config_home: Path
) -> None:
    run = cli("login", "--server", service.url, "-u", "alice", input="nope\n")
    assert run.code == 1
    assert run.stderr.strip() == "autograde: wrong username or password"
    assert "Traceback" not in run.stdout + run.stderr
    assert not (config_home / "credentials.json").exists()


def test_staff_scope_is_refused_to_a_student_and_granted_to_staff(service: Service) -> None:
    run = cli("login", "--server", service.url, "-u", "alice", "--staff", input="secret-pw\n")
    assert run.code == 1 and "'staff' scope" in run.stderr
    assert "read staff submit" in login(service, "teacher", "--staff").stdout
    assert tokens_of(service, "teacher")[0].scopes == "read staff submit"


def test_logout_revokes_the_token_on_the_server(service: Service, config_home: Path) -> None:
    login(service, "alice")
    token = saved_token()
    run = cli("logout")
    assert run.code == 0 and run.stdout.startswith(f"Logged out of {service.url}.")
    assert not (config_home / "credentials.json").exists()
    assert tokens_of(service, "alice")[0].revoked_at is not None
    with ApiClient(service.url, token) as client:
        try:
            client.me()
        except LoginExpired as error:
            assert "run `autograde login`" in error.message
        else:
            raise AssertionError("a revoked token still works")
    assert cli("logout").stdout.strip() == "You were not logged in."


def test_logging_in_again_revokes_the_token_it_replaces(service: Service) -> None:
    login(service, "alice")
    first = config.load().token_id
    login(service, "alice")
    second = config.load().token_id
    revoked = {t.id: t.revoked_at is not None for t in tokens_of(service, "alice")}
    assert revoked == {first: True, second: False}


def test_logout_of_an_unreachable_server_forgets_the_token_and_says_so(
    service: Service, config_home: Path
) -> None:
    login(service, "alice")
    saved = config.load()
    config.save(
        config.Credentials(**{**saved.__dict__, "server": f"http://127.0.0.1:{free_port()}"})
    )
    run = cli("logout")
    assert run.code == 0 and "stays valid until it expires" in run.stdout
    assert not (config_home / "credentials.json").exists()


# failures that must read as one clear line ------------------------------------------------


def test_every_command_without_a_login_says_to_log_in(service: Service, tmp_path: Path) -> None:
    solution = str(write(tmp_path, "solution.py"))
    for args in (
        ("submit", "dl", "entropy", solution),
        ("status",),
        ("status", "1"),
        ("results", "1"),
        ("standings", "dl"),
    ):
        run = cli(*args)
        assert run.code == 1, args
        assert run.stderr.strip() == "autograde: you are not logged in; run `autograde login` first"


def test_an_unreachable_server_is_named(service: Service) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = cli("login", "--server", url, "-u", "alice", input="secret-pw\n")
    assert run.code == 1 and f"cannot reach the server at {url}" in run.stderr
    login(service, "alice")
    config.save(config.Credentials(**{**config.load().__dict__, "server": url}))
    run = cli("status")
    assert run.code == 1 and f"cannot reach the server at {url}" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_expired_token_asks_for_a_new_login(service: Service) -> None:
    login(service, "alice")
    with service.sessions() as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    run = cli("standings", "dl")
    assert run.code == 1
    assert "expired" in run.stderr and "run `autograde login`" in run.stderr


def test_a_wrong_server_address_shows_the_servers_answer(service: Service) -> None:
    run = cli("login", "--server", service.url + "/not-here", "-u", "alice", input="secret-pw\n")
    assert (run.code, run.stderr) == (1, "autograde: Not Found\n")


def test_login_throttling_is_shown_with_its_wait(service: Service) -> None:
    for _ in range(service.settings.login_max_failures):
        assert cli("login", "--server", service.url, "-u", "bob", input="wrong\n").code == 1
    run = cli("login", "--server", service.url, "-u", "bob", input="secret-pw\n")
    assert run.code == 1 and "too many failed logins; try again in" in run.stderr


# submit -----------------------------------------------------------------------------------


def test_submit_files_prints_the_id_and_that_it_is_on_time(
    service: Service, tmp_path: Path
) -> None:
    service.grader.grading = False
    login(service, "alice")
    helper = write(tmp_path, "helper.py", b"X = 1\n")
    run = cli("submit", "dl", "entropy", str(write(tmp_path, "solution.py")), str(helper))
    assert run.code == 0, run.stderr
    [(submission, files)] = submissions_of(service, "alice")
    assert run.stdout.startswith(f"Submission {submission.id} received at ")
    assert "on time" in run.stdout and "evaluation queued" in run.stdout
    assert files == ["helper.py", "solution.py"]
    assert submission.assignment_id == service.ids["entropy"]


def test_submit_by_ids_and_what_the_deadlines_leave(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    solution = str(write(tmp_path, "solution.py"))
    expected = {
        "entropy": ": on time;",
        "overdue": ": after the first deadline: at most 1 of 3 points;",
        "closed": ": LATE: after the last deadline, it earns no points;",
    }
    for name, words in expected.items():
        run = cli("submit", str(service.ids["course"]), str(service.ids[name]), solution)
        assert run.code == 0, run.stderr
        assert words in run.stdout, (name, run.stdout)
    stored = [s.assignment_id for s, _ in submissions_of(service, "alice")]
    assert stored == [service.ids[name] for name in expected]


def test_submit_a_directory_packs_it_without_caches(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    folder = tmp_path / "work"
    write(folder, "solution.py")
    write(folder, "lib/util.py", b"Y = 2\n")
    write(folder, "__pycache__/solution.cpython-311.pyc", b"\0")
    write(folder, ".hidden", b"secret")
    run = cli("submit", "dl", "entropy", str(folder))
    assert run.code == 0, run.stderr
    [(_, files)] = submissions_of(service, "alice")
    assert files == ["lib/util.py", "solution.py"]


def test_submit_a_zip_as_it_is(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    archive = tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as out:  # from real files: their modes are kept
        out.write(write(tmp_path, "solution.py"), "solution.py")
        out.write(write(tmp_path, "notes.txt", b"n"), "data/notes.txt")
    run = cli("submit", "dl", "entropy", str(archive))
    assert run.code == 0, run.stderr
    [(_, files)] = submissions_of(service, "alice")
    assert files == ["data/notes.txt", "solution.py"]


def test_submit_refusals_show_the_reason_and_store_nothing(
    service: Service, tmp_path: Path
) -> None:
    login(service, "alice")
    solution = str(write(tmp_path, "solution.py"))
    cases = [
        (("dl", "nope", solution), "no assignment 'nope' in dl (there: closed, overdue, entropy)"),
        (("other", "entropy", solution), "no course 'other' among yours (yours: dl)"),
        (
            ("dl", "entropy", str(write(tmp_path, "x.py", b"print(1)\n"))),
            "no .py file has a line starting with 'def main('",
        ),
        (("dl", "entropy", str(tmp_path / "missing.py")), "no such file or directory"),
        (("dl", "entropy", solution, str(tmp_path)), "not a mix"),
    ]
    for args, message in cases:
        run = cli("submit", *args)
        assert run.code == 1, args
        assert message in run.stderr, (args, run.stderr)
        assert "Traceback" not in run.stderr
    assert submissions_of(service, "alice") == []


def test_submit_wait_polls_until_graded_and_prints_the_results(
    service: Service, tmp_path: Path
) -> None:
    login(service, "alice")
    run = cli(
        "submit",
        "dl",
        "entropy",
        str(write(tmp_path, "solution.py")),
        "--wait",
        "--interval",
        "0.05",
    )
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "evaluation queued" in lines[0]
    assert "status:    done" in run.stdout
    assert any(
        line.split()[:2] == ["2", "WRONG_ANSWER"]
        and "0.50 s" in line
        and "43 MiB" in line
        and "expected 1.5, got 2.0" in line
        for line in lines
    )
    hidden = next(line for line in lines if line.startswith("hidden_1 (hidden)"))
    assert hidden.split()[2:] == ["OK", "-", "-", "Hidden", "test", "passed."]
    assert "SECRET" not in run.stdout and "STAFF-ONLY" not in run.stdout
    assert "Score 0.500" in run.stdout


def test_submit_wait_gives_up_after_the_timeout(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    run = cli(
        "submit",
        "dl",
        "entropy",
        str(write(tmp_path, "solution.py")),
        "--wait",
        "--interval",
        "0.05",
        "--timeout",
        "0.2",
    )
    assert run.code == 3
    assert "Still not graded after 0.2 s" in run.stderr and "autograde status" in run.stderr


# status / results -------------------------------------------------------------------------


def test_status_of_one_submission_and_of_my_recent_ones(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "bob")
    bobs = submit_one(service, tmp_path)
    login(service, "alice")
    first = submit_one(service, tmp_path)
    second = submit_one(service, tmp_path, "overdue")
    one = cli("status", str(first))
    assert (
        one.code == 0
        and f"Submission {first} (assignment {service.ids['entropy']})" in one.stdout
        and "status:    queued" in one.stdout
    )
    recent = cli("status")
    rows = [line.split() for line in recent.stdout.splitlines()[2:]]
    assert [(int(r[0]), r[1], r[2]) for r in rows] == [
        (second, "dl", "overdue"),
        (first, "dl", "entropy"),
    ]
    assert [s["id"] for s in json.loads(cli("status", "--json", "-n", "1").stdout)] == [second]
    assert bobs not in [int(r[0]) for r in rows]


def test_staff_recent_status_lists_only_their_own(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    submit_one(service, tmp_path)
    login(service, "teacher")
    assert cli("status").stdout.strip() == "No submissions yet."


def test_another_students_submission_is_not_found(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    theirs = submit_one(service, tmp_path)
    login(service, "bob")
    for command in ("status", "results"):
        run = cli(command, str(theirs))
        assert run.code == 1 and run.stderr.strip() == "autograde: no such submission"


def test_results_table_and_json_follow_what_the_api_shows(service: Service, tmp_path: Path) -> None:
    login(service, "alice")
    submission = submit_one(service, tmp_path)
    service.grader.join()
    table = cli("results", str(submission))
    assert table.code == 0 and "student:" not in table.stdout
    rows = {
        line.split()[0]: line.split()
        for line in table.stdout.splitlines()
        if line[:1].isdigit() or line.startswith("hidden")
    }
    assert rows["1"] == ["1", "OK", "0.25", "s", "42", "MiB", "entropy", "matches"]
    assert rows["hidden_1"] == ["hidden_1", "(hidden)", "OK", "-", "-", "Hidden", "test", "passed."]
    body = json.loads(cli("results", str(submission), "--json").stdout)
    hidden = next(t for t in body["evaluation"]["tests"] if t["hidden"])
    assert hidden["time_s"] is None and hidden["message"] == "Hidden test passed."
    login(service, "teacher", "--staff")
    staff = json.loads(cli("results", str(submission), "--json").stdout)
    hidden = next(t for t in staff["evaluation"]["tests"] if t["hidden"])
    assert hidden["time_s"] == 0.75 and hidden["detail"] == "SECRET detail"
    staff_table = cli("results", str(submission)).stdout
    assert "0.75 s" in staff_table and "  student:   alice" in staff_table


def test_results_before_grading_say_so(service: Service, tmp_path: Path) -> None:
    service.grader.grading = False
    login(service, "alice")
    submission = submit_one(service, tmp_path)
    run = cli("results", str(submission))
    assert run.code == 0 and run.stdout.rstrip().endswith("No test results (yet).")


# standings --------------------------------------------------------------------------------


def graded_submissions(service: Service, tmp_path: Path) -> None:
    for user in ("alice", "bob"):
        login(service, user)
        submit_one(service, tmp_path)
    service.grader.join()


def user_of(row: dict) -> int:
    """The student a standing row is about."""
    return int(row["student_id"])


def test_standings_of_a_student_are_their_own(service: Service, tmp_path: Path) -> None:
    graded_submissions(service, tmp_path)
    login(service, "alice")
    rows = json.loads(cli("standings", "dl", "--json").stdout)
    assert [user_of(r) for r in rows] == [service.ids["alice"]]
    table = cli("standings", "dl").stdout.splitlines()
    assert table[0].split()[0] == "username" and len(table) == 3
    assert table[2].split()[0] == "alice"


def test_standings_of_staff_cover_every_student(service: Service, tmp_path: Path) -> None:
    graded_submissions(service, tmp_path)
    login(service, "teacher", "--staff")
    rows = json.loads(cli("standings", "dl", "--json").stdout)
    assert sorted(user_of(r) for r in rows) == [service.ids["alice"], service.ids["bob"]]
    out = cli("standings", "dl", "--csv").stdout
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [user_of(r) for r in parsed] == [user_of(r) for r in rows]
    assert list(parsed[0])[-1:] == ["entropy"]  # only assignments someone has points in
    assert all(int(r["entropy"]) > 0 for r in parsed)
    for row, api_row in zip(parsed, rows, strict=True):
        assert int(row["non_bonus"]) == api_row["non_bonus"]
        points = {a["assignment_id"]: a["points"] for a in api_row["assignments"]}
        assert row["entropy"] == str(points.get(service.ids["entropy"], ""))
    table = cli("standings", "dl").stdout.splitlines()
    assert len(table) == 2 + len(rows) and "non_bonus" in table[0]


def test_standings_rows_name_the_student(service: Service, tmp_path: Path) -> None:
    graded_submissions(service, tmp_path)
    login(service, "teacher", "--staff")
    rows = json.loads(cli("standings", "dl", "--json").stdout)
    assert sorted(r["username"] for r in rows) == ["alice", "bob"]
    assert cli("standings", "dl").stdout.splitlines()[0].split()[0] == "username"


def test_standings_options_and_unknown_course(service: Service) -> None:
    login(service, "alice")
    assert "choose one of --json and --csv" in cli("standings", "dl", "--json", "--csv").stderr
    run = cli("standings", "other")
    assert run.code == 1 and "no course 'other' among yours" in run.stderr
