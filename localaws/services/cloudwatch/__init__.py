"""CloudWatch: CloudFormation support for metric and metric-math alarms."""
