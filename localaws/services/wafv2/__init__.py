"""WAFv2: web ACLs, associations and logging configurations, and the logging-destination rule."""
