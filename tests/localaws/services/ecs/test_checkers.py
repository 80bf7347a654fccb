"""ECS's describe-checkers: a service is asked for in the cluster its ARN names."""

from __future__ import annotations

from typing import Any

import pytest

from localaws.describing import Missing
from localaws.services.ecs.checkers import ecs_service

ARN = "arn:aws:ecs:us-east-1:123456789012:service/payments/api"


class _Ecs:
    def __init__(self, status: str) -> None:
        self.status = status
        self.asked: list[dict[str, Any]] = []

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        return {"services": [{"status": self.status, "launchType": "FARGATE", "desiredCount": 2}]}


@pytest.mark.parametrize(
    ("physical_id", "asked"),
    [
        (ARN, {"services": [ARN], "cluster": "payments"}),
        ("api", {"services": ["api"]}),  # a bare name: the default cluster
    ],
)
def test_a_service_is_described_in_its_cluster(physical_id: str, asked: dict[str, Any]) -> None:
    ecs = _Ecs("ACTIVE")
    assert ecs_service(lambda service: ecs, physical_id) == "FARGATE desired 2, 0 registries"
    assert ecs.asked == [asked]


def test_an_inactive_service_is_missing() -> None:
    with pytest.raises(Missing, match="is INACTIVE"):
        ecs_service(lambda service: _Ecs("INACTIVE"), ARN)
