"""Files that hold children's data are readable by their owner only.

Every process that imports this package creates files with umask 077 (see __init__), so the database, its
write-ahead log, DuckDB's temporary files, the send journal and the outbox are private from their first
byte. `secure` fixes what was made before that (or by hand) and says what it changed.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077


def _private_paths(database: Path, outbox: Path | None):
    """Everything of ours that holds or may hold children's data, folders before what is in them."""
    folder = database.parent
    yield folder
    yield database
    for suffix in (".wal", ".tmp"):
        yield database.with_name(database.name + suffix)
    temporary = database.with_name(database.name + ".tmp")
    if temporary.is_dir():
        yield from temporary.iterdir()
    yield folder / ".encompass-cookie-key"
    journal = folder / "send-journal"
    yield journal
    if journal.is_dir():
        yield from journal.iterdir()
    if outbox is not None:
        yield outbox
        if outbox.is_dir():
            yield from outbox.iterdir()


def _shared_folder(path: Path) -> bool:
    """A folder that is not ours to close: someone else's, or a sticky shared one such as /tmp."""
    info = path.lstat()
    return info.st_uid != os.getuid() or bool(info.st_mode & stat.S_ISVTX)


def secure(database: Path, outbox: Path | None = None) -> list[str]:
    """Take group and other permissions off the database, its WAL and temporary files, the send journal, the
    cookie key, the outbox and the data folder. Returns one line per change ("path: 644 -> 600"). Symbolic
    links are never followed; a shared folder (e.g. /tmp) is left as it is, but the files in it are fixed."""
    changed = []
    for path in _private_paths(Path(database).resolve(), Path(outbox).resolve() if outbox else None):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode) or (stat.S_ISDIR(info.st_mode) and _shared_folder(path)):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
            changed.append(f"{path}: {mode:o} -> {mode & 0o700:o}")
    return changed
