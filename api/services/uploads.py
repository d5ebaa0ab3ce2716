"""Checking an upload before anything is stored: names, counts, sizes, safe unzipping, the
main file and the team list. Pure functions over bytes; every refusal is a `BadInput` whose
message a student understands.
"""

from __future__ import annotations

import io
import re
import stat
import uuid
import zipfile
from dataclasses import dataclass

from core.errors import BadInput

NAME_MAX = 255
RATIO_MIN_BYTES = 1024 * 1024  # small members may compress well without being bombs
MAIN_LINE = re.compile(rb"^def main\(", re.MULTILINE)
UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@dataclass(frozen=True)
class Limits:
    """What one submission may contain."""

    max_files: int = 20
    max_bytes: int = 20 * 1024 * 1024
    max_ratio: int = 200


def clean_name(name: str, *, allow_dirs: bool) -> str:
    """A safe relative POSIX path, or `BadInput` saying why not."""
    if not name or len(name) > NAME_MAX:
        raise BadInput(f"file name {name[:60]!r} must have 1 to {NAME_MAX} characters")
    if any(ord(ch) < 32 for ch in name) or "\\" in name:
        raise BadInput(f"file name {name[:60]!r} contains a control character or a backslash")
    if name.startswith("/"):
        raise BadInput(f"file name {name!r} must not be an absolute path")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise BadInput(f"file name {name!r} must not contain '..', '.' or empty parts")
    if not allow_dirs and len(parts) > 1:
        raise BadInput(f"file name {name!r} must not contain folders")
    return name


def _add(files: dict[str, bytes], name: str, content: bytes, limits: Limits) -> None:
    if name in files:
        raise BadInput(f"the file {name!r} appears twice")
    files[name] = content
    if len(files) > limits.max_files:
        raise BadInput(f"too many files: at most {limits.max_files} per submission")
    if sum(len(c) for c in files.values()) > limits.max_bytes:
        raise BadInput(f"the files are too large: at most {limits.max_bytes // 2**20} MB in total")


def _is_link(info: zipfile.ZipInfo) -> bool:
    kind = stat.S_IFMT(info.external_attr >> 16)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)  # 0: an archiver that records no type


def unzip(data: bytes, limits: Limits) -> dict[str, bytes]:
    """The regular files of a zip archive, refusing links, escapes and bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise BadInput("the .zip file is damaged or not a zip archive") from error
    members = [info for info in infos if not info.is_dir()]
    if len(members) > limits.max_files:
        raise BadInput(f"the .zip holds {len(members)} files; at most {limits.max_files} allowed")
    files: dict[str, bytes] = {}
    for info in members:
        name = clean_name(info.filename, allow_dirs=True)
        if _is_link(info):
            raise BadInput(f"the .zip entry {name!r} is a link or a special file; send plain files")
        if info.flag_bits & 0x1:
            raise BadInput(f"the .zip entry {name!r} is encrypted")
        if info.file_size > limits.max_bytes:
            raise BadInput(f"the .zip entry {name!r} is larger than {limits.max_bytes // 2**20} MB")
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


def collect_files(parts: list[tuple[str, bytes]], limits: Limits) -> dict[str, bytes]:
    """The submission's files from uploaded parts: several files, or exactly one zip."""
    if not parts:
        raise BadInput("no files were uploaded: send your solution's files or one .zip")
    if len(parts) > limits.max_files:
        raise BadInput(f"too many files: at most {limits.max_files} per submission")
    if sum(len(content) for _, content in parts) > limits.max_bytes:
        raise BadInput(f"the files are too large: at most {limits.max_bytes // 2**20} MB in total")
    if len(parts) == 1 and parts[0][0].lower().endswith(".zip"):
        return unzip(parts[0][1], limits)
    files: dict[str, bytes] = {}
    for name, content in parts:
        _add(files, clean_name(name.rsplit("/", 1)[-1], allow_dirs=False), content, limits)
    return files


def main_file(files: dict[str, bytes]) -> str:
    """The one ``.py`` file with a line starting ``def main(``."""
    candidates = sorted(n for n, c in files.items() if n.endswith(".py") and MAIN_LINE.search(c))
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
