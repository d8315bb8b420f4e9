"""``make tune ENV=<env>``: the deployed function at each memory size, as AWS Lambda Power Tuning does."""
