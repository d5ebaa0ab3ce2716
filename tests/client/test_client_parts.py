"""The client's parts without a server: saved login, upload packing, rendering, and the
mapping of HTTP answers that do not come from our API (a proxy's error page, a bare 502)."""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from client import ApiClient, ApiError, ClientError, NotLoggedIn, config, render
from client.files import upload_parts
from client.http import is_pending

# saved login --------------------------------------------------------------------------------


def test_config_dir_follows_xdg_config_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("AUTOGRADE_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.credentials_path() == tmp_path / "xdg" / "autograde" / "credentials.json"


def test_save_tightens_an_existing_file_and_round_trips(config_home: Path) -> None:
    path = config_home / "credentials.json"
    config_home.mkdir()
    path.write_text("{}")
    os.chmod(path, 0o644)
    saved = config.Credentials(server="http://x", token="t0k", token_id=7, username="u")
    assert config.save(saved) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load() == saved
    assert config.forget() is True and config.forget() is False


@pytest.mark.parametrize("content", ["not json", "[]", '{"server": "http://x"}'])
def test_a_damaged_credentials_file_asks_for_a_new_login(config_home: Path, content: str) -> None:
    config_home.mkdir()
    (config_home / "credentials.json").write_text(content)
    with pytest.raises(ClientError, match="run `autograde login` again"):
        config.load()


def test_no_credentials_file_means_not_logged_in() -> None:
    with pytest.raises(NotLoggedIn):
        config.load()


# upload packing -----------------------------------------------------------------------------


def make(root: Path, name: str, content: bytes = b"x") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_files_are_sent_by_their_base_names(tmp_path: Path) -> None:
    a, b = make(tmp_path, "a/main.py", b"m"), make(tmp_path, "b/util.py", b"u")
    assert upload_parts([a, b]) == [("main.py", b"m"), ("util.py", b"u")]


def test_a_zip_is_sent_untouched(tmp_path: Path) -> None:
    archive = make(tmp_path, "s.zip", b"PK\x03\x04whatever")
    assert upload_parts([archive]) == [("s.zip", b"PK\x03\x04whatever")]


def test_a_directory_becomes_a_zip_of_plain_files(tmp_path: Path) -> None:
    root = tmp_path / "sol"
    make(root, "main.py", b"def main(args): ...")
    make(root, "pkg/mod.py", b"M")
    make(root, ".git/config")
    make(root, "pkg/__pycache__/mod.pyc")
    make(root, "stray.pyc")
    (root / "link.py").symlink_to(root / "main.py")
    [(name, data)] = upload_parts([root])
    assert name == "sol.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["main.py", "pkg/mod.py"]
        assert archive.read("pkg/mod.py") == b"M"
        for info in archive.infolist():
            assert stat.S_ISREG(info.external_attr >> 16)


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (lambda t: [], "name the files to submit"),
        (lambda t: [t / "nope.py"], "no such file or directory"),
        (lambda t: [make(t, "x/m.py"), make(t, "y/m.py")], "two files share the name 'm.py'"),
        (lambda t: [make(t, "m.py"), make(t, "d/u.py").parent], "not a mix"),
        (lambda t: [make(t, "e/.hidden").parent], "has no files to submit"),
    ],
)
def test_uploads_that_cannot_work_are_refused_before_sending(
    tmp_path: Path, layout, message: str
) -> None:
    with pytest.raises(ClientError, match=message):
        upload_parts(layout(tmp_path))


# rendering ----------------------------------------------------------------------------------


def test_table_aligns_and_cuts_long_cells() -> None:
    text = render.table(("a", "bb"), [(1, None), (True, "x" * 80)], max_width=10)
    assert text.splitlines() == ["a    bb", "---  ----------", "1    -", "yes  xxxxxxxxx…"]


def test_lateness_words() -> None:
    assert render.lateness({"late": False, "max_points": 3}, 3) == "on time"
    assert render.lateness({"late": False, "max_points": 2}, 3) == (
        "after the first deadline: at most 2 of 3 points"
    )
    assert render.lateness({"late": True, "max_points": 0}, 3).startswith("LATE")
    assert render.lateness({"late": False, "max_points": 0.5}, 1) == (
        "after the first deadline: at most 0.5 of 1 point"
    )


def test_our_failure_is_not_the_students() -> None:
    submission = {
        "id": 1, "assignment_id": 2, "submitted_at": "t", "files": [], "late": False,
        "max_points": 3, "points": None,
        "evaluation": {"status": "system_error", "our_failure": True, "message": "ours",
                       "tests": []},
    }  # fmt: skip
    assert "status:    our error (not your fault)" in render.summary(submission)
    assert not is_pending(submission)
    assert is_pending({**submission, "evaluation": {"status": "running"}})


def test_standings_csv_puts_assignments_in_listing_order() -> None:
    rows = [
        {"username": "a", "non_bonus": 5, "grade": None,
         "assignments": [{"assignment_id": 2, "points": 3}, {"assignment_id": 1, "points": 2}]},
    ]  # fmt: skip
    out = render.standings_csv(rows, {2: "second", 1: "first"})
    assert out.splitlines() == ["username,non_bonus,grade,second,first", "a,5,,3,2"]


# answers that are not our API's error body --------------------------------------------------


def client_answering(response: httpx.Response) -> ApiClient:
    """A client whose every request gets ``response`` (standing in for a proxy in front)."""
    return ApiClient("http://proxy.test", "tok", transport=httpx.MockTransport(lambda r: response))


def test_a_proxy_error_page_is_reported_by_its_status() -> None:
    with client_answering(httpx.Response(502, text="<html>Bad Gateway</html>")) as client:
        with pytest.raises(ApiError, match="HTTP 502 Bad Gateway") as caught:
            client.me()
    assert caught.value.status == 502


def test_a_success_that_is_not_json_is_reported() -> None:
    with client_answering(httpx.Response(200, text="<html>login page</html>")) as client:
        with pytest.raises(ClientError, match="is this an autograde server"):
            client.courses()


def test_wait_stops_at_its_timeout() -> None:
    pending = {"id": 1, "evaluation": {"status": "queued"}}
    sleeps: list[float] = []
    now = iter([0.0, 0.0, 1.0, 2.5])
    with client_answering(httpx.Response(200, json=pending)) as client:
        last = client.wait(1, interval_s=1.0, timeout_s=2.0, sleep=sleeps.append,
                           clock=lambda: next(now))  # fmt: skip
    assert last == pending and sleeps == [1.0, 1.0]


def test_times_are_shown_in_the_users_zone(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Prague")
    time.tzset()
    try:
        assert render.when("2026-11-25T20:34:09.134855Z") == "2026-11-25 21:34:09 CET"
        assert render.when("2026-07-01T10:00:00+00:00") == "2026-07-01 12:00:00 CEST"
    finally:
        monkeypatch.undo()
        time.tzset()
    assert render.when(None) == "-" and render.when("soon") == "soon"


def test_results_never_send_escapes_to_the_terminal() -> None:
    """Messages come from students' runs: a window title, a clipboard write (OSC 52), a
    C1 screen clear or a lone surrogate are printed as inert text (issue 13)."""
    import json

    nasty = "\x1b]0;owned\x07 \x1b]52;c;ZXZpbA==\x07 \x9b2J \ud800 \u202e"
    submission = {"id": 1, "assignment_id": 2, "submitted_at": "2026-01-01T00:00:00Z",
                  "files": [f"a{nasty}.txt"], "points": None, "max_points": 3,
                  "evaluation": {"status": "done", "score": 0.0, "message": nasty,
                                 "tests": [{"name": "1", "hidden": False, "verdict": "WRONG",
                                            "time_s": 0.1, "memory_mib": 1.0,
                                            "message": nasty}]}}
    for text in (render.results(submission), render.summary(submission),
                 render.as_json(submission), render.status_list([submission])):
        text.encode("utf-8")
        assert not any(c in text for c in "\x1b\x07\x9b\u202e"), text
    assert "\\x1b]52;c;ZXZpbA==" in render.results(submission)
    assert json.loads(render.as_json(submission))["evaluation"]["message"].startswith("\\x1b")
