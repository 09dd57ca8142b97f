"""A worker's writable Keras home whose ``datasets/`` entries link to read-only data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def link_keras_home(data_home: Path, folder: Path) -> Path:
    """A writable Keras home in ``folder`` whose ``datasets/NAME`` link to the read-only ``data_home``'s.

    Keras uses KERAS_HOME only where it may write (elsewhere it falls back to
    ``/tmp/.keras`` and downloads), so a worker needs a writable home; the
    data itself stays behind the links, in the read-only ``data_home`` (where
    symbolic links cannot be made, the files are hard-linked or copied).
    Returns the folder to use as KERAS_HOME.
    """
    folder = Path(folder)
    datasets = folder / "datasets"
    datasets.mkdir(parents=True, exist_ok=True)
    sources = Path(data_home).absolute() / "datasets"
    for source in sorted(sources.iterdir()) if sources.is_dir() else []:
        link = datasets / source.name
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.exists():
            shutil.rmtree(link)
        try:
            link.symlink_to(source, target_is_directory=True)
        except OSError:  # no symlinks (Windows without the privilege): hard links, else copies
            link.mkdir()
            for path in source.iterdir():
                try:
                    os.link(path, link / path.name)
                except OSError:
                    shutil.copyfile(path, link / path.name)
    return folder
