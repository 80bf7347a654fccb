"""DNS answers: failover aliases answer only the healthy, active region, without the us-east-1 API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.services.route53.resolver import answer

from ..support import emulated
from .route53_support import RECORD, ZONE, fence_alarm, load_balancer, metric_check, publish


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    CLOCK.reset()
    FAULTS.reset()
    yield
    CLOCK.reset()
    FAULTS.reset()


def _failover_records(client: Any, targets: dict[str, tuple[str, str]]) -> str:
    """PRIMARY (us-east-1) and SECONDARY (us-east-2) aliases; targets: region -> (alb dns, check id)."""
    r53 = client("route53")
    zone = r53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": RECORD,
                "Type": "A",
                "SetIdentifier": region,
                "Failover": role,
                "HealthCheckId": targets[region][1],
                "AliasTarget": {
                    "HostedZoneId": "Z35SXDOTRQ7X7K",
                    "DNSName": targets[region][0],
                    "EvaluateTargetHealth": True,
                },
            },
        }
        for region, role in (("us-east-1", "PRIMARY"), ("us-east-2", "SECONDARY"))
    ]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    return str(zone)


def _regions(client: Any) -> dict[str, tuple[str, str]]:
    targets = {}
    for region in ("us-east-1", "us-east-2"):
        alb = load_balancer(client, region)
        check = metric_check(client, region, fence_alarm(client, region), insufficient="Unhealthy")
        targets[region] = (alb, check)
    return targets


def test_the_answer_follows_the_fence_metric_and_the_outage() -> None:
    with emulated() as client:
        targets = _regions(client)
        zone = _failover_records(client, targets)
        east1, east2 = targets["us-east-1"][0], targets["us-east-2"][0]
        publish(client, "us-east-1", 1)
        publish(client, "us-east-2", 0)
        assert answer(RECORD) == [east1]
        tested = client("route53").test_dns_answer(HostedZoneId=zone, RecordName=RECORD, RecordType="A")
        assert tested["RecordData"] == [east1]
        assert tested["ResponseCode"] == "NOERROR"
        # failover from the surviving region: us-east-2 becomes active, us-east-1 is lost
        FAULTS.outage("us-east-1")
        publish(client, "us-east-2", 1)
        assert answer(f"{RECORD}.") == [east2]


def test_a_fenced_standby_gets_no_traffic_and_none_healthy_answers_the_primary() -> None:
    with emulated() as client:
        targets = _regions(client)
        _failover_records(client, targets)
        publish(client, "us-east-1", 0)
        publish(client, "us-east-2", 0)
        assert answer(RECORD) == [targets["us-east-1"][0]]  # all unhealthy: all considered healthy


def test_moto_alone_answers_no_dns_query() -> None:
    with emulated(skip={"route53_resolver"}) as client:
        targets = _regions(client)
        zone = _failover_records(client, targets)
        with pytest.raises(ClientError):
            client("route53").test_dns_answer(HostedZoneId=zone, RecordName=RECORD, RecordType="A")


def test_weighted_records_answer_every_healthy_non_zero_weight() -> None:
    with emulated() as client:
        r53 = client("route53")
        zone = r53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"]
        albs = {region: load_balancer(client, region) for region in ("us-east-1", "us-east-2")}
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": RECORD,
                    "Type": "A",
                    "SetIdentifier": region,
                    "Weight": 1,
                    "AliasTarget": {
                        "HostedZoneId": "Z35SXDOTRQ7X7K",
                        "DNSName": alb,
                        "EvaluateTargetHealth": True,
                    },
                },
            }
            for region, alb in albs.items()
        ]
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
        assert sorted(answer(RECORD)) == sorted(albs.values())
        FAULTS.outage("us-east-2")
        assert answer(RECORD) == [albs["us-east-1"]]
