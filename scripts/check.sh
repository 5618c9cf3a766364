#!/usr/bin/env bash
# Static checks (CI runs them before the tests; both must report nothing):
# ruff over the project (pyproject.toml [tool.ruff]; unused noqa comments fail) and
# mypy over ocops/ (pyproject.toml [tool.mypy]; unused type: ignore comments fail).
source "$(dirname "$0")/_env.sh"
make_venv requirements-dev.txt
.venv/bin/ruff check --no-cache .
.venv/bin/mypy --cache-dir=/dev/null
