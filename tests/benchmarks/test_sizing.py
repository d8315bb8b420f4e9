"""Right-sizing's arithmetic: CPU shares, quotas, cost per million, the choice per environment, the block."""

from __future__ import annotations

import math

import pytest

from benchmarks.sizing import (
    BEGIN,
    END,
    Limits,
    SizeFigures,
    carried_over,
    cpu_share,
    quota_us,
    recommend,
    section,
    with_section,
)

FIGURES = [
    SizeFigures(memory_mb=256, init_ms=3000, first_request_ms=120, warm_p50_ms=60.2, warm_p99_ms=140),
    SizeFigures(memory_mb=512, init_ms=1500, first_request_ms=60, warm_p50_ms=30.0, warm_p99_ms=70),
    SizeFigures(memory_mb=1024, init_ms=800, first_request_ms=30, warm_p50_ms=16.0, warm_p99_ms=40),
]


def test_one_vcpu_is_1769_mb_and_the_quota_is_that_share_of_the_period() -> None:
    assert cpu_share(1769) == 1.0
    assert math.isclose(cpu_share(512), 0.2894, abs_tol=1e-4)
    assert quota_us(512) == 28_943
    assert quota_us(1769) == 100_000
    assert quota_us(1) == 1000, "the kernel's minimum quota"


def test_cost_per_million_rounds_the_billed_duration_up_to_the_millisecond() -> None:
    # 256 MB, 60.2 ms billed as 61 ms: 1e6 x (0.0000002 + 0.061 s x 0.25 GB x 0.0000133334) = 0.4033...
    assert math.isclose(FIGURES[0].cost_per_million(), 0.2 + 61 / 1000 * 0.25 * 0.0000133334 * 1e6)


def test_the_recommendation_is_the_cheapest_size_inside_the_limits() -> None:
    assert recommend(FIGURES, Limits(warm_p99_ms=1000, cold_ms=5000)) == FIGURES[1]
    assert recommend(FIGURES, Limits(warm_p99_ms=1000, cold_ms=1000)) == FIGURES[2]
    assert recommend(FIGURES, Limits(warm_p99_ms=10, cold_ms=10)) is None


def test_the_section_says_it_is_an_estimate_and_recommends_per_environment() -> None:
    text = section(FIGURES, {"dev": Limits(warm_p99_ms=3000, cold_ms=3000)}, commit="abc123", machine="test")

    assert "an estimate" in text
    assert "- dev: 512 MB" in text
    assert "| 1024 | 0.58 | 800 | 30 | 16.0 | 40.0 |" in text


@pytest.mark.parametrize("page", ["# Report\n", f"# Report\n\n{BEGIN}\n\nold\n\n{END}\n\nafter\n"])
def test_the_block_is_replaced_or_appended_and_survives_a_full_bench_report(page: str) -> None:
    updated = with_section(page, "new figures")

    assert updated.count(BEGIN) == 1
    assert "new figures" in updated
    assert "old" not in updated
    assert "new figures" in carried_over(updated, "# A new full report\n")
