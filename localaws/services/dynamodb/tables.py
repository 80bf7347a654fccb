"""Apply the DynamoDB table properties moto drops, and support `AWS::DynamoDB::GlobalTable`.

moto 5.2.5's `AWS::DynamoDB::Table` model passes `SSESpecification` on in CloudFormation's
shape (`SSEEnabled`), where the backend reads the API's (`Enabled`): DescribeTable has no
SSEDescription although the template asked for a customer-managed key. It also ignores
`PointInTimeRecoverySpecification` (DescribeContinuousBackups says DISABLED) and
`TimeToLiveSpecification`. `verify` reads all three, so the model applies them here.

`AWS::DynamoDB::GlobalTable` has no model (skipped). Its model here creates the table in every
replica region with that replica's SSE key, PITR and tags, and deletes them all with the stack.
moto has no replication, so items written in one region never appear in another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import Table, dynamodb_backends
from localaws.patching import EmulatorModel, Patcher


def _sse(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """CloudFormation's SSESpecification in the API's shape (what moto's backend reads)."""
    if not spec:
        return None
    enabled = str(spec.get("SSEEnabled", spec.get("Enabled", False))).lower() == "true"
    api: dict[str, Any] = {"Enabled": enabled}
    if enabled:
        api["SSEType"] = spec.get("SSEType", "KMS")
        if spec.get("KMSMasterKeyId"):
            api["KMSMasterKeyId"] = spec["KMSMasterKeyId"]
    return api


def apply_table_settings(
    backend: Any, table_name: str, pitr: dict[str, Any] | None, ttl: dict[str, Any] | None
) -> None:
    if pitr is not None:
        enabled = str(pitr.get("PointInTimeRecoveryEnabled", False)).lower() == "true"
        backend.update_continuous_backups(table_name, {"PointInTimeRecoveryEnabled": enabled})
    if ttl:
        backend.update_time_to_live(
            table_name,
            {
                "AttributeName": ttl["AttributeName"],
                "Enabled": str(ttl.get("Enabled", False)).lower() == "true",
            },
        )


def _create_table(original: Callable[..., Table]) -> Callable[..., Table]:
    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Table:
        properties = cloudformation_json.setdefault("Properties", {})
        properties["SSESpecification"] = _sse(properties.get("SSESpecification"))
        table = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        apply_table_settings(
            dynamodb_backends[account_id][region_name],
            table.name,
            properties.get("PointInTimeRecoverySpecification"),
            properties.get("TimeToLiveSpecification"),
        )
        return table

    return create


class GlobalTableModel(EmulatorModel):
    ATTRIBUTES = ("Arn", "StreamArn", "TableId")

    def __init__(self, name: str, regions: list[str], home: Table) -> None:
        self.physical_resource_id = name
        self.regions = regions
        self.attributes = {
            "Arn": home.table_arn,
            "StreamArn": f"{home.table_arn}/stream/{home.latest_stream_label}"
            if home.latest_stream_label
            else None,
            "TableId": home.name,  # moto tables have no separate table ID
        }

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::DynamoDB::GlobalTable"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TableName"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> GlobalTableModel:
        p = cloudformation_json["Properties"]
        replicas = p.get("Replicas") or [{"Region": region_name}]
        regions = [r["Region"] for r in replicas]
        if region_name not in regions:
            raise ValueError(
                f"AWS::DynamoDB::GlobalTable needs a replica in the stack's region {region_name}"
            )
        stream = p.get("StreamSpecification")
        home: Table | None = None
        for replica in replicas:
            backend = dynamodb_backends[account_id][replica["Region"]]
            sse = dict(p.get("SSESpecification") or {})
            replica_sse = replica.get("SSESpecification") or {}
            if replica_sse.get("KMSMasterKeyId"):
                sse["KMSMasterKeyId"] = replica_sse["KMSMasterKeyId"]
            table = backend.create_table(
                name=resource_name,
                schema=p["KeySchema"],
                attr=p["AttributeDefinitions"],
                global_indexes=p.get("GlobalSecondaryIndexes", []),
                indexes=p.get("LocalSecondaryIndexes", []),
                throughput=None,
                billing_mode=p.get("BillingMode", "PROVISIONED"),
                streams={"StreamEnabled": True, **stream} if stream else None,
                tags=replica.get("Tags"),
                sse_specification=_sse(sse),
                deletion_protection_enabled=str(replica.get("DeletionProtectionEnabled", False)).lower()
                == "true",
                warm_throughput=p.get("WarmThroughput"),
            )
            apply_table_settings(
                backend,
                resource_name,
                replica.get("PointInTimeRecoverySpecification"),
                p.get("TimeToLiveSpecification"),
            )
            if replica["Region"] == region_name:
                home = table
        assert home is not None
        return cls(resource_name, regions, home)

    def delete(self, account_id: str, region_name: str) -> None:
        for region in self.regions:
            backend = dynamodb_backends[account_id][region]
            if self.physical_resource_id in backend.tables:
                backend.delete_table(self.physical_resource_id)


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(Table, "create_from_cloudformation_json", _create_table)
    patcher.register_models((GlobalTableModel,))
