"""An import is one transaction: a process killed with SIGKILL mid-import leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.demo import write_demo_csv
from ocops.importer import Vocabulary, import_bytes
from ocops.store import data_version

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import sys, time
from pathlib import Path
from ocops.geo import load_countries
from ocops.importer import Vocabulary, import_path
from ocops.store import open_store
url, path, stage = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

def progress(fraction, message):
    if (stage == "writing" and message.startswith("Writing")) or (stage == "commit" and fraction >= 1.0):
        print("REACHED", flush=True)
        if stage == "commit":
            time.sleep(600)  # hold the open transaction until the parent kills us

from ocops.taxonomy import load_taxonomy
import_path(open_store(url), path, Vocabulary(load_countries(), load_taxonomy()), progress=progress)
print("FINISHED", flush=True)
"""


def snapshot(engine: Engine) -> tuple[list[tuple[object, ...]], int, int, int]:
    with engine.connect() as conn:
        batches = [tuple(r) for r in conn.execute(sa.text("SELECT id, filename, imported FROM batches ORDER BY id"))]
        records = conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one()
        history = conn.execute(sa.text("SELECT count(*) FROM record_history")).scalar_one()
    return batches, records, history, data_version(engine)


@pytest.mark.parametrize("stage", ["writing", "commit"])
def test_sigkill_mid_import_leaves_the_store_as_it_was(
    engine: Engine, store_url: str, vocabulary: Vocabulary, tmp_path: Path, stage: str
) -> None:
    big = tmp_path / "big.csv"
    assert write_demo_csv(60_000, big) == 60_000
    first_rows = b"".join(big.read_bytes().splitlines(keepends=True)[:101])
    report = import_bytes(engine, first_rows, "first.csv", vocabulary)
    assert report.imported == 100
    before = snapshot(engine)
    child = subprocess.Popen([sys.executable, "-c", CHILD, store_url, str(big), stage], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.strip() == "REACHED", child.stderr.read() if child.stderr else ""
        if stage == "writing":
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert snapshot(engine) == before == ([(1, "first.csv", 100)], 100, 0, before[3])
    again = import_bytes(engine, first_rows, "first.csv", vocabulary)  # the store still takes writes
    assert (again.imported, again.unchanged) == (0, 100)
