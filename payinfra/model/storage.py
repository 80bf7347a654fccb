"""The buckets' roles, log prefixes and the peer bucket's ARN.

The uploads bucket of the primary region is the replication source, the secondary's the
destination; the replication configuration itself is put by a plugin after deploy.
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.model.edge import ALB_LOG_PREFIX
from payinfra.model.site import Site

# S3 server access logs of the uploads bucket go under this prefix of the log bucket.
S3_ACCESS_LOG_PREFIX = "s3-access/uploads/"


@dataclass(frozen=True)
class Storage:
    uploads_role: str  # source | destination (a tag, and what the replication plugin expects)
    alb_log_prefix: str
    s3_access_log_prefix: str
    # `Fn::Sub` ARN of the secondary region's uploads bucket (the replication destination).
    peer_uploads_arn: str


def storage(site: Site) -> Storage:
    secondary = site.peer_name if site.is_primary else site.name
    return Storage(
        uploads_role="source" if site.is_primary else "destination",
        alb_log_prefix=ALB_LOG_PREFIX,
        s3_access_log_prefix=S3_ACCESS_LOG_PREFIX,
        peer_uploads_arn="arn:${AWS::Partition}:s3:::" + site.names.sub("uploads_bucket", region=secondary),
    )
