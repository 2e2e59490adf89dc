"""What-ifs by interval: ``compare``'s per-interval paired differences (service
level, mean wait, queue) and their 95% CIs, checked against a computation by
hand from each replication's own KPIs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.model.scenario import load_scenario
from sim.planning.whatif import apply_sets, compare, paired_difference
from sim.runs.executor import SerialExecutor
from sim.runs.experiment import Job, run_job

COUNTY = load_scenario("scenarios/county.yaml")
KEYS = ("service_level", "wait_mean_s", "queue_mean")
REPS, SEED = 6, 3


def test_paired_difference_by_hand() -> None:
    """other − first per replication: 1, 0, 3 (the NaN pair left out)."""
    diff = paired_difference([1.0, 2.0, 4.0, math.nan], [2.0, 2.0, 7.0, 5.0])
    mean = 4.0 / 3.0
    sd = math.sqrt(((1 - mean) ** 2 + (0 - mean) ** 2 + (3 - mean) ** 2) / 2)
    half = 4.302652729749464 * sd / math.sqrt(3)  # t(0.975, 2 degrees of freedom)
    assert diff.paired.n == 3
    assert diff.paired.mean == pytest.approx(mean, rel=1e-12)
    assert diff.paired.ci95 == pytest.approx((mean - half, mean + half), rel=1e-9)
    assert not diff.paired.excludes_zero()  # 4/3 ± 3.8


def test_interval_differences_are_paired_t_intervals_of_the_replications() -> None:
    plus = apply_sets(COUNTY, [("counters[0].count", 3)])
    result = compare([COUNTY, plus], REPS, SEED, SerialExecutor(), labels=["base", "plus"])
    (comparison,) = result.differences
    base = [run_job(Job(COUNTY, SEED, r)) for r in range(REPS)]
    more = [run_job(Job(plus, SEED, r)) for r in range(REPS)]
    assert len(comparison.by_interval) == len(base[0].by_interval) == 18
    significant = 0
    for i, row in enumerate(comparison.by_interval):
        assert row.start == f"{int(base[0].by_interval[i]['start_s'] // 3600):02d}:" + (
            f"{int(base[0].by_interval[i]['start_s'] % 3600 // 60):02d}"
        )
        for key in KEYS:
            d = np.array([m.by_interval[i][key] - b.by_interval[i][key] for b, m in
                          zip(base, more, strict=True)])  # fmt: skip
            d = d[~np.isnan(d)]
            paired = row.kpis[key].paired
            assert paired.n == len(d)
            assert paired.mean == pytest.approx(float(d.mean()), rel=1e-12, abs=1e-12)
            if len(d) < 2:
                assert paired.ci95 == (None, None)
                continue
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
            lo, hi = paired.ci95
            assert lo == pytest.approx(d.mean() - half, rel=1e-9, abs=1e-12)
            assert hi == pytest.approx(d.mean() + half, rel=1e-9, abs=1e-12)
            significant += paired.excludes_zero()
    # one more counter visibly shortens the waits of some intervals, not of every one
    assert 0 < significant < 3 * 18


def test_cli_prints_the_per_interval_table_marking_significant_intervals(
    tmp_path: Path,
) -> None:
    plus = tmp_path / "plus.yaml"
    text = Path("scenarios/county.yaml").read_text(encoding="utf-8")
    plus.write_text(text.replace("count: 2, services", "count: 3, services"), encoding="utf-8")
    args = ["compare", "scenarios/county.yaml", str(plus), "-n", "5", "--workers", "1"]
    runner = CliRunner()
    data = json.loads(runner.invoke(hallsim, [*args, "--json"]).stdout)
    table = runner.invoke(hallsim, args)
    assert table.exit_code == 0, table.output
    assert "By interval: plus − county" in table.stdout
    lines = {line.split("│")[1].strip(): line for line in table.stdout.splitlines()
             if line.startswith("│")}  # fmt: skip
    for row in data["differences"][0]["by_interval"]:
        line = lines[row["start"]]
        significant = any(
            (lo := row[k]["ci95"][0]) is not None
            and (hi := row[k]["ci95"][1]) is not None
            and (lo > 0 or hi < 0)
            for k in KEYS
        )
        assert ("*" in line) == significant, line
