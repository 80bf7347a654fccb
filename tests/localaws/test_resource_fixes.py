"""Resource types moto skips, mis-creates or cannot delete: each fix's scenario, with and without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .support import (
    Clients,
    create,
    deploy,
    emulated,
    lambda_resources,
    outputs,
    physical_ids,
    put_function_code,
    vpc_template,
)

# The scenarios without a fix make moto warn about the types it skips: that is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .* not supported:UserWarning")

ON_OFF = pytest.mark.parametrize("fixed", [True, False])


def _skip(fixed: bool, *names: str) -> set[str]:
    return set() if fixed else set(names)


def _try_create(client: Clients, name: str, template: dict[str, Any], **kw: Any) -> bool:
    try:
        return create(client, name, template, **kw)["StackStatus"] == "CREATE_COMPLETE"
    except ClientError:
        return False


# -- EC2 --------------------------------------------------------------------------------------------
NETWORK = vpc_template(
    extra={
        "Acl": {"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "AclIn": {
            "Type": "AWS::EC2::NetworkAclEntry",
            "Properties": {
                "NetworkAclId": {"Ref": "Acl"},
                "RuleNumber": 100,
                "Protocol": 6,
                "RuleAction": "allow",
                "CidrBlock": "10.0.0.0/16",
                "PortRange": {"From": 443, "To": 443},
            },
        },
        "AclAssoc": {
            "Type": "AWS::EC2::SubnetNetworkAclAssociation",
            "Properties": {"SubnetId": {"Ref": "Subnet"}, "NetworkAclId": {"Ref": "Acl"}},
        },
        "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "TableAssoc": {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Table"}},
        },
        "A": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "a", "VpcId": {"Ref": "Vpc"}},
        },
        "B": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "b", "VpcId": {"Ref": "Vpc"}},
        },
        "AToB": {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["A", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "DestinationSecurityGroupId": {"Fn::GetAtt": ["B", "GroupId"]},
            },
        },
        "BFromA": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["B", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "SourceSecurityGroupId": {"Fn::GetAtt": ["A", "GroupId"]},
            },
        },
    }
)


@ON_OFF
def test_network_acls_rules_and_associations_are_real(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "ec2_network")) as client:
        create(client, "net", NETWORK)
        ec2, ids = client("ec2"), physical_ids(client, "net")
        subnet = ids["Subnet"]
        acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        on_own_acl = not acl["NetworkAcls"][0]["IsDefault"]
        has_443 = any(e.get("PortRange", {}).get("From") == 443 for e in acl["NetworkAcls"][0]["Entries"])
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [ids["A"]]}])[
            "SecurityGroupRules"
        ]
        egress_to_b = any(
            r["IsEgress"] and r.get("ReferencedGroupInfo", {}).get("GroupId") == ids["B"] for r in rules
        )
        assert (on_own_acl, has_443, bool(tables["RouteTables"]), egress_to_b) == (fixed,) * 4


def test_network_resources_go_with_the_stack() -> None:
    with emulated() as client:
        create(client, "net", NETWORK)
        ids = physical_ids(client, "net")
        assert ids["BFromA"].startswith("sgr-") and ids["AclIn"] == f"{ids['Acl']}:ingress:100"
        client("cloudformation").delete_stack(StackName="net")
        ec2 = client("ec2")
        assert all(v["VpcId"] != ids["Vpc"] for v in ec2.describe_vpcs()["Vpcs"])
        assert all(a["NetworkAclId"] != ids["Acl"] for a in ec2.describe_network_acls()["NetworkAcls"])
        assert all(
            r["SecurityGroupRuleId"] != ids["BFromA"]
            for r in ec2.describe_security_group_rules()["SecurityGroupRules"]
        )


EDGE_NETWORK = vpc_template(
    extra={
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "Attach": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}},
        },
        "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Default": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "Attach",
            "Properties": {
                "RouteTableId": {"Ref": "Table"},
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Igw"},
            },
        },
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "Nat": {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {
                "SubnetId": {"Ref": "Subnet"},
                "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]},
            },
        },
    }
)


@ON_OFF
def test_stack_deletion_deletes_gateways_routes_and_addresses(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "deletion")) as client:
        create(client, "edge", EDGE_NETWORK)
        cfn, ec2 = client("cloudformation"), client("ec2")
        stack_id = cfn.describe_stacks(StackName="edge")["Stacks"][0]["StackId"]
        cfn.delete_stack(StackName="edge")
        status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        left = (
            ec2.describe_internet_gateways()["InternetGateways"],
            ec2.describe_addresses()["Addresses"],
            [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"],
        )
        assert (status == "DELETE_COMPLETE" and not any(left)) is fixed


@ON_OFF
def test_cross_region_peering_from_cloudformation(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "vpc_peering")) as client:
        peer = outputs(deploy(client, "peer", vpc_template("10.1.0.0/16"), region="us-east-2"))["VpcId"]
        template = vpc_template(
            extra={
                "Peering": {
                    "Type": "AWS::EC2::VPCPeeringConnection",
                    "Properties": {"VpcId": {"Ref": "Vpc"}, "PeerVpcId": peer, "PeerRegion": "us-east-2"},
                }
            }
        )
        assert _try_create(client, "req", template) is fixed
        if fixed:
            pcx = physical_ids(client, "req")["Peering"]
            accepter = client("ec2", "us-east-2").describe_vpc_peering_connections(
                VpcPeeringConnectionIds=[pcx]
            )
            assert accepter["VpcPeeringConnections"][0]["Status"]["Code"] == "pending-acceptance"
            client("cloudformation").delete_stack(StackName="req")
            pcxs = client("ec2").describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])
            assert pcxs["VpcPeeringConnections"][0]["Status"]["Code"] == "deleted"


# -- KMS, S3, policies, SSM, secrets --------------------------------------------------------------------
KEY = {
    "Resources": {
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "PendingWindowInDays": 7,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
                "Tags": [{"Key": "Environment", "Value": "dev"}],
            },
        }
    }
}


@ON_OFF
def test_kms_key_policy_tags_and_scheduled_deletion(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "kms_key_policy")) as client:
        if not fixed:
            assert not _try_create(client, "k", KEY)  # tagged key: KeyError 'TagKey'
            return
        create(client, "k", KEY)
        key_id, kms = physical_ids(client, "k")["Key"], client("kms")
        assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"]
        client("cloudformation").delete_stack(StackName="k")
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


BUCKET = {
    "Resources": {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": "bucket-one",
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "tier",
                            "Status": "Enabled",
                            "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}],
                        },
                        {
                            "Id": "old",
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        },
                    ]
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            },
        },
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Bucket"},
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": ["arn:aws:s3:::bucket-one", "arn:aws:s3:::bucket-one/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Sid": "NoDeletes",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:DeleteObject",
                            "Resource": "arn:aws:s3:::bucket-one/*",
                        },
                    ]
                },
            },
        },
    }
}


@ON_OFF
def test_bucket_configuration_and_policy_are_applied(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "s3_bucket")) as client:
        create(client, "s3", BUCKET)
        s3 = client("s3")
        versioning = s3.get_bucket_versioning(Bucket="bucket-one").get("Status")
        try:
            rules = {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket="bucket-one")["Rules"]}
            block = s3.get_public_access_block(Bucket="bucket-one")["PublicAccessBlockConfiguration"][
                "BlockPublicPolicy"
            ]
            policy = json.loads(s3.get_bucket_policy(Bucket="bucket-one")["Policy"])
        except ClientError:
            rules, block, policy = set(), False, {}
        assert (versioning == "Enabled", rules == {"tier", "old"}, block, bool(policy)) == (fixed,) * 4


def test_conditional_bucket_policy_statements_are_not_enforced_unconditionally() -> None:
    with emulated() as client:
        create(client, "s3", BUCKET)
        s3 = client("s3")
        s3.put_object(
            Bucket="bucket-one", Key="k", Body=b"x"
        )  # the TLS-only Deny has a condition moto can't evaluate
        with pytest.raises(ClientError, match=r"403|AccessDenied"):
            s3.delete_object(Bucket="bucket-one", Key="k")  # the unconditional Deny still applies


def test_a_bucket_with_objects_fails_the_stack_deletion() -> None:
    with emulated() as client:
        create(
            client,
            "s3",
            {
                "Resources": {
                    "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "bucket-two"}}
                }
            },
        )
        client("s3").put_object(Bucket="bucket-two", Key="k", Body=b"x")
        cfn = client("cloudformation")
        cfn.delete_stack(StackName="s3")
        stack = cfn.describe_stacks(StackName="s3")["Stacks"][0]
        assert stack["StackStatus"] == "DELETE_FAILED"
        events = cfn.describe_stack_events(StackName="s3")["StackEvents"]
        assert any("BucketNotEmpty" in (e.get("ResourceStatusReason") or "") for e in events)
        client("s3").delete_object(Bucket="bucket-two", Key="k")
        cfn.delete_stack(StackName="s3")  # emptied: the retry completes, as on AWS
        assert (
            cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
        )
        assert client("s3").list_buckets()["Buckets"] == []


POLICIES = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q1"}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t1"}},
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "Queue"}],
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Sid": "FromTopic",
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                        }
                    ]
                },
            },
        },
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Sid": "Alarms",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "Topic"},
                        }
                    ]
                },
            },
        },
    }
}


@ON_OFF
def test_queue_and_topic_policies(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "policies")) as client:
        create(client, "p", POLICIES)
        ids = physical_ids(client, "p")
        queue_policy = client("sqs").get_queue_attributes(QueueUrl=ids["Queue"], AttributeNames=["Policy"])
        topic_policy = json.loads(
            client("sns").get_topic_attributes(TopicArn=ids["Topic"])["Attributes"]["Policy"]
        )
        sids = {s.get("Sid") for s in topic_policy["Statement"]}
        assert ("FromTopic" in queue_policy.get("Attributes", {}).get("Policy", ""), "Alarms" in sids) == (
            fixed,
            fixed,
        )


@ON_OFF
def test_ssm_parameter_tags_in_map_form(fixed: bool) -> None:
    template = {
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": "/app/p",
                    "Type": "String",
                    "Value": "v",
                    "Tags": {"Environment": "dev"},
                },
            }
        }
    }
    with emulated(skip=_skip(fixed, "ssm_parameter")) as client:
        assert _try_create(client, "ssm", template) is fixed
        if fixed:
            tags = client("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId="/app/p")[
                "TagList"
            ]
            assert tags == [{"Key": "Environment", "Value": "dev"}]


@ON_OFF
def test_secret_with_generated_password(fixed: bool) -> None:
    template = {
        "Resources": {
            "Secret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Name": "app/db",
                    "GenerateSecretString": {
                        "SecretStringTemplate": '{"username": "app"}',
                        "GenerateStringKey": "password",
                        "PasswordLength": 24,
                    },
                },
            }
        }
    }
    with emulated(skip=_skip(fixed, "secretsmanager")) as client:
        create(client, "sec", template)
        try:
            value = json.loads(client("secretsmanager").get_secret_value(SecretId="app/db")["SecretString"])
        except ClientError:
            value = {}
        assert (value.get("username") == "app" and len(value.get("password", "")) == 24) is fixed
        if fixed:
            client("cloudformation").delete_stack(StackName="sec")
            with pytest.raises(ClientError):
                client("secretsmanager").describe_secret(SecretId="app/db")


# -- data -------------------------------------------------------------------------------------------
TABLE = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "ledger",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/app"},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            },
        }
    }
}


@ON_OFF
def test_dynamodb_sse_pitr_and_ttl_are_described(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "dynamodb")) as client:
        create(client, "ddb", TABLE)
        ddb = client("dynamodb")
        sse = ddb.describe_table(TableName="ledger")["Table"].get("SSEDescription", {}).get("Status")
        pitr = ddb.describe_continuous_backups(TableName="ledger")["ContinuousBackupsDescription"][
            "PointInTimeRecoveryDescription"
        ]["PointInTimeRecoveryStatus"]
        ttl = ddb.describe_time_to_live(TableName="ledger")["TimeToLiveDescription"]["TimeToLiveStatus"]
        assert (sse == "ENABLED", pitr == "ENABLED", ttl == "ENABLED") == (fixed,) * 3


def test_global_table_exists_in_every_replica_region() -> None:
    props = dict(TABLE["Resources"]["Table"]["Properties"])
    for key in ("PointInTimeRecoverySpecification",):
        props.pop(key)
    props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    props["Replicas"] = [
        {"Region": "us-east-1"},
        {"Region": "us-east-2", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
    ]
    props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS"}
    with emulated() as client:
        stack = create(
            client,
            "gt",
            {
                "Resources": {"Table": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": props}},
                "Outputs": {"Stream": {"Value": {"Fn::GetAtt": ["Table", "StreamArn"]}}},
            },
        )
        assert "/stream/" in outputs(stack)["Stream"]
        east2 = client("dynamodb", "us-east-2")
        assert east2.describe_table(TableName="ledger")["Table"]["TableStatus"] == "ACTIVE"
        client("cloudformation").delete_stack(StackName="gt")
        assert east2.list_tables()["TableNames"] == []


DATABASE = {
    "Resources": {
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "DBInstanceIdentifier": "db1",
                "Engine": "postgres",
                "EngineVersion": "17.6",
                "DBInstanceClass": "db.t4g.medium",
                "AllocatedStorage": "20",
                "MaxAllocatedStorage": 100,
                "MasterUsername": "admin1",
                "ManageMasterUserPassword": True,
                "EnableIAMDatabaseAuthentication": True,
                "EnableCloudwatchLogsExports": ["postgresql"],
                "StorageEncrypted": True,
            },
        }
    },
    "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Db", "DBInstanceArn"]}}},
}


@ON_OFF
def test_rds_managed_secret_arn_attribute_and_settings(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "rds")) as client:
        if not fixed:
            assert not _try_create(client, "db", DATABASE)  # GetAtt DBInstanceArn unsupported
            return
        stack = create(client, "db", DATABASE)
        db = client("rds").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
        assert outputs(stack)["Arn"] == db["DBInstanceArn"]
        assert db["MasterUserSecret"]["SecretArn"].startswith("arn:aws:secretsmanager:us-east-1:")
        assert (
            db["Endpoint"]["Port"],
            db["IAMDatabaseAuthenticationEnabled"],
            db["MaxAllocatedStorage"],
        ) == (5432, True, 100)
        assert db["EnabledCloudwatchLogsExports"] == ["postgresql"]


def test_cross_region_read_replica_is_created_and_deleted() -> None:
    replica = {
        "Resources": {
            "Replica": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBInstanceIdentifier": "db1",
                    "DBInstanceClass": "db.t4g.medium",
                    "SourceRegion": "us-east-1",
                    "SourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:123456789012:db:db1",
                },
            }
        }
    }
    # RDS makes no replica of a source whose password Secrets Manager manages (rule RDS001).
    source = json.loads(json.dumps(DATABASE))
    source_properties = source["Resources"]["Db"]["Properties"]
    del source_properties["ManageMasterUserPassword"]
    source_properties["MasterUserPassword"] = "s3cret-pass"
    with emulated() as client:
        create(client, "db", source)
        key = client("kms", "us-east-2").create_key()["KeyMetadata"]["Arn"]
        replica["Resources"]["Replica"]["Properties"]["KmsKeyId"] = key
        create(client, "replica", replica, region="us-east-2")
        east2 = client("rds", "us-east-2")
        db = east2.describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
        assert db["ReadReplicaSourceDBInstanceIdentifier"] == "arn:aws:rds:us-east-1:123456789012:db:db1"
        assert (db["Engine"], "MasterUserSecret" in db) == ("postgres", False)
        # Encrypted like its source, with the key it declares (a key of its own region).
        assert (db["StorageEncrypted"], db["KmsKeyId"]) == (True, key)
        client("cloudformation", "us-east-2").delete_stack(StackName="replica")
        assert east2.describe_db_instances()["DBInstances"] == []
        primary = client("rds").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
        assert primary.get("ReadReplicaDBInstanceIdentifiers", []) == []


# -- edge, containers, functions, monitoring -------------------------------------------------------
EDGE = vpc_template(
    extra={
        "Subnet2": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.0.2.0/24",
                "AvailabilityZone": "us-east-1b",
            },
        },
        **lambda_resources(runtime="python3.11"),
        "Invoke": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "Fn"},
                "Action": "lambda:InvokeFunction",
                "Principal": "elasticloadbalancing.amazonaws.com",
            },
        },
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Name": "alb1",
                "Subnets": [{"Ref": "Subnet"}, {"Ref": "Subnet2"}],
                "LoadBalancerAttributes": [
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}
                ],
            },
        },
        "FnTargets": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "DependsOn": "Invoke",
            "Properties": {
                "Name": "fn-tg",
                "TargetType": "lambda",
                "Targets": [{"Id": {"Fn::GetAtt": ["Fn", "Arn"]}}],
            },
        },
        "Listener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "LoadBalancerArn": {"Ref": "Alb"},
                "Port": 80,
                "Protocol": "HTTP",
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "FnTargets"}}],
            },
        },
        "Acl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": "acl1",
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": "acl1",
                },
                "Rules": [],
            },
        },
        "AclOnAlb": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {"ResourceArn": {"Ref": "Alb"}, "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]}},
        },
        "AclLogs": {
            "Type": "AWS::WAFv2::LoggingConfiguration",
            "Properties": {
                "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
                "LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-acl1"],
            },
        },
        "Latency": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "latency",
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": "1000",
                "EvaluationPeriods": 5,
                "AlarmActions": [],
                "Metrics": [
                    {
                        "Id": "m1",
                        "ReturnData": False,
                        "MetricStat": {
                            "Stat": "p99",
                            "Period": 60,
                            "Metric": {
                                "Namespace": "AWS/ApplicationELB",
                                "MetricName": "TargetResponseTime",
                                "Dimensions": [
                                    {
                                        "Name": "LoadBalancer",
                                        "Value": {"Fn::GetAtt": ["Alb", "LoadBalancerFullName"]},
                                    }
                                ],
                            },
                        },
                    },
                    {"Id": "e1", "Expression": "m1 * 1000", "ReturnData": True},
                ],
            },
        },
    }
)
EDGE["Outputs"]["TargetGroup"] = {"Value": {"Fn::GetAtt": ["FnTargets", "TargetGroupFullName"]}}


@pytest.mark.parametrize("skipped", ["elbv2", "wafv2", "cloudwatch_alarm", "lambda_permission"])
def test_edge_stack_needs_each_fix(skipped: str) -> None:
    with emulated(skip={skipped}) as client:
        put_function_code(client)
        try:
            create(client, "edge", EDGE)
            ids = physical_ids(client, "edge")
        except ClientError:
            return  # the stack fails without the fix (e.g. no TargetGroupFullName)
        found = {
            "wafv2": "Acl" in ids and "AclOnAlb" in ids,
            "cloudwatch_alarm": bool(
                client("cloudwatch").describe_alarms(AlarmNames=["latency"])["MetricAlarms"]
            ),
            "lambda_permission": bool(ids.get("Invoke")),
            "elbv2": bool(
                client("elbv2").describe_target_health(TargetGroupArn=ids["FnTargets"])[
                    "TargetHealthDescriptions"
                ]
            ),
        }
        assert not found[skipped]


def test_edge_stack_is_fully_described_and_deleted() -> None:
    with emulated() as client:
        put_function_code(client)
        stack = create(client, "edge", EDGE)
        ids = physical_ids(client, "edge")
        elbv2, waf = client("elbv2"), client("wafv2")
        assert outputs(stack)["TargetGroup"].startswith("targetgroup/fn-tg/")
        targets = elbv2.describe_target_health(TargetGroupArn=ids["FnTargets"])["TargetHealthDescriptions"]
        assert targets[0]["Target"]["Id"].endswith(":function:fn1")
        attrs = {
            a["Key"]: a["Value"]
            for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=ids["Alb"])["Attributes"]
        }
        assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
        assert waf.get_web_acl_for_resource(ResourceArn=ids["Alb"])["WebACL"]["Name"] == "acl1"
        alarm = client("cloudwatch").describe_alarms(AlarmNames=["latency"])["MetricAlarms"][0]
        dims = alarm["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"]
        assert dims[0]["Value"].startswith("app/alb1/")
        policy = json.loads(client("lambda").get_policy(FunctionName="fn1")["Policy"])
        assert [s["Sid"] for s in policy["Statement"]] == [ids["Invoke"]]
        client("cloudformation").delete_stack(StackName="edge")
        assert elbv2.describe_target_groups()["TargetGroups"] == []
        assert waf.list_web_acls(Scope="REGIONAL")["WebACLs"] == []
        assert client("cloudwatch").describe_alarms()["MetricAlarms"] == []


CONTAINERS = vpc_template(
    extra={
        "Namespace": {
            "Type": "AWS::ServiceDiscovery::PrivateDnsNamespace",
            "Properties": {"Name": "app.internal", "Vpc": {"Ref": "Vpc"}},
        },
        "Discovery": {
            "Type": "AWS::ServiceDiscovery::Service",
            "Properties": {
                "Name": "api",
                "NamespaceId": {"Ref": "Namespace"},
                "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
            },
        },
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "c1"}},
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "api",
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "256",
                "Memory": "512",
                "ContainerDefinitions": [{"Name": "api", "Image": "nginx", "Essential": True}],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "ServiceName": "api",
                "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": 2,
                "LaunchType": "FARGATE",
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {"Subnets": [{"Ref": "Subnet"}], "AssignPublicIp": "DISABLED"}
                },
                "ServiceRegistries": [{"RegistryArn": {"Fn::GetAtt": ["Discovery", "Arn"]}}],
            },
        },
    }
)


@ON_OFF
def test_cloud_map_namespace_and_service(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "servicediscovery")) as client:
        assert _try_create(client, "ecs", CONTAINERS) is fixed  # the ECS service's GetAtt fails without


@ON_OFF
def test_ecs_service_keeps_fargate_registries_and_is_deleted(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "ecs")) as client:
        create(client, "ecs", CONTAINERS)
        ecs = client("ecs")
        service = ecs.describe_services(cluster="c1", services=["api"])["services"][0]
        kept = (
            service.get("launchType") == "FARGATE",
            bool(service.get("serviceRegistries")),
            bool(service.get("networkConfiguration")),
        )
        assert kept == (fixed,) * 3
        client("cloudformation").delete_stack(StackName="ecs")
        service = ecs.describe_services(cluster="c1", services=["api"])["services"]
        gone = (
            not service or service[0]["status"] == "INACTIVE",
            ecs.describe_clusters(clusters=["c1"])["clusters"] == []
            or ecs.describe_clusters(clusters=["c1"])["clusters"][0]["status"] == "INACTIVE",
        )
        assert gone == (fixed, fixed)
        if fixed:
            assert client("servicediscovery").list_namespaces()["Namespaces"] == []
            assert client("route53").list_hosted_zones()["HostedZones"] == []


@ON_OFF
def test_log_group_keeps_its_kms_key(fixed: bool) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    template = {
        "Resources": {
            "Group": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": "/app/flow", "RetentionInDays": 30, "KmsKeyId": key},
            }
        }
    }
    with emulated(skip=_skip(fixed, "logs")) as client:
        create(client, "logs", template)
        group = client("logs").describe_log_groups(logGroupNamePrefix="/app/flow")["logGroups"][0]
        assert (group.get("kmsKeyId") == key, group["retentionInDays"]) == (fixed, 30)


@ON_OFF
def test_role_managed_policies_are_attached_and_detached(fixed: bool) -> None:
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "fn-role",
                    "ManagedPolicyArns": [basic],
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                            }
                        ]
                    },
                },
            }
        }
    }
    with emulated(skip=_skip(fixed, "iam_role")) as client:
        create(client, "iam", template)
        iam = client("iam")
        attached = [
            p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="fn-role")["AttachedPolicies"]
        ]
        assert (attached == [basic]) is fixed
        client("cloudformation").delete_stack(StackName="iam")
        assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
