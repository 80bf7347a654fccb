"""EC2 resources described through the EC2 API: the network, its rules, flow logs and peering.

Physical IDs are CloudFormation's `Ref` where it has one; a network ACL entry, which EC2 gives no
ID, is `<acl-id>:<ingress|egress>:<rule>` (see `network.py`).
"""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers, one

SERVICE = ServiceCheckers("ec2")


@SERVICE.describes("AWS::EC2::VPC")
def vpc(c: Clients, pid: str) -> str:
    v = one(c("ec2").describe_vpcs(VpcIds=[pid])["Vpcs"], "VPC", pid)
    return f"{v['CidrBlock']} {v['State']}"


@SERVICE.describes("AWS::EC2::Subnet")
def subnet(c: Clients, pid: str) -> str:
    s = one(c("ec2").describe_subnets(SubnetIds=[pid])["Subnets"], "subnet", pid)
    return f"{s['CidrBlock']} in {s['AvailabilityZone']}"


@SERVICE.describes("AWS::EC2::InternetGateway")
def internet_gateway(c: Clients, pid: str) -> str:
    g = one(c("ec2").describe_internet_gateways(InternetGatewayIds=[pid])["InternetGateways"], "IGW", pid)
    vpcs = ",".join(a["VpcId"] for a in g.get("Attachments", []))
    return f"attached to {vpcs}" if vpcs else "detached"


@SERVICE.describes("AWS::EC2::VPCGatewayAttachment")
def gateway_attachment(c: Clients, pid: str) -> str:
    # moto reports the VPC ID; CloudFormation `IGW|vpc-...`: either way the VPC ID ends it.
    vpc_id = pid.rsplit("|", maxsplit=1)[-1]
    gateways = c("ec2").describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    g = one(gateways, "internet gateway attachment of", vpc_id)
    return f"{g['InternetGatewayId']} -> {vpc_id}"


@SERVICE.describes("AWS::EC2::EIP")
def elastic_ip(c: Clients, pid: str) -> str:
    key = {"AllocationIds": [pid]} if pid.startswith("eipalloc-") else {"PublicIps": [pid]}
    a = one(c("ec2").describe_addresses(**key)["Addresses"], "EIP", pid)
    return f"{a['PublicIp']} ({a.get('AllocationId')})"


@SERVICE.describes("AWS::EC2::NatGateway")
def nat_gateway(c: Clients, pid: str) -> str:
    n = one(c("ec2").describe_nat_gateways(NatGatewayIds=[pid])["NatGateways"], "NAT gateway", pid)
    if n["State"] in ("deleting", "deleted"):
        raise Missing(f"NAT gateway {pid} is {n['State']}")
    return f"{n['State']} in {n['SubnetId']}"


@SERVICE.describes("AWS::EC2::RouteTable")
def route_table(c: Clients, pid: str) -> str:
    t = one(c("ec2").describe_route_tables(RouteTableIds=[pid])["RouteTables"], "route table", pid)
    return f"{len(t['Routes'])} routes, {len(t.get('Associations', []))} associations"


@SERVICE.describes("AWS::EC2::Route")
def route(c: Clients, pid: str) -> str:
    # moto reports `<route-table>~<destination>`; CloudFormation `<route-table>|<destination>`.
    table_id, _, destination = pid.replace("|", "~").partition("~")
    if not destination:
        raise Missing(f"route id {pid} is not <route-table>~<destination>")
    t = one(c("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"], "route table", table_id)
    for r in t["Routes"]:
        if destination in (r.get("DestinationCidrBlock"), r.get("DestinationIpv6CidrBlock")):
            target = next(
                (v for k, v in r.items() if k.endswith("Id") and k != "DestinationPrefixListId"), "?"
            )
            return f"{destination} -> {target}"
    raise Missing(f"no route to {destination} in {table_id}")


@SERVICE.describes("AWS::EC2::SubnetRouteTableAssociation")
def route_table_association(c: Clients, pid: str) -> str:
    t = one(
        c("ec2").describe_route_tables(
            Filters=[{"Name": "association.route-table-association-id", "Values": [pid]}]
        )["RouteTables"],
        "route table association",
        pid,
    )
    a = next(a for a in t["Associations"] if a["RouteTableAssociationId"] == pid)
    return f"{a.get('SubnetId')} -> {t['RouteTableId']}"


@SERVICE.describes("AWS::EC2::SecurityGroup")
def security_group(c: Clients, pid: str) -> str:
    key = {"GroupIds": [pid]} if pid.startswith("sg-") else {"GroupNames": [pid]}
    g = one(c("ec2").describe_security_groups(**key)["SecurityGroups"], "security group", pid)
    return f"{g['GroupId']} ({len(g['IpPermissions'])} in, {len(g['IpPermissionsEgress'])} out)"


@SERVICE.describes("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
def security_group_rule(c: Clients, pid: str) -> str:
    r = one(
        c("ec2").describe_security_group_rules(SecurityGroupRuleIds=[pid])["SecurityGroupRules"],
        "security group rule",
        pid,
    )
    peer = r.get("CidrIpv4") or r.get("ReferencedGroupInfo", {}).get("GroupId") or r.get("PrefixListId")
    direction = "egress" if r["IsEgress"] else "ingress"
    return f"{r['GroupId']} {direction} {r['IpProtocol']}:{r.get('FromPort')} {peer}"


@SERVICE.describes("AWS::EC2::NetworkAcl")
def network_acl(c: Clients, pid: str) -> str:
    a = one(c("ec2").describe_network_acls(NetworkAclIds=[pid])["NetworkAcls"], "network ACL", pid)
    return f"{len(a['Entries'])} entries, {len(a['Associations'])} subnets"


@SERVICE.describes("AWS::EC2::NetworkAclEntry")
def network_acl_entry(c: Clients, pid: str) -> str:
    parts = pid.split(":")
    if len(parts) != 3:
        raise Missing(f"entry id {pid} is not <acl-id>:<ingress|egress>:<rule>")
    acl_id, direction, rule = parts
    a = one(c("ec2").describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"], "network ACL", acl_id)
    for e in a["Entries"]:
        if e["RuleNumber"] == int(rule) and e["Egress"] == (direction == "egress"):
            return f"{direction} {rule} {e['RuleAction']} {e.get('CidrBlock')}"
    raise Missing(f"{acl_id} has no {direction} rule {rule}")


@SERVICE.describes("AWS::EC2::SubnetNetworkAclAssociation")
def network_acl_association(c: Clients, pid: str) -> str:
    a = one(
        c("ec2").describe_network_acls(Filters=[{"Name": "association.association-id", "Values": [pid]}])[
            "NetworkAcls"
        ],
        "network ACL association",
        pid,
    )
    assoc = next(x for x in a["Associations"] if x["NetworkAclAssociationId"] == pid)
    return f"{assoc['SubnetId']} -> {a['NetworkAclId']}"


@SERVICE.describes("AWS::EC2::FlowLog")
def flow_log(c: Clients, pid: str) -> str:
    f = one(c("ec2").describe_flow_logs(FlowLogIds=[pid])["FlowLogs"], "flow log", pid)
    return f"{f['ResourceId']} -> {f.get('LogGroupName') or f.get('LogDestination')}"


@SERVICE.describes("AWS::EC2::VPCPeeringConnection")
def peering(c: Clients, pid: str) -> str:
    p = one(
        c("ec2").describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"],
        "peering connection",
        pid,
    )
    status = p["Status"]["Code"]
    if status in ("deleted", "deleting", "rejected", "failed", "expired"):
        raise Missing(f"peering {pid} is {status}")
    accepter = p["AccepterVpcInfo"]
    return f"{p['RequesterVpcInfo']['VpcId']} -> {accepter['VpcId']} ({accepter.get('Region')}) {status}"


@SERVICE.reads_back(
    "AWS::EC2::FlowLog",
    CFN_DOCS + "aws-resource-ec2-flowlog.html",
    Prop("ResourceId", "ResourceId"),
    Prop("TrafficType", "TrafficType"),
    Prop("LogDestinationType", "LogDestinationType"),
    Prop("LogGroupName", "LogGroupName"),
    Prop("LogDestination", "LogDestination"),
    Prop("DeliverLogsPermissionArn", "DeliverLogsPermissionArn"),
    Prop("MaxAggregationInterval", "MaxAggregationInterval"),
)
def _flow_log_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = one(c("ec2").describe_flow_logs(FlowLogIds=[pid])["FlowLogs"], "flow log", pid)
    return result


@SERVICE.reads_back(
    "AWS::EC2::Subnet",
    CFN_DOCS + "aws-resource-ec2-subnet.html",
    Prop("MapPublicIpOnLaunch", "MapPublicIpOnLaunch"),
)
def _subnet_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = one(c("ec2").describe_subnets(SubnetIds=[pid])["Subnets"], "subnet", pid)
    return result


SERVICE.reads_attribute("AWS::EC2::SecurityGroup", "GroupId", lambda c, pid: pid)
SERVICE.reads_attribute(
    "AWS::EC2::VPC", "CidrBlock", lambda c, pid: c("ec2").describe_vpcs(VpcIds=[pid])["Vpcs"][0]["CidrBlock"]
)
