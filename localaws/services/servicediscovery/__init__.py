"""Cloud Map: private DNS namespaces and services."""
