"""CloudWatch Logs: a log group's KMS key."""
