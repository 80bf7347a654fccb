"""Secrets Manager: secrets, attachments, rotation and replicas, and the replica-key rule."""
