"""AWS Backup: CloudFormation models for vaults, plans and selections."""
