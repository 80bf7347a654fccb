"""RDS: DB instances with the template's properties, and the read-replica and subnet-group rules."""
