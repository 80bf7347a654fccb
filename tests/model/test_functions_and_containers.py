"""Queue timings, scoped ARNs and container data (no YAML rendered)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payinfra.config import Context
from payinfra.model.containers import containers, ecr_repository_arn
from payinfra.model.functions import functions
from payinfra.model.site import site


@pytest.mark.parametrize("region", ["us-east-1", "us-east-2"])
def test_visibility_timeout_covers_six_function_timeouts_plus_the_window(
    context: Context, region: str
) -> None:
    here = site(context, region)
    fn = here.settings.function
    model = functions(here)
    assert model.visibility_timeout_s >= 6 * fn.timeout_s + fn.batching_window_s
    assert model.dlq_retention_s > model.queue_retention_s  # a message's age counts from first enqueue


@pytest.mark.parametrize("reserved,expected", [(0, None), (3, None), (4, 2), (50, 25)])
def test_sqs_poller_gets_half_the_reservation_or_no_limit(
    context_with: Callable[..., Context], reserved: int, expected: int | None
) -> None:
    ctx = context_with(f"defaults.lambda.reserved_concurrency={reserved}")
    assert functions(site(ctx, "us-east-1")).sqs_max_concurrency == expected


def test_arns_are_scoped_to_this_deployment(context: Context) -> None:
    model = functions(site(context, "us-east-1"))
    assert model.queue_arn.endswith(":" + context.names.sub("queue"))
    assert model.sessions_table_arn.endswith(":table/" + context.names.sub("sessions_table"))
    assert model.parameter_path_arn.endswith(":parameter" + context.names.sub("ssm_path"))
    assert "*" not in model.queue_arn + model.sessions_table_arn + model.parameter_path_arn


@pytest.mark.parametrize(
    "image,arn",
    [
        ("public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine", ""),
        ("nginx:1.27", ""),
        ("123456789012.dkr.ecr.us-east-2.amazonaws.com/payments/api:1.4",
         "arn:${AWS::Partition}:ecr:us-east-2:123456789012:repository/payments/api"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:abc",
         "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/api"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/api",
         "arn:${AWS::Partition}:ecr:us-east-1:123456789012:repository/api"),
    ],
)
def test_only_a_private_ecr_image_gets_a_repository_to_pull_from(image: str, arn: str) -> None:
    assert ecr_repository_arn(image) == arn


def test_memory_reservation_is_half_the_hard_limit(context: Context) -> None:
    here = site(context, "us-east-1")
    assert containers(here).memory_reservation * 2 <= here.settings.ecs.memory


def test_no_performance_insights_on_the_smallest_classes(context_with: Callable[..., Context]) -> None:
    from payinfra.model.data import data

    small = context_with("defaults.database.instance_class=db.t4g.micro")
    large = context_with("defaults.database.instance_class=db.r6g.large")
    assert not data(site(small, "us-east-1")).performance_insights
    assert data(site(large, "us-east-1")).performance_insights
    assert set('/@"') <= set(data(site(large, "us-east-1")).password_excluded)
