"""The buckets' roles, log prefixes and the replication destinations.

The uploads bucket of the primary region is the replication source, each secondary's a
destination (one replication rule per destination, each encrypting with that destination's key);
the replication configuration itself is put by a plugin after deploy. The primary's replication
role must be allowed to write, and encrypt, in every destination: S3 assumes the one role for every
rule (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html,
KMS-encrypted replicas: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html).
A secondary's template needs nothing about the other buckets: its key policy already admits the
primary's replication role (keys partial), and replicas arrive by s3:ReplicateObject, which its
bucket policy does not restrict.
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.model.edge import ALB_LOG_PREFIX
from payinfra.model.site import Site, region_id

# S3 server access logs of the uploads bucket go under this prefix of the log bucket.
S3_ACCESS_LOG_PREFIX = "s3-access/uploads/"


@dataclass(frozen=True)
class ReplicationDestination:
    """A secondary's uploads bucket, as the primary's replication role sees it."""

    region: str
    uploads_arn: str  # `Fn::Sub` ARN of the bucket

    @property
    def id(self) -> str:
        """Policy statement ids name the region (`EncryptReplicasUsEast2`), never a position."""
        return region_id(self.region)


@dataclass(frozen=True)
class Storage:
    uploads_role: str  # source | destination (a tag, and what the replication plugin expects)
    alb_log_prefix: str
    s3_access_log_prefix: str
    # The primary: one per secondary (context order). A secondary: none.
    replication_destinations: tuple[ReplicationDestination, ...]

    @property
    def destination_regions(self) -> tuple[str, ...]:
        return tuple(d.region for d in self.replication_destinations)


def storage(site: Site) -> Storage:
    return Storage(
        uploads_role="source" if site.is_primary else "destination",
        alb_log_prefix=ALB_LOG_PREFIX,
        s3_access_log_prefix=S3_ACCESS_LOG_PREFIX,
        replication_destinations=tuple(
            ReplicationDestination(
                replica.name,
                "arn:${AWS::Partition}:s3:::" + site.names.sub("uploads_bucket", region=replica.name),
            )
            for replica in site.replicas
        ),
    )
