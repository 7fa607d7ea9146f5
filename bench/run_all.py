"""`make bench`: run every benchmark script in bench/ (not the _helpers, not this file),
one after another with this interpreter, and fail if any of them fails or misses its
target. Each script writes its own section of bench/RESULTS.md.

    bench/run_all.py                       every benchmark
    bench/run_all.py --only throughput     one (or several: --only a --only b)
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], choices=[p.stem for p in scripts()])
    only = parser.parse_args(argv).only
    chosen = [p for p in scripts() if not only or p.stem in only]
    failed = []
    for script in chosen:
        print(f"== {script.name} ==", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: exit {code} after {time.monotonic() - started:.0f} s ==\n", flush=True)
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"failed or missed target: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
