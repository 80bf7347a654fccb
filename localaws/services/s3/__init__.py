"""S3: bucket configuration and policies, replication configuration, and the S3 rules."""
