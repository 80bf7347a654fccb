"""A stack update that drops one weighted record leaves the others of the name (moto deleted every
record of the name and type)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.localaws.support import create, emulated

ZONE = "payments.example.internal."
NAME = "api-pr42.payments.example.internal."


def _record(region: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Route53::RecordSet",
        "Properties": {
            "HostedZoneName": ZONE, "Name": NAME, "Type": "A", "SetIdentifier": region, "Weight": 1,
            "TTL": "60", "ResourceRecords": ["192.0.2.10"],
        },
    }


def _template(*regions: str) -> dict[str, Any]:
    return {"Resources": {f"Record{r.replace('-', '')}": _record(r) for r in regions}}


@pytest.mark.parametrize("fixed", [True, False])
def test_dropping_one_weighted_record_keeps_the_others(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"route53_record_sets"}) as client:
        route53 = client("route53")
        zone = route53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"]
        create(client, "global", _template("us-east-1", "us-east-2", "us-west-2"))
        client("cloudformation").update_stack(
            StackName="global", TemplateBody=json.dumps(_template("us-east-1", "us-east-2"))
        )
        records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        left = sorted(r["SetIdentifier"] for r in records if r["Name"] == NAME)
        assert left == (["us-east-1", "us-east-2"] if fixed else [])
