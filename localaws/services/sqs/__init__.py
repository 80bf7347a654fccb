"""SQS: queue policies (and SNS topic policies, which the same fix models)."""
