"""Route 53 as a failover needs it: health checks that answer from state, and DNS answers."""
