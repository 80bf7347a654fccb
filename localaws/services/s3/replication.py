"""Return the S3 replication configuration as it was put.

moto 5.2.5 stores the PutBucketReplication body whole (parsed with xmltodict), but its
GetBucketReplication renders each rule from a fixed list of fields: `Filter` is always an empty
prefix, `DeleteMarkerReplication` always `Disabled`, and `SourceSelectionCriteria` (and
`ExistingObjectReplication`) are left out. A V2 rule that replicates SSE-KMS objects and delete
markers therefore reads back as one that does neither, and a caller comparing what it put with
what it reads (the `s3-replication` plugin and `verify`) sees a difference S3 would not show.
Here GetBucketReplication renders the stored rules through botocore's own S3 shape for
`ReplicationConfiguration`, so every field the API defines comes back with its type (Priority
and minutes as integers, tag filters as lists), and nothing is invented.

What S3 refuses (an unversioned source, a missing or unversioned destination) is enforced by
the strict-AWS rule S3001 (`services/s3/rules/replication_versioning.py`), not here.

Still not emulated: moto never copies an object, never sets `ReplicationStatus` on one, and
never checks the role or the keys; `verify` says so per promise.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from botocore.model import ListShape, Shape, StructureShape

from localaws._moto import ActionResult, ReplicationConfigurationNotFoundError, S3Response, get_service_model
from localaws.patching import Patcher


@functools.cache
def replication_configuration_shape() -> Shape:
    """botocore's `ReplicationConfiguration` structure (the same shape for Put and Get)."""
    return get_service_model("s3").shape_for("ReplicationConfiguration")


def from_xml_dict(shape: Shape, value: Any) -> Any:
    """An xmltodict value (XML element names, strings) as the API dict of `shape` (member names, types).

    Only members the shape defines are kept, so XML attributes such as `@xmlns` drop out.
    """
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return {}
        result: dict[str, Any] = {}
        for member_name, member in cast(StructureShape, shape).members.items():
            xml_name = member.serialization.get("name", member_name)
            if xml_name in value:
                result[member_name] = from_xml_dict(member, value[xml_name])
        return result
    if kind == "list":
        member = cast(ListShape, shape).member
        if not shape.serialization.get("flattened"):
            value = (value or {}).get(member.serialization.get("name", "member"))
        items = [] if value is None else value if isinstance(value, list) else [value]
        return [from_xml_dict(member, item) for item in items]
    if kind in {"integer", "long"}:
        return int(value)
    if kind == "boolean":
        return str(value).lower() == "true"
    return "" if value is None else value


def stored_configuration(stored: dict[str, Any]) -> dict[str, Any]:
    """moto's stored replication configuration (xmltodict of the request body) in API form."""
    result: dict[str, Any] = from_xml_dict(replication_configuration_shape(), stored)
    return result


def _get_bucket_replication(self: S3Response) -> Any:
    self.data["Action"] = "GetBucketReplication"
    stored = self.backend.get_bucket_replication(self.bucket_name)
    if not stored:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    return self.serialized(ActionResult({"ReplicationConfiguration": stored_configuration(stored)}))


def apply(patcher: Patcher) -> None:
    patcher.replace(S3Response, "get_bucket_replication", _get_bucket_replication)
