"""Deleting one weighted (or failover) record of a stack deletes that record only.

Records of one name and type are told apart by `SetIdentifier` (weighted, failover, latency
routing: https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html).
moto 5.2.5's CloudFormation delete of an `AWS::Route53::RecordSet` removed every record of the
name and type: a global stack update that drops one region's weighted record (a region removed)
left the name with no record at all, and DNS answered nothing. Here the delete matches the
record's SetIdentifier too.
"""

from __future__ import annotations

from typing import Any

from localaws._moto import RecordSet, route53_backends
from localaws.patching import Patcher


def _delete(self: Any, account_id: str, region: str) -> None:
    backend = route53_backends[account_id]["aws"]
    zone = backend.get_hosted_zone_by_name(self.hosted_zone_name) if self.hosted_zone_name else None
    if zone is None:
        zone = backend.get_hosted_zone(self.hosted_zone_id)
    zone.rrsets = [
        r
        for r in zone.rrsets
        if not (r.name == self.name and r.type == self.type and r.set_identifier == self.set_identifier)
    ]


def apply(patcher: Patcher) -> None:
    patcher.replace(RecordSet, "delete", _delete)
