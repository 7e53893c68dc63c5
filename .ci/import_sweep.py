"""Import every module of the installed ``evenet`` package; exit 1 naming each one that fails.

Run by .ci/run in a venv with the package installed without extras, so that a
module importing an undeclared dependency fails CI.
"""

import importlib
import pkgutil
import sys

import evenet

failures = []
modules = 0
for info in pkgutil.walk_packages(evenet.__path__, "evenet."):
    modules += 1
    try:
        importlib.import_module(info.name)
    except Exception as exc:  # noqa: BLE001 - report every failure, not the first
        failures.append(f"{info.name}: {type(exc).__name__}: {exc}")

for line in failures:
    print(f"import sweep: {line}", file=sys.stderr)
print(f"import sweep: {modules - len(failures)} of {modules} evenet modules import")
sys.exit(1 if failures else 0)
