"""Checking an upload before anything is stored: names, counts, sizes, safe unzipping, the
main file and the team list. Pure functions over bytes; every refusal is a `BadInput` whose
message a student understands.
"""

from __future__ import annotations

import io
import re
import stat
import unicodedata
import uuid
import zipfile
from collections.abc import Awaitable, Sequence
from typing import Protocol

from core import submission
from core.errors import BadInput
from core.submission import UploadLimits
from core.text import is_printable, plural

NAME_MAX = 255
RATIO_MIN_BYTES = 1024 * 1024  # small members may compress well without being bombs
UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


MAIN_RULE = "one .py file defines main(args); a .zip is unpacked"
"""What a tests assignment's upload must hold (checked by `main_file`)."""
COMPETITION_RULE = ("exactly one predictions .txt file and the training code (at least one "
                    ".py or .ipynb file); a .zip is unpacked")
"""What a competition's upload must hold (checked by `competition_files`)."""


BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
"""Characters that reorder text on screen: a name with them shows staff another name."""


def clean_name(name: str, *, allow_dirs: bool) -> str:
    """A safe relative POSIX path in Unicode NFC, or `BadInput` saying why not."""
    name = unicodedata.normalize("NFC", name)
    if any(ch in BIDI_CONTROLS for ch in name):
        raise BadInput(f"file name {name.encode('unicode_escape').decode()[:80]!r} contains "
                       "a text-direction control character; rename the file")
    if not name or len(name) > NAME_MAX:
        raise BadInput(f"file name {name[:60]!r} must have 1 to {NAME_MAX} characters")
    if any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 for ch in name) or "\\" in name:
        raise BadInput(f"file name {name[:60]!r} contains a control character or a backslash")
    if not is_printable(name):
        raise BadInput(f"file name {name[:60]!r} contains a control or direction character")
    problem = submission.name_problem(name)
    if problem is not None:
        raise BadInput(problem)
    if name.startswith("/"):
        raise BadInput(f"file name {name!r} must not be an absolute path")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise BadInput(f"file name {name!r} must not contain '..', '.' or empty parts")
    if not allow_dirs and len(parts) > 1:
        raise BadInput(f"file name {name!r} must not contain folders")
    return name


def _add(files: dict[str, bytes], name: str, content: bytes, limits: UploadLimits) -> None:
    if name in files:
        raise BadInput(f"the file {name!r} appears twice")
    files[name] = content
    problem = limits.problem(files)
    if problem is not None:
        raise BadInput(problem)


def _is_link(info: zipfile.ZipInfo) -> bool:
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)  # 0: an archiver that records no type


def unzip(data: bytes, limits: UploadLimits) -> dict[str, bytes]:
    """The regular files of a zip archive, refusing links, escapes and bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise BadInput("the .zip file is damaged or not a zip archive") from error
    members = [info for info in infos if not info.is_dir()]
    if len(members) > limits.max_files:
        raise BadInput(f"the .zip holds {plural(len(members), 'file')}; "
                       f"at most {limits.max_files} allowed")
    files: dict[str, bytes] = {}
    for info in members:
        name = clean_name(info.filename, allow_dirs=True)
        if _is_link(info):
            raise BadInput(f"the .zip entry {name!r} is a link or a special file; send plain files")
        if info.flag_bits & 0x1:
            raise BadInput(f"the .zip entry {name!r} is encrypted")
        if info.file_size > limits.max_bytes:
            raise BadInput(f"the .zip entry {name!r} is larger than {limits.size_text}")
        if info.file_size > RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise BadInput(f"the .zip entry {name!r} expands suspiciously much (a zip bomb?)")
        _add(files, name, _read_capped(archive, info, limits.max_bytes), limits)
    if not files:
        raise BadInput("the .zip archive holds no files")
    return _strip_common_folder(files)


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Read a member, trusting not its declared size but what comes out."""
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(65536):
                out += chunk
                if len(out) > cap:
                    raise BadInput(f"the .zip entry {info.filename!r} expands beyond the limit")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        raise BadInput(f"the .zip entry {info.filename!r} cannot be read") from error
    return bytes(out)


def _strip_common_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip of one folder (``solution/...``) is taken as that folder's contents."""
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        return {name.split("/", 1)[1]: content for name, content in files.items()}
    return files


def collect_files(parts: list[tuple[str, bytes]], limits: UploadLimits) -> dict[str, bytes]:
    """The submission's files from uploaded parts: several files, or exactly one zip."""
    if not parts:
        raise BadInput("no files were uploaded: send your solution's files or one .zip")
    if len(parts) > limits.max_files:
        raise BadInput(limits.too_many)
    if sum(len(content) for _, content in parts) > limits.max_bytes:
        raise BadInput(limits.too_large)
    if len(parts) == 1 and parts[0][0].lower().endswith(".zip"):
        return writable(unzip(parts[0][1], limits))
    files: dict[str, bytes] = {}
    for name, content in parts:
        _add(files, clean_name(name.rsplit("/", 1)[-1], allow_dirs=False), content, limits)
    return writable(files)


def writable(files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` when the grader can write and compile them all, else `BadInput` saying why
    (a file that is also a folder, compiled Python, a .py file too large to check)."""
    for problem in (
        submission.layout_problem(files),
        submission.bytecode_problem(files),
        submission.source_size_problem(files),
    ):
        if problem is not None:
            raise BadInput(problem)
    return files


def main_file(files: dict[str, bytes]) -> str:
    """The one ``.py`` file with a line starting ``def main(``."""
    candidates = submission.main_candidates(files)
    if not candidates:
        raise BadInput("no .py file has a line starting with 'def main(': the grader calls "
                       "main(args) of exactly one file")
    if len(candidates) > 1:
        raise BadInput(f"several .py files have a line starting with 'def main(' "
                       f"({', '.join(candidates)}); exactly one may")
    return candidates[0]


def competition_files(files: dict[str, bytes]) -> str:
    """A competition needs one predictions .txt and at least one .py/.ipynb with the code."""
    txts = sorted(n for n in files if n.endswith(".txt"))
    code = [n for n in files if n.endswith((".py", ".ipynb"))]
    if len(txts) != 1:
        raise BadInput("send exactly one predictions .txt file")
    if not code:
        raise BadInput("send also the training code (at least one .py or .ipynb file)")
    return txts[0]


TEAM_TOKEN = re.compile(r"(?=(?:[^-]*-){3})(?=(?:[^0-9A-Fa-f]*[0-9A-Fa-f]){24})[0-9A-Za-z-]{30,40}")
"""What looks like an attempt at an id: 30-40 letters, digits and dashes with at least three
dashes and 24 hex digits (a UUID has 36 characters, four dashes and 32 hex digits; a date
such as 2024-12-06 or a line of dashes is not an attempt)."""
TEAM_SEPARATORS = re.compile(r"[\s,;]+")


def _team_line(text: str) -> list[str] | None:
    """The id-like tokens of a ``#`` comment line that holds nothing else, else None."""
    tokens = [token for token in TEAM_SEPARATORS.split(text) if token]
    if tokens and all(TEAM_TOKEN.fullmatch(token) for token in tokens):
        return tokens
    return None


def team_uuids(source: bytes, max_size: int) -> list[str]:
    """Team members' UUIDs from the main file's ``#`` comment lines (in order, unique).

    Only a comment line that consists of ids (separated by spaces, commas or semicolons)
    names team members: an id inside other text (a URL, a sentence) is not a teammate. A
    team line with a malformed id is refused, naming the line, instead of being dropped.
    """
    found: list[str] = []
    for number, line in enumerate(source.decode("utf-8", errors="replace").splitlines(), 1):
        stripped = line.strip()
        if not stripped.startswith("#"):
            continue
        tokens = _team_line(stripped.lstrip("#"))
        for text in tokens or ():
            if not UUID_TEXT.fullmatch(text):
                raise BadInput(f"line {number} of the main file lists team member ids, but "
                               f"{text[:40]!r} is not a valid id (an id looks like "
                               "12345678-9abc-def0-1234-56789abcdef0; copy it from your "
                               "teammate's profile page)")
            value = str(uuid.UUID(text))
            if value not in found:
                found.append(value)
    if len(found) > max_size:
        raise BadInput(f"the team lists {len(found)} members; at most {max_size} are allowed")
    return found


class UploadPart(Protocol):
    """An uploaded file part (Starlette's `UploadFile`)."""

    filename: str | None

    def read(self, size: int = -1) -> Awaitable[bytes]: ...


async def read_parts(files: Sequence[UploadPart], limits: UploadLimits) -> list[tuple[str, bytes]]:
    """The parts' names and contents, never holding more than the size limit (+1 byte) in
    memory; `BadInput` above it. Parts without a file name (an empty file field) are left
    out."""
    parts: list[tuple[str, bytes]] = []
    total = 0
    for upload in files:
        content = await upload.read(limits.max_bytes + 1 - total)
        total += len(content)
        if total > limits.max_bytes:
            raise BadInput(limits.too_large)
        if upload.filename:
            parts.append((upload.filename, content))
    return parts


def unreadable_form(detail: str, limits: UploadLimits) -> BadInput:
    """The refusal of a multipart body the parser gave up on (e.g. more files than the
    parser was allowed to read)."""
    if "too many files" in detail.lower():
        return BadInput(limits.too_many)
    return BadInput(f"the upload could not be read: {detail}")
