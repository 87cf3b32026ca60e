"""How many tests run at once: a fixed -j holds, the default follows the machine (grader/runner/admission.py)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

from grader.grading.engine import Engine
from grader.runner import admission
from grader.runner.admission import Admission, MachineProbe, Sample

IDLE = Sample(busy=0.2, cpu_stall=0.05, memory_available=64 << 30, memory_stall=0.0, late_ms=1.0)


class FixedProbe:
    """A machine that always looks the same."""

    def __init__(self, sample: Sample):
        self.sample_ = sample

    def sample(self, late_ms: float = 0.0) -> Sample:
        return self.sample_


def hold_slots(gate: Admission, count: int, seconds: float) -> tuple[list[int], list[bool], list]:
    """``count`` threads each take a slot for ``seconds``; how many ran at once at each entry, whether
    each was admitted, and the threads."""
    seen, admitted, lock = [], [], threading.Lock()

    def one():
        with gate.slot() as ok:
            with lock:
                admitted.append(ok)
                seen.append(gate.running)
            if ok:
                time.sleep(seconds)
    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    return seen, admitted, threads


def test_a_fixed_limit_is_never_passed_and_everyone_gets_in():
    gate = Admission(3)
    seen, admitted, threads = hold_slots(gate, 12, 0.05)
    for t in threads:
        t.join(10)
    gate.close()
    assert not gate.adaptive and gate.limit == gate.ceiling == 3
    assert len(admitted) == 12 and all(admitted)
    assert max(seen) == gate.peak_running == 3 and gate.running == 0


def test_closing_lets_the_waiting_go_unadmitted():
    gate = Admission(1)
    seen, admitted, threads = hold_slots(gate, 4, 1.0)
    time.sleep(0.2)
    gate.close()
    for t in threads:
        t.join(10)
    assert admitted.count(True) == 1 and admitted.count(False) == 3
    with gate.slot() as ok:
        assert ok is False


def test_the_limit_rises_while_tests_queue_on_an_idle_machine():
    gate = Admission(None, start=4, floor=2, ceiling_=40, probe=FixedProbe(IDLE), tick=0.02)
    seen, admitted, threads = hold_slots(gate, 60, 1.5)
    for t in threads:
        t.join(30)
    gate.close()
    assert all(admitted) and len(admitted) == 60
    assert gate.peak_running == 40 and max(seen) == 40          # up to the ceiling, never past it
    # On an idle machine it only ever rises (its first sample may come before anybody queued, so the
    # rise is not asserted at the first one: under a loaded test run the threads start late).
    limits = [limit for _, limit, _, _ in gate.history]
    assert limits == sorted(limits) and limits[0] >= 4 and max(limits) == 40


def test_the_limit_falls_to_the_floor_on_a_saturated_machine():
    busy = Sample(busy=1.0, cpu_stall=1.0, memory_available=64 << 30, memory_stall=0.0, late_ms=80.0)
    gate = Admission(None, start=30, floor=3, ceiling_=40, probe=FixedProbe(busy), tick=0.02)
    seen, admitted, threads = hold_slots(gate, 80, 0.05)
    for t in threads:
        t.join(60)
    deadline = time.monotonic() + 10
    while gate.limit > 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    later, admitted_later, threads = hold_slots(gate, 12, 0.1)
    for t in threads:
        t.join(60)
    gate.close()
    assert all(admitted + admitted_later)
    limits = [limit for _, limit, _, _ in gate.history]
    assert limits[-1] == 3 and limits == sorted(limits, reverse=True)
    assert max(later) == 3           # once fallen, no more than the floor start together


def test_each_signal_moves_the_limit_its_way():
    gate = Admission(None, start=20, floor=4, ceiling_=100, probe=FixedProbe(IDLE), tick=3600)
    try:
        gate.running = 20
        assert gate.next_limit(IDLE, waiting=5) == 20 + admission.cores()          # queued, room: up
        assert gate.next_limit(IDLE, waiting=0) == 20                              # nobody waiting: stays
        gate._smoothed.clear()
        assert gate.next_limit(Sample(0.99, 0.5, 64 << 30, 0.0, 1.0), 5) == 20    # busy, on time: holds
        gate._smoothed.clear()
        assert gate.next_limit(Sample(0.3, 0.1, 64 << 30, 0.0, 500.0), 5) == 18   # tasks wake late: down
        gate._smoothed.clear()
        short = Sample(0.3, 0.1, admission.memory_reserve() // 2, 0.0, 1.0)
        assert gate.next_limit(short, 5) == 15                                     # memory short: a quarter
        assert gate.next_limit(Sample(0.3, 0.1, 64 << 30, 0.5, 1.0), 5) == 15     # memory stalls: a quarter
        gate.running = 2
        assert gate.next_limit(short, 5) == 4                                      # never below the floor
    finally:
        gate.close()


def test_the_probe_reads_this_machine_and_sees_cores_burn():
    probe = MachineProbe()
    burners = [subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass"])
               for _ in range(admission.cores())]
    try:
        time.sleep(1.0)
        sample = probe.sample()
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert sample.busy is not None and 0.3 < sample.busy <= 1.0
    assert sample.memory_available > 0
    assert sample.cpu_stall is None or 0.0 <= sample.cpu_stall <= 1.0
    assert admission.starting_limit() <= admission.ceiling()


class CountingEngine(Engine):
    """Counts the tests whose workers run at the same moment."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.now = self.most = 0
        self.count_lock = threading.Lock()

    def _run_admitted(self, *args):
        with self.count_lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return super()._run_admitted(*args)
        finally:
            with self.count_lock:
                self.now -= 1


def test_the_engine_runs_no_more_workers_than_minus_j(specs, reference_submission):
    with CountingEngine(jobs=2) as eng:
        result = eng.grade(reference_submission("udp-echo"), specs["udp-echo"])
    assert all(t.passed for t in result.tests)
    assert eng.most == 2 and eng.jobs == 2 and not eng.admission.adaptive


def test_by_default_the_engine_follows_the_machine(specs, reference_submission):
    with CountingEngine() as eng:
        result = eng.grade(reference_submission("udp-echo"), specs["udp-echo"])
        assert eng.admission.adaptive and eng.jobs >= eng.admission.ceiling >= eng.admission.limit
    assert all(t.passed for t in result.tests)
    assert 1 <= eng.most <= eng.admission.peak_running


def test_the_limits_of_a_class_never_add_up_to_more_memory_than_is_free(specs, reference_submission):
    """A spec whose tests may each take a third of the free memory: at most two at once, whatever the
    machine's cores would allow; a limit the teacher set (-j) stays theirs."""
    import dataclasses
    spec = specs["udp-echo"]
    third = (admission.available_memory() - admission.memory_reserve()) // 3 >> 20
    greedy = dataclasses.replace(spec, limits=dataclasses.replace(spec.limits, memory_mib=third),
                                 tests=spec.tests[:1])
    with Engine() as engine:
        before = engine.admission.ceiling
        engine.grade(reference_submission("udp-echo"), greedy)
        assert before > 2 and engine.admission.ceiling <= 2 and engine.admission.limit <= 2
    with Engine(jobs=5) as engine:
        engine.grade(reference_submission("udp-echo"), greedy)
        assert engine.admission.ceiling == 5
