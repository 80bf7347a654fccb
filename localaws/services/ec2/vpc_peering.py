"""Create a cross-region (`PeerRegion`) VPC peering connection from CloudFormation, and delete it.

moto 5.2.5's `AWS::EC2::VPCPeeringConnection` model looks the peer VPC up in the requester's
own region, so a `PeerRegion` peering fails the stack with InvalidVpcID.NotFound; it also
ignores `PeerOwnerId` and `Tags`, and has no delete (the connection outlives the stack). Here
the peer VPC is looked up in `PeerRegion`/`PeerOwnerId`, as the EC2 API's
CreateVpcPeeringConnection does in moto: the connection is pending-acceptance in the accepter
region until accepted there, exactly as on AWS. Deletion marks it deleted on both sides.

ModifyVpcPeeringConnectionOptions: moto sets any side's options from any region, on a connection
in any state. AWS refuses (OperationNotPermitted) options on a connection that is not active
("Peering options can be added only to active peerings"), and for an inter-region connection
wants the requester's options set in the requester's region and the accepter's in the
accepter's region; the ClassicLink options do not exist for inter-region connections:
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcPeeringConnectionOptions.html
https://docs.aws.amazon.com/vpc/latest/peering/modify-peering-connections.html
"""

from __future__ import annotations

from typing import Any

from localaws._moto import (
    OperationNotPermitted,
    VPCPeeringConnection,
    VPCPeeringConnectionBackend,
    ec2_backends,
)
from localaws.patching import Patcher


def create(
    cls: type,
    /,
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


CLASSIC_LINK_OPTIONS = (
    "AllowEgressFromLocalClassicLinkToRemoteVpc",
    "AllowEgressFromLocalVpcToRemoteClassicLink",
)


def refuse_options(backend: Any, connection: VPCPeeringConnection, sides: dict[str, Any]) -> None:
    """Raise what AWS answers to options it does not accept; return when it would accept them."""
    if connection._status.code != "active":
        raise OperationNotPermitted(
            f"Peering {connection.id} is not active. Peering options can be added only to active peerings."
        )
    regions = {
        "Requester": connection.vpc.ec2_backend.region_name,
        "Accepter": connection.peer_vpc.ec2_backend.region_name,
    }
    if regions["Requester"] == regions["Accepter"]:
        return
    for side, options in sides.items():
        if not options:
            continue
        if backend.region_name != regions[side]:
            raise OperationNotPermitted(
                f"{side}'s VPC Peering connection options cannot be modified for a different region: "
                f"call ModifyVpcPeeringConnectionOptions in {regions[side]} for {connection.id}"
            )
        classic = [o for o in CLASSIC_LINK_OPTIONS if o in options]
        if classic:
            raise OperationNotPermitted(
                f"Modifying VPC peering connection options {', '.join(classic)} is not supported for "
                "cross-region VPC peering connections"
            )


def apply(patcher: Patcher) -> None:
    patcher.replace(VPCPeeringConnection, "create_from_cloudformation_json", classmethod(create))
    patcher.replace(VPCPeeringConnection, "delete", delete)
    original = VPCPeeringConnectionBackend.modify_vpc_peering_connection_options

    def modify_options(
        self: Any,
        vpc_pcx_id: str,
        accepter_options: dict[str, Any] | None = None,
        requester_options: dict[str, Any] | None = None,
    ) -> VPCPeeringConnection:
        connection = self.get_vpc_peering_connection(vpc_pcx_id)
        if connection is not None:
            refuse_options(self, connection, {"Requester": requester_options, "Accepter": accepter_options})
        return original(
            self, vpc_pcx_id, accepter_options=accepter_options, requester_options=requester_options
        )

    patcher.replace(VPCPeeringConnectionBackend, "modify_vpc_peering_connection_options", modify_options)
