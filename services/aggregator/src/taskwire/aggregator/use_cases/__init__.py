"""What the aggregator does, one module per group: counting task events, reading a project's
counts, reconciling with the tasks service's ground truth."""
