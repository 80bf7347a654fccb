"""Powertools for AWS Lambda reference of the payment handler: measured beside ours, never deployed."""
