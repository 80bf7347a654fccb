"""Disaster recovery: the recorded active region, the failover and failback runbook, its steps."""
