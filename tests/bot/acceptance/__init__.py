"""A real workspace end to end: slow or failing Slack, lost answers, who may act, odd
input, stale clicks, a rate-limit storm."""
