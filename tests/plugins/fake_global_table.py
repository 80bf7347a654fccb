"""A DynamoDB global table as AWS describes it, for plugins that moto cannot exercise (moto ignores
ReplicaUpdates and MultiRegionConsistency). One `FakeGlobalTable` holds the shared state; each
region gets a client (`client(region)`) answering the calls the replica plugins make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


@dataclass
class FakeGlobalTable:
    name: str
    primary: str
    items: list[dict[str, Any]] = field(default_factory=list)
    consistency: str | None = None
    replicas: dict[str, dict[str, Any]] = field(default_factory=dict)
    witnesses: dict[str, str] = field(default_factory=dict)
    pitr: dict[str, bool] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    # Status a new replica or witness shows on the first describe after its creation.
    creating_polls: int = 3
    _pending: dict[str, int] = field(default_factory=dict)

    def arn(self, region: str) -> str:
        return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{self.name}"

    def client(self, region: str) -> FakeDynamoDb:
        return FakeDynamoDb(self, region)

    def members(self) -> set[str]:
        return {self.primary, *self.replicas}


class FakeDynamoDb:
    def __init__(self, table: FakeGlobalTable, region: str) -> None:
        self.t = table
        self.region = region

    def _check(self, name: str) -> None:
        if name != self.t.name or self.region not in self.t.members():
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": f"no table {name}"}},
                "DescribeTable",
            )

    def _status(self, key: str) -> str:
        left = self.t._pending.get(key, 0)
        if left:
            self.t._pending[key] = left - 1
            return "CREATING"
        return "ACTIVE"

    def describe_table(self, TableName: str) -> dict[str, Any]:
        self._check(TableName)
        t = self.t
        replicas = [{"RegionName": t.primary, "ReplicaStatus": "ACTIVE"}] if t.replicas else []
        replicas += [dict(r, ReplicaStatus=self._status(r["RegionName"])) for r in t.replicas.values()]
        description: dict[str, Any] = {
            "TableName": t.name,
            "TableArn": t.arn(self.region),
            "TableStatus": "ACTIVE",
            "StreamSpecification": STREAM,
            "Replicas": replicas,
            "DeletionProtectionEnabled": False,
        }
        if t.witnesses:
            description["GlobalTableWitnesses"] = [
                {"RegionName": w, "WitnessStatus": self._status(f"witness {w}")} for w in t.witnesses
            ]
        if t.consistency:
            description["MultiRegionConsistency"] = t.consistency
        return {"Table": description}

    def update_table(self, **request: Any) -> dict[str, Any]:
        self._check(request["TableName"])
        t = self.t
        t.updates.append(request)
        for change in request.get("ReplicaUpdates", []):
            if "Create" in change:
                region = change["Create"]["RegionName"]
                t.replicas[region] = {
                    "RegionName": region,
                    "KMSMasterKeyId": change["Create"].get("KMSMasterKeyId", ""),
                }
                t._pending[region] = t.creating_polls
            elif "Delete" in change:
                t.replicas.pop(change["Delete"]["RegionName"], None)
        for change in request.get("GlobalTableWitnessUpdates", []):
            if "Create" in change:
                region = change["Create"]["RegionName"]
                t.witnesses[region] = "ACTIVE"
                t._pending[f"witness {region}"] = t.creating_polls
            else:
                t.witnesses.pop(change["Delete"]["RegionName"], None)
        if "MultiRegionConsistency" in request:
            t.consistency = request["MultiRegionConsistency"]
        return {"TableDescription": self.describe_table(TableName=t.name)["Table"]}

    def scan(self, TableName: str, **_: Any) -> dict[str, Any]:
        self._check(TableName)
        return {"Items": list(self.t.items)}

    def list_tags_of_resource(self, ResourceArn: str) -> dict[str, Any]:
        tags = self.t.tags.get(self.region, {})
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def tag_resource(self, ResourceArn: str, Tags: list[dict[str, str]]) -> None:
        self.t.tags.setdefault(self.region, {}).update({x["Key"]: x["Value"] for x in Tags})

    def describe_continuous_backups(self, TableName: str) -> dict[str, Any]:
        status = "ENABLED" if self.t.pitr.get(self.region) else "DISABLED"
        return {
            "ContinuousBackupsDescription": {
                "ContinuousBackupsStatus": "ENABLED",
                "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": status},
            }
        }

    def update_continuous_backups(self, TableName: str, **_: Any) -> None:
        self.t.pitr[self.region] = True
