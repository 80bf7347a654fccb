"""EC2: network ACLs, security group rules, subnet route associations and cross-region VPC peering."""
