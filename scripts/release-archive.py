#!/usr/bin/env python3
"""Packs the binary of a built wheel into the release archive for one target.

    python3 scripts/release-archive.py WHEEL TARGET OUT_DIR

The archive holds the very binary the wheel holds (one build per target, the
wheel's manylinux one on Linux) in a folder of its own:

    cruddur-obs-VERSION-TARGET/cruddur-obs[.exe]   README.md   (LICENSE, if any)

as OUT_DIR/cruddur-obs-VERSION-TARGET.tar.gz, or .zip for a Windows target, next
to ARCHIVE.sha256 in `sha256sum` format (`sha256sum -c` checks it). These names
are the ones Cargo.toml's [package.metadata.binstall] asks for (scripts/wheel.sh
checks that they agree). Prints the archive's path. Standard library only: runs on
every GitHub runner (.github/workflows/release.yml) and here.
"""

import gzip
import hashlib
import io
import os
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

NAME = "cruddur-obs"


def fail(message: str) -> None:
    sys.exit(f"release-archive: {message}")


def wheel_binary(wheel: Path) -> tuple[str, bytes]:
    """The wheel's version and its one executable (under *.data/scripts/)."""
    with zipfile.ZipFile(wheel) as zf:
        scripts = [n for n in zf.namelist() if ".data/scripts/" in n and not n.endswith("/")]
        if len(scripts) != 1:
            fail(f"{wheel} holds {len(scripts)} executables, not one: {scripts}")
        metadata = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        if len(metadata) != 1:
            fail(f"{wheel} has no single .dist-info/METADATA")
        version = Parser().parsestr(zf.read(metadata[0]).decode())["Version"]
        return version, zf.read(scripts[0])


def main() -> None:
    if len(sys.argv) != 4:
        fail("usage: release-archive.py WHEEL TARGET OUT_DIR")
    wheel, target, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    version, binary = wheel_binary(wheel)
    windows = "windows" in target
    exe = NAME + (".exe" if windows else "")
    top = f"{NAME}-{version}-{target}"
    root = Path(__file__).resolve().parent.parent
    files = [(exe, binary, 0o755)]
    for extra in ("README.md", "LICENSE"):
        if (root / extra).is_file():
            files.append((extra, (root / extra).read_bytes(), 0o644))
    # Reproducible: every entry gets the commit's time (or 2000-01-01).
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))

    out.mkdir(parents=True, exist_ok=True)
    if windows:
        archive = out / f"{top}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data, mode in files:
                info = zipfile.ZipInfo(f"{top}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    else:
        archive = out / f"{top}.tar.gz"
        with open(archive, "wb") as raw, gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=mtime
        ) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name, data, mode in files:
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size, info.mode, info.mtime = len(data), mode, mtime
                tf.addfile(info, io.BytesIO(data))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    Path(f"{archive}.sha256").write_text(f"{digest}  {archive.name}\n")
    print(archive)


if __name__ == "__main__":
    main()
