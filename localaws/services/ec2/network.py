"""CloudFormation support for network ACLs, security group rules and subnet route associations.

moto 5.2.5 has the EC2 APIs but:
- no CloudFormation model for `AWS::EC2::NetworkAcl`, `NetworkAclEntry`,
  `SubnetNetworkAclAssociation` or `SecurityGroupEgress`: they are skipped, the stack reports
  success, and every subnet stays on the VPC's allow-all default ACL;
- `SubnetRouteTableAssociation` calls a placeholder (`create_subnet_association`) that no
  route table knows: DescribeRouteTables shows no association, so the subnet uses the main table;
- `SecurityGroupIngress` has no physical ID and is never revoked;
- `AWS::EC2::Subnet` ignores `MapPublicIpOnLaunch` and marks the first subnet of an AZ as that AZ's
  default subnet with public IPs on launch; a subnet created in a VPC is never a default subnet,
  and `MapPublicIpOnLaunch` defaults to false
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-subnet.html).
The models here call the EC2 backend's own operations, so DescribeNetworkAcls,
DescribeRouteTables and DescribeSecurityGroupRules show what the template asked for, and stack
deletion removes it. Physical IDs: association IDs, rule IDs (`sgr-...`), ACL IDs; an ACL
entry, which has no ID in EC2, is `<acl-id>:<ingress|egress>:<rule-number>`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import Subnet, ec2_backends
from localaws.patching import EmulatorModel, Patcher


def _tags(properties: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in properties.get("Tags", [])]


class NetworkAclModel(EmulatorModel):
    def __init__(self, acl_id: str) -> None:
        self.physical_resource_id = acl_id
        self.attributes = {"Id": acl_id}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::NetworkAcl"

    ATTRIBUTES = ("Id",)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> NetworkAclModel:
        properties = cloudformation_json["Properties"]
        acl = ec2_backends[account_id][region_name].create_network_acl(
            properties["VpcId"], tags=_tags(properties)
        )
        return cls(acl.id)

    def delete(self, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_network_acl(self.physical_resource_id)


class NetworkAclEntryModel(EmulatorModel):
    def __init__(self, acl_id: str, rule_number: int, egress: bool) -> None:
        self.acl_id, self.rule_number, self.egress = acl_id, rule_number, egress
        self.physical_resource_id = f"{acl_id}:{'egress' if egress else 'ingress'}:{rule_number}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::NetworkAclEntry"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> NetworkAclEntryModel:
        p = cloudformation_json["Properties"]
        egress = str(p.get("Egress", False)).lower() == "true"
        rule_number = int(p["RuleNumber"])
        icmp = p.get("Icmp") or {}
        ports = p.get("PortRange") or {}
        ec2_backends[account_id][region_name].create_network_acl_entry(
            network_acl_id=p["NetworkAclId"],
            rule_number=rule_number,
            protocol=str(p["Protocol"]),
            rule_action=p["RuleAction"],
            egress=egress,
            cidr_block=p.get("CidrBlock"),
            icmp_code=icmp.get("Code"),
            icmp_type=icmp.get("Type"),
            port_range_from=ports.get("From"),
            port_range_to=ports.get("To"),
            ipv6_cidr_block=p.get("Ipv6CidrBlock"),
        )
        return cls(p["NetworkAclId"], rule_number, egress)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        if self.acl_id in backend.network_acls:  # the ACL may already be gone with its entries
            backend.delete_network_acl_entry(self.acl_id, self.rule_number, self.egress)


class SubnetNetworkAclAssociationModel(EmulatorModel):
    def __init__(self, association_id: str, subnet_id: str) -> None:
        self.physical_resource_id = association_id
        self.subnet_id = subnet_id
        self.attributes = {"AssociationId": association_id}

    ATTRIBUTES = ("AssociationId",)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SubnetNetworkAclAssociation"

    @staticmethod
    def _current_association(backend: Any, subnet_id: str) -> str:
        for acl in backend.network_acls.values():
            for association_id, association in acl._associations.items():
                if association.subnet_id == subnet_id:
                    return str(association_id)
        raise ValueError(f"subnet {subnet_id} has no network ACL association")

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> SubnetNetworkAclAssociationModel:
        p = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        current = cls._current_association(backend, p["SubnetId"])
        association = backend.replace_network_acl_association(current, p["NetworkAclId"])
        return cls(association.id, p["SubnetId"])

    def delete(self, account_id: str, region_name: str) -> None:
        """CloudFormation puts the subnet back on its VPC's default ACL."""
        backend = ec2_backends[account_id][region_name]
        try:
            subnet = backend.get_subnet(self.subnet_id)
        except Exception:
            # The subnet went first; moto keeps its association, which would block the ACL's deletion.
            for acl in backend.network_acls.values():
                acl._associations.pop(self.physical_resource_id, None)
            return
        default_acl = next(
            a for a in backend.network_acls.values() if a.default and a.vpc_id == subnet.vpc_id
        )
        backend.replace_network_acl_association(self.physical_resource_id, default_acl.id)


class SubnetRouteTableAssociationModel(EmulatorModel):
    def __init__(self, association_id: str) -> None:
        self.physical_resource_id = association_id
        self.attributes = {"Id": association_id}

    ATTRIBUTES = ("Id",)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SubnetRouteTableAssociation"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> SubnetRouteTableAssociationModel:
        p = cloudformation_json["Properties"]
        association_id = ec2_backends[account_id][region_name].associate_route_table(
            route_table_id=p["RouteTableId"], subnet_id=p["SubnetId"]
        )
        return cls(association_id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        if any(self.physical_resource_id in t._associations for t in backend.route_tables.values()):
            backend.disassociate_route_table(self.physical_resource_id)


class _SecurityGroupRuleModel(EmulatorModel):
    EGRESS = False

    def __init__(self, group_id: str, rule_ids: list[str]) -> None:
        self.group_id = group_id
        self.rule_ids = rule_ids
        self.physical_resource_id = rule_ids[0]
        self.attributes = {"Id": rule_ids[0]}

    ATTRIBUTES = ("Id",)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> _SecurityGroupRuleModel:
        p = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        peer = "DestinationSecurityGroupId" if cls.EGRESS else "SourceSecurityGroupId"
        cidr_key = "CidrIp"
        ip_ranges = [{"CidrIp": p[cidr_key], "Description": p.get("Description")}] if p.get(cidr_key) else []
        ipv6 = [{"CidrIpv6": p["CidrIpv6"], "Description": p.get("Description")}] if p.get("CidrIpv6") else []
        source_groups = [{"GroupId": p[peer], "Description": p.get("Description")}] if p.get(peer) else []
        prefix_key = "DestinationPrefixListId" if cls.EGRESS else "SourcePrefixListId"
        prefix_lists = [{"PrefixListId": p[prefix_key]}] if p.get(prefix_key) else []
        if not (ip_ranges or ipv6 or source_groups or prefix_lists):
            raise ValueError(
                f"{cls.cloudformation_type()} needs a CIDR, a peer security group or a prefix list"
            )
        authorize = (
            backend.authorize_security_group_egress
            if cls.EGRESS
            else backend.authorize_security_group_ingress
        )
        rules, _ = authorize(
            group_name_or_id=p.get("GroupId") or p["GroupName"],
            ip_protocol=str(p["IpProtocol"]),
            from_port=p.get("FromPort"),
            to_port=p.get("ToPort"),
            ip_ranges=ip_ranges + ipv6,
            source_groups=source_groups,
            prefix_list_ids=prefix_lists,
        )
        return cls(p.get("GroupId") or p["GroupName"], [rule.id for rule in rules])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        group = backend.get_security_group_by_name_or_id(self.group_id)
        if group is None:  # deleted with its group
            return
        revoke = (
            backend.revoke_security_group_egress if self.EGRESS else backend.revoke_security_group_ingress
        )
        revoke(
            group_name_or_id=group.id,
            # moto annotates these str, yet with security_rule_ids it revokes by id and reads none of them
            ip_protocol=None,  # type: ignore[arg-type]  # unused with rule ids
            from_port=None,  # type: ignore[arg-type]  # unused with rule ids
            to_port=None,  # type: ignore[arg-type]  # unused with rule ids
            ip_ranges=[],
            security_rule_ids=self.rule_ids,
        )


class SecurityGroupIngressModel(_SecurityGroupRuleModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SecurityGroupIngress"


class SecurityGroupEgressModel(_SecurityGroupRuleModel):
    EGRESS = True

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SecurityGroupEgress"


MODELS = (
    NetworkAclModel,
    NetworkAclEntryModel,
    SubnetNetworkAclAssociationModel,
    SubnetRouteTableAssociationModel,
    SecurityGroupIngressModel,
    SecurityGroupEgressModel,
)


def _subnet_as_declared(original: Callable[..., Any]) -> Callable[..., Any]:
    def create(resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        subnet = original(resource_name, cloudformation_json, *args, **kwargs)
        declared = cloudformation_json["Properties"].get("MapPublicIpOnLaunch", False)
        subnet.map_public_ip_on_launch = str(declared).lower() == "true"
        subnet.default_for_az = False
        return subnet

    return create


def apply(patcher: Patcher) -> None:
    patcher.register_models(MODELS)
    patcher.wrap_classmethod(Subnet, "create_from_cloudformation_json", _subnet_as_declared)
