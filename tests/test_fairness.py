"""A result does not depend on how busy the machine is.

Alice's UDP contact book is graded alone, then again in the same pool as a
student whose server keeps helpers burning CPU through every test, while
processes of our own keep every core busy. Her score and every test's verdict
must be the same.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import EXAMPLES
from test_hostile import processes_with
from grader.grading.engine import Engine

HOSTILE = Path(__file__).resolve().parent / "hostile"


def test_a_busy_machine_changes_no_score(tmp_path, specs):
    spec = specs["udp-contacts"]
    alice = EXAMPLES / "alice"
    with Engine() as engine:
        alone = engine.grade(alice, spec)
    assert alone.score == spec.max_score

    marker = f"sockgrade-fairness-{uuid.uuid4().hex}"
    burner = tmp_path / "burner"
    shutil.copytree(HOSTILE / "cpu_burner", burner)
    server = burner / "contactserverudp.py"
    server.write_text(server.read_text().replace("HOSTILE-MARKER", marker))
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass", marker])
            for _ in range(os.cpu_count() or 1)]
    try:
        with Engine() as engine:
            loaded, burned = engine.grade_all([(alice, spec, "alice"), (burner, spec, "burner")])
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert loaded.score == alone.score
    assert [(t.name, t.passed) for t in loaded.tests] == [(t.name, t.passed) for t in alone.tests]
    # Its server starts the helpers before it binds: a passed startup means they ran.
    assert next(t for t in burned.tests if t.name == "server binds UDP 9999").passed
    assert processes_with(marker) == []
