"""Atomic file writes: a crash never leaves a half-written file that later reads as valid.

Every file embrec writes goes through `write_text` (temporary file in the same folder, fsync,
rename), and a cached file is read back with `read_json`, which treats a damaged file as missing.
A failed write (full disk, no permission) is one `UserError` naming the file and the fix.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from recommender.errors import UserError

TEMPORARY_SUFFIX = ".tmp"  # temporary files are ".NAME.XXXX.tmp" beside their target

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def write_text(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename over the target."""
    data = text.encode("utf-8")
    write_file(path, lambda stream: stream.write(data))


def write_file(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Atomic write of what `write(stream)` puts in an open binary file (also gensim's vectors):
    a temporary file in the same folder, flushed to disk, then renamed over the target."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX
        )
    except OSError as error:
        raise _write_error(path, error) from error
    try:
        _write_to_disk(handle, write)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _write_error(path, error) from error
        raise
    _sync_folder(path.parent)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> Any | None:
    """The content of a JSON file embrec wrote, or None when it is missing or unreadable (cut
    short by an older version or a disk error): callers recompute what it held."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_to_disk(handle: int, write: Callable[[IO[bytes]], object]) -> None:
    """`write` to the open descriptor, flush it to the disk, then close it."""
    with os.fdopen(handle, "wb") as stream:
        write(stream)
        stream.flush()
        os.fsync(stream.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut (POSIX); harmless where folders cannot sync."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _write_error(path: Path, error: OSError) -> UserError:
    """One line for a failed write: what the system said, which file, and what to do."""
    reason = (error.strerror or str(error)).lower()
    if error.errno in _NO_SPACE:
        fix = "free some space on that disk (or point the output elsewhere) and rerun the command"
    elif error.errno in _NOT_ALLOWED:
        fix = "make that folder writable (or point the output elsewhere) and rerun the command"
    else:
        fix = "check the disk and rerun the command"
    return UserError(f"cannot write the file ({reason})", where=str(path), fix=fix)


def _umask() -> int:
    """The process umask (mkstemp creates files 0600; results should be readable like any file)."""
    current = os.umask(0)
    os.umask(current)
    return current
