"""When a student handed their work in, and the learning platform's id for them.

Read from what the teacher downloaded, never from file times on disk (a copy
resets them):

- Gradescope: ``submission_metadata.json`` beside the submission folder
  (``created_at``), or a ``submission_metadata.yml`` export at the top of a class
  folder (each ``submission_N`` folder's ``:created_at:`` and submitters' ``:sid:``);
- the platform's zip (the class's "download all", graded as the zip): the latest
  time among the student's entries; never a zip the student made, whose times are
  theirs to choose. Zip times carry no time zone: they are read as this
  machine's local time, which is the platform's when the teacher's machine is in
  the course's time zone;
- Moodle names a student's folder ``Full Name_123456_assignsubmission_file_``:
  123456 is the participant's id (the grading worksheet's ``Participant 123456``);
- Canvas names each file ``login_[LATE_]userid_submissionid_name``: the user id.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import yaml

from grader import files

# DOTALL and \Z: a name may hold a newline, and is still the whole name.
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_\w*\Z", re.DOTALL)
CANVAS_FILE = re.compile(r"^(?P<login>[a-z0-9]+)_(?P<late>LATE_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<name>.+)\Z",
                         re.DOTALL)


def moodle_id(folder_name: str) -> str:
    match = MOODLE_FOLDER.match(folder_name)
    return match.group("id") if match else ""


def canvas_file(file_name: str) -> re.Match | None:
    """The parts of a Canvas download's file name (login, late, user, submission, name), or None."""
    return CANVAS_FILE.match(file_name)


def canvas_original(name: str) -> str:
    """The file's name as handed in: Canvas adds "-1", "-2" to a file handed in again."""
    return re.sub(r"-\d+(\.[A-Za-z0-9]+)$", r"\1", name)


def latest_zip_time(infos) -> str:
    """The latest modification time among zip entries (files only), ISO 8601 with this machine's offset."""
    times = [dt.datetime(*info.date_time) for info in infos if not info.is_dir()]
    if not times:
        return ""
    return max(times).astimezone().isoformat(timespec="seconds")


def gradescope_single(submission: Path) -> tuple[str, str]:
    """(created_at, student id) from Gradescope's ``submission_metadata.json`` beside the submission."""
    path = Path(submission).parent / "submission_metadata.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ""
    when = _iso(data.get("created_at")) if isinstance(data, dict) else ""
    users = data.get("users") if isinstance(data, dict) else None
    sid = ""
    if isinstance(users, list) and users and isinstance(users[0], dict):
        sid = str(users[0].get("sid") or users[0].get("id") or "")
    return when, sid


def gradescope_export(class_folder: Path) -> dict[str, tuple[str, str]]:
    """folder name -> (created_at, sid) from a Gradescope export's ``submission_metadata.yml``."""
    try:       # never through a link: the "class" may be a student's own folder
        with os.fdopen(files.open_file(class_folder, "submission_metadata.yml"), encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    found = {}
    for folder, meta in (data or {}).items() if isinstance(data, dict) else ():
        if not isinstance(meta, dict):
            continue
        submitters = meta.get(":submitters") or []
        sid = str(submitters[0].get(":sid") or "") if submitters and isinstance(submitters[0], dict) else ""
        found[str(folder)] = (_iso(meta.get(":created_at")), sid)
    return found


def _iso(value) -> str:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat(timespec="seconds")
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00"))
        except ValueError:
            return ""
        return (when if when.tzinfo else when.astimezone()).isoformat(timespec="seconds")
    return ""
