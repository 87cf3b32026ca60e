"""Each reference program, handed in as a student would, scores full marks on its spec."""
import pytest

from conftest import REFERENCE_AS_STUDENT


@pytest.mark.parametrize("spec_id", sorted(REFERENCE_AS_STUDENT))
def test_reference_scores_full_marks(spec_id, specs, engine, reference_submission):
    spec = specs[spec_id]
    result = engine.grade(reference_submission(spec_id), spec)
    failed = {t.name: t.reason for t in result.tests if not t.passed}
    assert failed == {}
    assert result.score == spec.max_score + sum(t.points for t in spec.tests if t.bonus)
    assert result.max_score == spec.max_score > 0


def test_every_tag_is_covered(specs):
    # startup/transport/protocol/robustness/client/interop everywhere; state and
    # concurrency where the assignment has them.
    wanted = {"startup", "transport", "protocol", "robustness", "client", "interop"}
    for spec in specs.values():
        tags = {tag for test in spec.tests for tag in test.tags}
        assert wanted <= tags, spec.id
    assert "concurrency" in {t for test in specs["tcp-contacts-threaded"].tests for t in test.tags}
    assert "concurrency" in {t for test in specs["tcp-echo-threaded"].tests for t in test.tags}
    assert "state" in {t for test in specs["udp-contacts"].tests for t in test.tags}
