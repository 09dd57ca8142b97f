"""A worker's scratch folder, measured and removed through directory file descriptors.

Both walks go folder by folder with ``openat``-style calls on the name of each
entry, never on a path string, so no depth of folders puts anything out of
reach (a path longer than PATH_MAX is just another folder here), and neither
recurses, so no depth overflows the stack. Links are never followed.
"""

from __future__ import annotations

import errno
import os
import stat

MAX_DEPTH = 256  # folders nested deeper than this are over the limit (and take one fd per level to walk)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def over_budget(root: str | os.PathLike, *, max_bytes: int, max_entries: int, max_depth: int = MAX_DEPTH) -> str | None:
    """Why the folder ``root`` is over its budget (disk blocks, entries, depth), or None.

    Made for a folder a live worker writes to: entries that vanish meanwhile are
    skipped, a folder the worker made unreadable is opened up or counted as over.
    """
    try:
        top = os.open(root, _DIR)
    except FileNotFoundError:
        return None
    stack: list[tuple[int, list[str]]] = []  # (folder fd, its subfolders not walked yet): one fd per level
    seen: set[tuple[int, int]] = set()
    used = entries = 0
    try:
        child: int | None = top
        while True:
            if child is not None:
                stack.append((child, []))  # closed in the end whatever happens
                folders, used_here, count = _list(child, seen)
                stack[-1] = (child, folders)
                used, entries = used + used_here, entries + count
                if used > max_bytes:
                    return f"scratch folder limit {max_bytes >> 20} MB exceeded"
                if entries > max_entries:
                    return f"scratch folder limit exceeded (more than {max_entries} files)"
            if not stack:
                return None
            fd, pending = stack[-1]
            if not pending:
                os.close(stack.pop()[0])
                child = None
                continue
            if len(stack) >= max_depth:
                return f"scratch folder limit exceeded (folders nested more than {max_depth} deep)"
            child = _open_child(fd, pending.pop())
    except PermissionError:
        return "scratch folder limit exceeded (a folder in it cannot be read)"
    finally:
        for fd, _ in stack:
            os.close(fd)


def _open_child(fd: int, name: str) -> int | None:
    """The subfolder ``name`` of ``fd``, opened without following links; None if it is gone or not a folder."""
    for attempt in range(2):
        try:
            return os.open(name, _DIR, dir_fd=fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:  # replaced by a link meanwhile
                return None
            if not isinstance(e, PermissionError) or attempt:
                raise
            try:  # our own worker's folder, made unreadable: open it up (a root grader never gets here)
                os.chmod(name, 0o700, dir_fd=fd)
            except OSError:
                raise e from None
    return None


def _list(fd: int, seen: set[tuple[int, int]]) -> tuple[list[str], int, int]:
    """Names of the subfolders of ``fd``, the disk blocks its entries use (hard links once), how many there are."""
    folders, used, count = [], 0, 0
    with os.scandir(fd) as it:
        for entry in it:
            count += 1
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                folders.append(entry.name)
                used += st.st_blocks * 512
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            used += st.st_blocks * 512
    return folders, used, count


def remove(root: str | os.PathLike) -> None:
    """Delete the folder ``root`` and everything in it, at any depth, holding one folder fd at a time.

    For a folder no process writes to any more (its worker is dead): it climbs back
    with ``..`` and checks each parent is the folder it came from.
    """
    try:
        fd = os.open(root, _DIR)
    except FileNotFoundError:
        return
    stack: list[tuple[str, tuple[int, int], list[str]]] = []  # (name, parent's identity, parent's folders left)
    try:
        todo = _clear(fd)
        while True:
            if todo:
                name = todo.pop()
                child = _open_child(fd, name)
                if child is None:
                    _unlink(fd, name)
                    continue
                stack.append((name, _identity(fd), todo))
                os.close(fd)
                fd, todo = child, []
                todo = _clear(fd)
                continue
            if not stack:
                break
            name, parent, todo = stack.pop()
            up = os.open("..", _DIR, dir_fd=fd)
            os.close(fd)
            fd = up
            if _identity(fd) != parent:
                raise OSError(f"{os.fspath(root)}: a folder in it was moved while it was being removed")
            try:
                os.rmdir(name, dir_fd=fd)
            except FileNotFoundError:
                pass
    finally:
        os.close(fd)
    try:
        os.rmdir(root)
    except FileNotFoundError:
        pass


def _clear(fd: int) -> list[str]:
    """Unlink everything in ``fd`` but its subfolders; return their names."""
    try:  # a folder the worker made read-only is ours to empty all the same
        os.fchmod(fd, 0o700)
    except OSError:
        pass
    folders, files = [], []
    with os.scandir(fd) as it:
        for entry in it:
            (folders if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
    for name in files:
        _unlink(fd, name)
    return folders


def _unlink(fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        pass


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino
