"""Check the built wheel and sdist: complete metadata, licence inside, nothing stray.

Usage: python .ci/check_dist.py DIST_FOLDER. Exit 1 with one line per problem.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

REQUIRED_FIELDS = (
    "Name",
    "Version",
    "Summary",
    "Author",
    "License-Expression",
    "License-File",
    "Keywords",
    "Requires-Python",
    "Description-Content-Type",
)
# Never shipped: local state, secrets, saved plans, tests.
FORBIDDEN = ("sandbox.env", ".plan", "tests/", ".venv/", "__pycache__/", ".pyc")


def check(dist: Path) -> list[str]:
    problems: list[str] = []
    wheels = sorted(dist.glob("karto_smtp-*.whl"))
    sdists = sorted(dist.glob("karto_smtp-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"expected one wheel and one sdist in {dist}, found {wheels + sdists}"]
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(wheel.read(meta_name).decode())
        entry_points = wheel.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    for field in REQUIRED_FIELDS:
        if not meta.get(field):
            problems.append(f"wheel metadata lacks {field}")
    if meta.get("License-Expression") != "MIT":
        problems.append(f"License-Expression is {meta.get('License-Expression')!r}, not MIT")
    if len(meta.get_all("Classifier") or []) < 5:
        problems.append("wheel metadata has fewer than 5 classifiers")
    if "# karto-smtp" not in (meta.get_payload() or ""):
        problems.append("the long description is not the README")
    if "karto-smtp = karto_smtp.cli:run" not in entry_points:
        problems.append("no karto-smtp console script")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("the wheel does not carry LICENSE")
    if "karto_smtp/py.typed" not in names:
        problems.append("the wheel does not carry py.typed")
    problems += [f"the wheel ships {n}" for n in names if any(bad in n for bad in FORBIDDEN)]
    with tarfile.open(sdists[0]) as sdist:
        members = [m.split("/", 1)[1] for m in sdist.getnames() if "/" in m]
    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "docs/ci.md"):
        if needed not in members:
            problems.append(f"the sdist lacks {needed}")
    problems += [f"the sdist ships {n}" for n in members if any(bad in n for bad in FORBIDDEN)]
    return problems


def main() -> int:
    dist = Path(sys.argv[1])
    problems = check(dist)
    for problem in problems:
        print(f"dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"dist: wheel and sdist in {dist} are complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
