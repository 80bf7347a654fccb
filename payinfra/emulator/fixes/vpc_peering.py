"""Create a cross-region (`PeerRegion`) VPC peering connection from CloudFormation, and delete it.

moto 5.2.5's `AWS::EC2::VPCPeeringConnection` model looks the peer VPC up in the requester's
own region, so a `PeerRegion` peering fails the stack with InvalidVpcID.NotFound; it also
ignores `PeerOwnerId` and `Tags`, and has no delete (the connection outlives the stack). Here
the peer VPC is looked up in `PeerRegion`/`PeerOwnerId`, as the EC2 API's
CreateVpcPeeringConnection does in moto: the connection is pending-acceptance in the accepter
region until accepted there, exactly as on AWS. Deletion marks it deleted on both sides.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.vpc_peering_connections import VPCPeeringConnection

from ._patching import Patcher


def create(
    cls: type,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **_: Any,
) -> VPCPeeringConnection:
    p = cloudformation_json["Properties"]
    backend = ec2_backends[account_id][region_name]
    peer_backend = ec2_backends[p.get("PeerOwnerId") or account_id][p.get("PeerRegion") or region_name]
    tags = {t["Key"]: t["Value"] for t in p.get("Tags", [])}
    return backend.create_vpc_peering_connection(
        backend.get_vpc(p["VpcId"]), peer_backend.get_vpc(p["PeerVpcId"]), tags
    )


def delete(self: VPCPeeringConnection, account_id: str, region_name: str) -> None:
    backend = ec2_backends[account_id][region_name]
    if self.id in backend.vpc_pcxs and self._status.code != "deleted":
        backend.delete_vpc_peering_connection(self.id)


def apply(patcher: Patcher) -> None:
    patcher.replace(VPCPeeringConnection, "create_from_cloudformation_json", classmethod(create))
    patcher.replace(VPCPeeringConnection, "delete", delete)
