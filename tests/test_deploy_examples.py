"""The examples of grading beyond one machine (examples/): GitHub Actions, Kubernetes and Slurm.

Parsed and checked offline: the Kubernetes manifests against the Kubernetes schema of a Job (the
kubernetes-validate package), the Slurm script's and the workflow's shard arithmetic by running it.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import kubernetes_validate
import pytest
import yaml

from conftest import ROOT

EXAMPLES = ROOT / "examples"
KUBERNETES = EXAMPLES / "kubernetes"
SLURM = EXAMPLES / "slurm"
OLDEST_KUBERNETES = "1.33.0"       # user namespaces for pods (hostUsers: false) on by default
# The first major version of each action that runs on node24 (node20 leaves GitHub's runners in 2026).
NODE24 = {"actions/checkout": 5, "actions/setup-python": 6, "actions/upload-artifact": 6,
          "actions/download-artifact": 7}


def manifests() -> dict[str, dict]:
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[doc["metadata"]["name"]] = doc
    return found


def container(job: dict) -> dict:
    (only,) = job["spec"]["template"]["spec"]["containers"]
    return only


# -- Kubernetes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.latest_version()])
def test_the_kubernetes_manifests_match_the_schema(version):
    found = manifests()
    assert {name: doc["kind"] for name, doc in found.items()} == {
        "sockgrade-shards": "Job", "sockgrade-merge": "Job", "sockgrade-data": "PersistentVolumeClaim"}
    for doc in found.values():
        kubernetes_validate.validate(doc, version, strict=True)     # raises on a field misspelt or misplaced


def test_the_schema_check_catches_a_misspelt_field():
    job = manifests()["sockgrade-shards"]
    container(job)["securityContext"]["procMont"] = "Unmasked"
    with pytest.raises(kubernetes_validate.ValidationError, match="procMont"):
        kubernetes_validate.validate(job, OLDEST_KUBERNETES, strict=True)


def test_the_indexed_job_grades_one_shard_per_pod_at_full_isolation():
    job = manifests()["sockgrade-shards"]
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    grade = container(job)
    shards = int({e["name"]: e["value"] for e in grade["env"]}["SHARDS"])
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == shards
    assert pod["restartPolicy"] == "Never" and pod["hostUsers"] is False
    assert grade["securityContext"]["procMount"] == "Unmasked"
    (rule,) = spec["podFailurePolicy"]["rules"]          # exit 2 (no full isolation here) is not retried
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["values"] == [2]
    script = grade["args"][0]
    assert '--shard "$k/$SHARDS"' in script and "--isolation strict" in script
    assert '--json "$out"' in script and 'out="/grading/shards/shard-$k.json"' in script
    # The pod's own arithmetic, run for each index Kubernetes gives: 1..N, each once.
    (line,) = [l.strip() for l in script.splitlines() if l.strip().startswith("k=")]
    ks = [subprocess.run(["sh", "-c", f'{line}; echo "$k"'], env={"JOB_COMPLETION_INDEX": str(i)},
                         capture_output=True, text=True, check=True).stdout.strip() for i in range(shards)]
    assert ks == [str(k) for k in range(1, shards + 1)]


def test_the_merge_job_reads_the_shards_the_pods_write():
    found = manifests()
    merge, grading = found["sockgrade-merge"], found["sockgrade-shards"]
    assert merge["spec"]["backoffLimit"] == 0
    script = container(merge)["args"][0]
    assert "grade merge /grading/shards/shard-*.json" in script and "--isolation" not in script
    for job in (merge, grading):
        (volume,) = job["spec"]["template"]["spec"]["volumes"]
        assert volume["persistentVolumeClaim"]["claimName"] == "sockgrade-data"
        assert container(job)["volumeMounts"] == [{"name": volume["name"], "mountPath": "/grading"}]
        assert container(job)["image"] == container(grading)["image"]
    assert found["sockgrade-data"]["spec"]["accessModes"] == ["ReadWriteMany"]


# -- Slurm -------------------------------------------------------------------------------------------
def slurm_task(task: str, shards: str = "4") -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "SOCKGRADE_DRY_RUN": "1", "SOCKGRADE_CLASS": "class",
           "SOCKGRADE_SHARDS": shards, "SOCKGRADE_RESULTS": "results", "SLURM_ARRAY_TASK_ID": task}
    return subprocess.run(["bash", str(SLURM / "grade-shard.sh")], env=env, capture_output=True, text=True)


def test_the_slurm_array_tasks_cover_every_shard_once():
    commands = [slurm_task(str(task)) for task in range(1, 5)]
    assert all(c.returncode == 0 for c in commands), [c.stderr for c in commands]
    shards = [re.search(r"--shard (\S+)", c.stdout).group(1) for c in commands]
    assert sorted(shards) == ["1/4", "2/4", "3/4", "4/4"]
    outs = [re.search(r"--json (\S+)", c.stdout).group(1) for c in commands]
    assert outs == [f"results/shards/shard-{k}.json" for k in range(1, 5)]
    assert all("--isolation strict" in c.stdout and c.stdout.startswith("grade class ") for c in commands)
    for task in ("0", "5", "x"):                          # an array that is not 1..N is refused
        wrong = slurm_task(task)
        assert wrong.returncode != 0 and "--array=1-4" in wrong.stderr


def test_the_slurm_scripts_take_the_number_of_shards_once():
    for script in ("submit.sh", "grade-shard.sh", "merge.sh"):
        subprocess.run(["bash", "-n", str(SLURM / script)], check=True)
        assert os.access(SLURM / script, os.X_OK), script
    submit = (SLURM / "submit.sh").read_text(encoding="utf-8")
    assert '--array="1-$shards"' in submit and "SOCKGRADE_SHARDS=$shards" in submit
    assert '--dependency="afterok:$grading"' in submit          # the merge waits for every task to succeed
    merge = (SLURM / "merge.sh").read_text(encoding="utf-8")
    assert 'grade merge "$results"/shards/shard-*.json' in merge
    usage = subprocess.run(["bash", str(SLURM / "submit.sh")], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


# -- GitHub Actions ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text(encoding="utf-8"))


def plan(tmp_path, shards: str) -> tuple[subprocess.CompletedProcess, str]:
    """The workflow's first job's step, run by bash as the runner runs it: (the run, what it output)."""
    wf = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text(encoding="utf-8"))
    (step,) = wf["jobs"]["plan"]["steps"]
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    done = subprocess.run(["bash", "-e", "-c", step["run"]], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "SHARDS": shards, "GITHUB_OUTPUT": str(output)})
    return done, output.read_text(encoding="utf-8")


def test_the_matrix_comes_from_one_number(workflow, tmp_path):
    done, output = plan(tmp_path, str(workflow["env"]["SHARDS"]))
    assert done.returncode == 0, done.stdout + done.stderr
    key, value = output.strip().split("=", 1)
    assert json.loads(value) == list(range(1, int(workflow["env"]["SHARDS"]) + 1))
    step = workflow["jobs"]["plan"]["steps"][0]["id"]
    assert workflow["jobs"]["plan"]["outputs"]["shards"] == f"${{{{ steps.{step}.outputs.{key} }}}}"
    grading = workflow["jobs"]["grade"]
    assert grading["needs"] == "plan"
    assert grading["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    done, output = plan(tmp_path, "10")
    assert json.loads(output.strip().split("=", 1)[1]) == list(range(1, 11))
    for wrong in ("0", "four", ""):
        done, output = plan(tmp_path, wrong)
        assert done.returncode == 1 and output == "" and "SHARDS must be a whole number" in done.stdout


def test_the_actions_run_on_node24(workflow):
    used = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert used
    for action in used:
        name, version = action.split("@")
        assert name in NODE24, f"{action}: which version runs on node24?"
        assert int(version.lstrip("v").split(".")[0]) >= NODE24[name], action


def test_the_workflow_reads_only_and_grades_at_full_isolation(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())     # none asks for more
    runs = " ".join(step.get("run", "") for step in workflow["jobs"]["grade"]["steps"])
    assert '--shard "$SHARD/$SHARDS"' in runs and "--isolation strict" in runs
    assert '--json "shard-$SHARD.json"' in runs


def test_the_merge_runs_only_after_every_shard_succeeded(workflow):
    merge = workflow["jobs"]["merge"]
    assert merge["needs"] == "grade" and "if" not in merge
    text = (EXAMPLES / "ci" / "github-actions.yml").read_text(encoding="utf-8")
    assert "always()" not in text
    steps = merge["steps"]
    at = next(i for i, step in enumerate(steps) if "grade merge" in step.get("run", ""))
    assert all("if" not in step for step in steps[:at + 1])      # nothing up to the merge runs after a failure
    assert "grade merge shard-*.json" in steps[at]["run"]
    download = next(step for step in steps if step.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "shard-*", "merge-multiple": True}
    upload = next(step for step in workflow["jobs"]["grade"]["steps"]
                  if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "shard-${{ matrix.shard }}"
    assert upload["with"]["path"] == "shard-${{ matrix.shard }}.json"
