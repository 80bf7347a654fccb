"""Config validation: every bad input names its key and problem; good input loads typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from payinfra.config import ConfigError, load_context
from payinfra.topology.names import max_suffix_length


def problems(*overrides: str, suffix: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_context(overrides=list(overrides), suffix=suffix)
    return err.value.problems


def test_default_context_loads_with_region_differences() -> None:
    ctx = load_context()
    assert ctx.project.primary_region == "us-east-1"
    assert ctx.project.secondary_regions == ("us-east-2",)
    assert ctx.project.peering == "hub-and-spoke"
    secondary = ctx.secondaries["us-east-2"]
    assert ctx.primary.vpc_cidr == "10.0.0.0/16"
    assert secondary.vpc_cidr == "10.1.0.0/16"
    assert ctx.primary.az_count == 3
    assert ctx.project.database_mode == "replica"
    assert ctx.primary.function.runtime == "python3.13"
    assert secondary.alarms.latency_p99_ms < ctx.primary.alarms.latency_p99_ms
    assert set(secondary.waf.blocked_countries) != set(ctx.primary.waf.blocked_countries)
    # [defaults] reaches both regions; a region table overrides only its own keys.
    assert ctx.primary.ecs == secondary.ecs
    assert secondary.alarms.alb_5xx_count == ctx.primary.alarms.alb_5xx_count


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        ("us-east-2.vpc_cidr=10.0.128.0/17", "us-east-2.vpc_cidr", "overlaps us-east-1.vpc_cidr"),
        ("us-east-2.vpc_cidr=10.1.0.300/16", "us-east-2.vpc_cidr", "not a valid IPv4 CIDR"),
        ("us-east-2.vpc_cidr=10.1.0.1/16", "us-east-2.vpc_cidr", "not a valid IPv4 CIDR"),
        ("us-east-1.vpc_cidr=8.8.0.0/16", "us-east-1.vpc_cidr", "not a private"),
        ('us-east-2.waf.blocked_countries=["KP", "XX"]', "us-east-2.waf.blocked_countries", "XX"),
        ('us-east-1.waf.blocked_countries=["KP","IR","SY","CU","RU","BY"]',
         "us-east-2.waf.blocked_countries", "must differ"),
        ("us-east-2.alarms.latency_p99_ms=1001", "us-east-2.alarms.latency_p99_ms", "at most"),
        ("us-east-2.alarms.latency_p99_ms=1500", "us-east-2.alarms.latency_p99_ms", "at most"),
        ("us-east-2.alarms.latency_p99_mss=100", "us-east-2.alarms.latency_p99_mss", "unknown key"),
        ("defaults.ecs.cpuu=512", "us-east-1.ecs.cpuu", "unknown key"),
        ("project.regoin=x", "project.regoin", "unknown key"),
        ("defaults.ecs.memory=3000", "us-east-1.ecs.memory", "invalid for cpu 512"),
        ("defaults.nat_gateways=2", "us-east-1.nat_gateways", "must be 1 or az_count"),
        ('defaults.payments.currencies=["USD","ZZZ"]', "us-east-1.payments.currencies", "ZZZ"),
        ("defaults.payments.max_amount='-5'", "us-east-1.payments.max_amount", "positive"),
        ("defaults.lambda.runtime='python2.7'", "us-east-1.lambda.runtime", "python3.13"),
        ("project.database_mode=mirror", "project.database_mode", "replica"),
        ('project.secondary_regions=["us-east-1"]', "project.secondary_regions", "lists the primary_region"),
        ('project.secondary_regions=["us-east-2","us-east-2"]', "project.secondary_regions",
         "us-east-2 more than once"),
        ("project.secondary_regions=[]", "project.secondary_regions", "at least 1"),
        ("project.peering=star", "project.peering", "hub-and-spoke"),
        ("us-east-2.database.engine_version='16.13'", "us-east-2.database.engine_version",
         "replica mode"),
        ("defaults.database.backup_retention_days=0", "us-east-1.database.backup_retention_days",
         "greater than or equal to 1"),
    ],
)
def test_bad_value_names_key_and_problem(override: str, key: str, fragment: str) -> None:
    found = problems(override)
    assert any(p.startswith(f"{key}:") and fragment in p for p in found), found


@pytest.mark.parametrize("suffix", ["Dev", "dev_1", "-dev", "dev-", "1dev", "de--v", "dév", ""])
def test_suffix_that_breaks_resource_names_is_rejected(suffix: str) -> None:
    found = problems(suffix=suffix)
    assert any(p.startswith("project.suffix:") for p in found), found


def test_suffix_length_is_bounded_by_the_tightest_aws_name_limit() -> None:
    limit = max_suffix_length("payments")
    load_context(suffix="a" * limit)  # fits exactly
    found = problems(suffix="a" * (limit + 1))
    assert any("at most" in p and "characters" in p for p in found), found


def test_independent_mode_allows_different_engine_versions() -> None:
    ctx = load_context(
        overrides=["project.database_mode=independent", "us-east-2.database.engine_version='16.13'"]
    )
    assert ctx.secondaries["us-east-2"].database.engine_version == "16.13"


def test_cli_style_override_changes_only_that_key() -> None:
    ctx = load_context(overrides=["us-east-2.alarms.latency_p99_ms=250"], suffix="pr42")
    base = load_context()
    assert ctx.secondaries["us-east-2"].alarms.latency_p99_ms == 250
    assert ctx.project.suffix == "pr42"
    assert ctx.primary == base.primary


@pytest.mark.parametrize("item", ["noequals", "=5", "a..b=1"])
def test_malformed_override_is_a_clear_error(item: str) -> None:
    found = problems(item)
    assert found and found[0].startswith("--set"), found


def test_missing_and_broken_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_context(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\napp = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_context(broken)


# -- region names ---------------------------------------------------------------------------------


def _context_with_secondary(tmp_path: Path, region: str) -> Path:
    """context.toml with the us-east-2 table and secondary_regions renamed, as a user would."""
    text = (Path(__file__).resolve().parents[2] / "context.toml").read_text()
    path = tmp_path / "context.toml"
    text = text.replace("us-east-2", region)
    if region not in ("us-east-2", "us-west-2"):  # outside us-east-1's strong-consistency region set
        text = text.replace('ledger_consistency = "strong"', 'ledger_consistency = "eventual"')
    path.write_text(text)
    return path


def test_unknown_region_names_the_key_and_the_closest_regions(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_context(_context_with_secondary(tmp_path, "us-east-3"))
    (problem,) = err.value.problems
    assert problem.startswith("project.secondary_regions: 'us-east-3' is not an AWS region")
    suggested = problem.partition("did you mean ")[2].rstrip("?").split(", ")
    assert {"us-east-1", "us-east-2"} <= set(suggested) and len(suggested) <= 4


def test_a_region_outside_the_primarys_partition_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_context(_context_with_secondary(tmp_path, "us-gov-west-1"))
    assert err.value.problems == [
        "project.secondary_regions: us-gov-west-1 is in partition aws-us-gov, primary_region us-east-1 "
        "in aws: cross-region replication and peering need one partition"
    ]


def test_any_region_of_the_partition_loads(tmp_path: Path) -> None:
    """The positive control: the list is botocore's, not a hard-coded pair."""
    ctx = load_context(_context_with_secondary(tmp_path, "eu-west-1"))
    assert ctx.project.secondary_regions == ("eu-west-1",)


def test_strong_ledger_outside_one_region_set_names_the_key(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "context.toml").read_text()
    text = text.replace("us-east-2", "eu-west-1")
    (tmp_path / "context.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_context(tmp_path / "context.toml")
    (problem,) = err.value.problems
    assert problem.startswith("recovery.ledger_consistency: strong consistency needs every region in one")
    assert 'recovery.ledger_consistency = "eventual"' in problem


def test_strong_ledger_picks_the_region_sets_third_region_as_witness() -> None:
    assert load_context().ledger_witness == "us-west-2"
    three = load_context(Path(__file__).resolve().parents[2] / "examples" / "three-regions.toml")
    assert three.ledger_witness is None  # three replicas, no witness
    with pytest.raises(ConfigError, match="witness_region: us-east-2 must be a region of"):
        load_context(overrides=['recovery.witness_region="us-east-2"'])


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ("project.primary_region=useast1", "project.primary_region: 'useast1' is not an AWS region"),
        ("us-east-2.vpc_cidr=10.1.0.0/33", "us-east-2.vpc_cidr: '10.1.0.0/33' is not a valid IPv4 CIDR"),
        ("us-east-2.foo=1", "us-east-2.foo: unknown key (typo?)"),
    ],
)
def test_bad_input_to_local_is_one_line_and_exit_2(
    override: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from payinfra.__main__ import main

    assert main(["local", "--set", override]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (only,) = err.splitlines()  # one problem: one line, naming the file and the key
    assert only.startswith("config error in ") and f": {line}" in only, err


# -- any number of secondaries ---------------------------------------------------------------------

THREE_REGIONS = Path(__file__).resolve().parents[2] / "examples" / "three-regions.toml"


def three_region_problems(*overrides: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_context(THREE_REGIONS, overrides=list(overrides))
    return err.value.problems


def test_the_three_region_example_loads_every_secondary_in_order() -> None:
    ctx = load_context(THREE_REGIONS)
    assert ctx.project.secondary_regions == ("us-east-2", "us-west-2")
    assert list(ctx.secondaries) == ["us-east-2", "us-west-2"]
    assert ctx.project.region_names == ("us-east-1", "us-east-2", "us-west-2")
    assert ctx.secondaries["us-west-2"].vpc_cidr == "10.2.0.0/16"
    # [defaults] reaches the third region too.
    assert ctx.secondaries["us-west-2"].ecs == ctx.primary.ecs


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        # Two secondaries overlap each other (not the primary): still refused, naming the later one.
        ("us-west-2.vpc_cidr=10.1.128.0/17", "us-west-2.vpc_cidr", "overlaps us-east-2.vpc_cidr"),
        ("us-west-2.alarms.latency_p99_ms=1200", "us-west-2.alarms.latency_p99_ms", "at most"),
        ('us-west-2.waf.blocked_countries=["CU","IR","KP","SY"]', "us-west-2.waf.blocked_countries",
         "must differ from us-east-1"),
        ("us-west-2.database.engine_version='16.13'", "us-west-2.database.engine_version", "replica mode"),
        ('project.secondary_regions=["us-east-2"]', "project.secondary_regions",
         "neither primary nor a secondary: us-west-2"),
        ('project.secondary_regions=["us-east-2","us-west-2","eu-west-1"]', "project",
         "no table for region(s) eu-west-1"),
    ],
)
def test_every_secondary_is_validated_against_the_primary_and_the_others(
    override: str, key: str, fragment: str
) -> None:
    found = three_region_problems(override)
    assert any(p.startswith(f"{key}:") and fragment in p for p in found), found


def test_a_secondary_may_equal_the_primarys_latency_threshold() -> None:
    """The rule is "at most the primary's": equal is allowed, looser is not."""
    ctx = load_context(THREE_REGIONS, overrides=["us-west-2.alarms.latency_p99_ms=1000"])
    assert ctx.secondaries["us-west-2"].alarms.latency_p99_ms == ctx.primary.alarms.latency_p99_ms


def test_the_single_secondary_key_still_works(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "context.toml").read_text()
    path = tmp_path / "context.toml"
    path.write_text(text.replace('secondary_regions = ["us-east-2"]', 'secondary_region = "us-east-2"'))
    assert 'secondary_region = "us-east-2"' in path.read_text()
    assert load_context(path).project.secondary_regions == ("us-east-2",)


def test_both_secondary_keys_at_once_say_what_to_write() -> None:
    found = problems("project.secondary_region=us-east-2")
    assert any(
        p.startswith("project.secondary_region:") and 'secondary_regions = ["us-east-2", ...]' in p
        for p in found
    ), found


def test_the_api_name_keeps_environments_in_one_zone_apart() -> None:
    assert load_context().api_name == "api-dev.payments.example.internal"
    assert load_context(suffix="pr42").api_name == "api-pr42.payments.example.internal"
    assert load_context(overrides=['recovery.record_name="api"']).api_name == "api.payments.example.internal"
    with pytest.raises(ConfigError, match=r"recovery\.record_name"):
        load_context(overrides=['recovery.record_name="api.{region}"'])
