"""DynamoDB: table properties moto drops, the GlobalTable model, and the global-table rules."""
