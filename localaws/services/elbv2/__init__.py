"""Elastic Load Balancing v2: the properties moto's models drop, and the access-log bucket rule."""
