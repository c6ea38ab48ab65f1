"""``gdp cost``: the file mix parsed strictly, the engine and where it runs chosen by size as
the trigger does (the single-node function billed per millisecond, Glue with its one-minute
minimum), storage from the lifecycle days, and the prices printed."""

from __future__ import annotations

import pytest

from applications_repo.file_processor.application import FILE_PROCESSOR
from applications_repo.file_processor.cost import (
    DAYS_PER_MONTH,
    Assumptions,
    FileClass,
    Prices,
    estimate,
    parse_mix,
    render,
)
from shared.cli.main import main
from shared.config import StageName, load_config
from shared.errors import PlatformError

CONTEXT = FILE_PROCESSOR.context(load_config(environ={}), StageName.PROD)
SETTINGS, OWN = CONTEXT.settings, CONTEXT.app
GB = 1_000_000_000


def test_the_mix_is_counts_per_day_and_sizes():
    assert parse_mix("1000x2MB, 5x3GB,1x0.5kb") == [
        FileClass(1000, 2_000_000),
        FileClass(5, 3 * GB),
        FileClass(1, 500),
    ]


@pytest.mark.parametrize("mix", ["3xfoo", "10MB", "0x5MB", "", "5x3PB"])
def test_a_bad_mix_is_one_line_naming_the_item(mix):
    with pytest.raises(PlatformError, match="--mix") as error:
        parse_mix(mix)
    assert "\n" not in str(error.value)


def test_small_files_run_on_the_single_node_function_billed_for_their_seconds():
    [runs] = estimate(SETTINGS, OWN, [FileClass(10, 1_000_000)]).runs
    assert (runs.engine, runs.runs_on, runs.size) == ("arrow", "Lambda", OWN.single_node_memory_mb)
    assert runs.runs_per_month == 10 * DAYS_PER_MONTH
    assume = Assumptions()
    seconds = assume.single_node_start_seconds + 1 / assume.single_node_mb_per_s
    assert runs.units == pytest.approx(300 * seconds * OWN.single_node_memory_mb / 1024)
    assert runs.usd == pytest.approx(runs.units * Prices().lambda_gb_second)


def test_a_thousand_files_of_2_mb_a_day_cost_under_30_dollars_a_month():
    """Issue 15's target: the same mix cost about $440 a month on Glue's two-worker minimum."""
    result = estimate(SETTINGS, OWN, parse_mix("1000x2MB"))
    assert [r.runs_on for r in result.runs] == ["Lambda"]
    assert result.total_usd <= 30
    on_glue = 1000 * DAYS_PER_MONTH * 2 * Prices().glue_minimum_seconds / 3600
    assert result.total_usd < on_glue * Prices().glue_dpu_hour / 10


def test_files_above_the_single_node_threshold_take_spark_on_every_worker():
    large = SETTINGS.glue.single_node_max_bytes + 1
    [runs] = estimate(SETTINGS, OWN, [FileClass(1, large)]).runs
    assert (runs.engine, runs.runs_on, runs.size) == ("spark", "Glue", SETTINGS.glue.max_workers)
    work = large / 1e6 / (Assumptions().spark_mb_per_s_per_executor * (runs.size - 1))
    assert runs.seconds_per_run == pytest.approx(Assumptions().glue_start_seconds + work, abs=0.1)


def test_files_above_the_trigger_limit_cost_no_glue_and_are_listed():
    too_big = OWN.max_object_bytes + 1
    result = estimate(SETTINGS, OWN, [FileClass(1, too_big), FileClass(1, 1_000_000)])
    assert [r.files.size_bytes for r in result.runs] == [1_000_000]
    assert result.rejected == [FileClass(1, too_big)]


def test_storage_follows_the_lifecycle_days():
    result = estimate(SETTINGS, OWN, [FileClass(1, GB)])
    [storage] = [line for line in result.lines if line.item.startswith("S3 storage")]
    days = SETTINGS.storage
    expected = days.input_expiration_days + 0.3 * days.output_expiration_days
    assert storage.quantity == pytest.approx(expected)


def test_cost_grows_with_the_number_of_files():
    one = estimate(SETTINGS, OWN, [FileClass(100, 50_000_000)]).total_usd
    two = estimate(SETTINGS, OWN, [FileClass(200, 50_000_000)]).total_usd
    assert two == pytest.approx(2 * one)


def test_gdp_cost_prints_the_estimate_with_its_prices(capsys):
    assert main(["cost", "--mix", "100x10MB"]) == 0
    out = capsys.readouterr().out
    assert "FileProcessorV2 in prod" in out
    assert f"${Prices().glue_dpu_hour}/DPU-hour" in out
    assert "total" in out and "Assumptions:" in out
    assert render("prod", SETTINGS, estimate(SETTINGS, OWN, parse_mix("100x10MB"))) in out


def test_gdp_cost_refuses_a_bad_mix_with_exit_2(capsys):
    assert main(["cost", "--mix", "lots"]) == 2
    assert capsys.readouterr().err.startswith("gdp: --mix: 'lots'")
