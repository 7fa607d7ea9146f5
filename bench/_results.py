"""Write one benchmark's figures into bench/RESULTS.md, replacing its previous section.

Each script owns a section delimited by HTML comments, so scripts can run in any order
and re-runs update their own figures without touching the others'.
"""
from __future__ import annotations

import datetime
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Keyward benchmark results\n\n"
    "Written by `make bench` (bench/*.py). Every figure is a ratio or a side-by-side pair measured "
    "in one run on the same machine, because these 2-core machines are noisy.\n"
)


def machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"


def record(name: str, title: str, body: str) -> None:
    today = datetime.date.today().isoformat()
    section = (
        f"<!-- section:{name} -->\n## {title}\n\n_Measured {today} on {machine()}._\n\n{body.strip()}\n"
        f"<!-- /section:{name} -->"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
