"""The API service's image permissions and health/DNS timings, as data.

A private ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`) needs pull
permissions on exactly that repository; a public image needs none. Image reference format:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.model.site import Site

CONTAINER = "api"  # the container's name in the task definition (and its log stream prefix)


@dataclass(frozen=True)
class Tuning:
    """Health-check and DNS timings: design constants, the same in every region and environment."""

    health_check_grace_s: int = 60
    container_health_interval_s: int = 30
    container_health_timeout_s: int = 5
    container_health_retries: int = 3
    container_health_start_s: int = 30
    dns_ttl_s: int = 10


@dataclass(frozen=True)
class Containers:
    container: str
    # `Fn::Sub` ARN of the private ECR repository the image is pulled from; "" for a public image.
    ecr_repository_arn: str
    # The container's soft memory limit (MemoryReservation): half its hard limit (Memory).
    memory_reservation: int
    tuning: Tuning


def ecr_repository_arn(image: str) -> str:
    """The repository ARN (`Fn::Sub` string) of a private ECR image, or "" for any other image."""
    host, _, path = image.partition("/")
    if ".dkr.ecr." not in host or not host.endswith(".amazonaws.com"):
        return ""
    repository = path.split("@")[0]
    if ":" in repository:
        repository = repository.rsplit(":", 1)[0]
    account, region = host.split(".")[0], host.split(".")[3]
    return f"arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repository}"


def containers(site: Site) -> Containers:
    ecs = site.settings.ecs
    return Containers(
        container=CONTAINER,
        ecr_repository_arn=ecr_repository_arn(ecs.image),
        memory_reservation=ecs.memory // 2,
        tuning=Tuning(),
    )
