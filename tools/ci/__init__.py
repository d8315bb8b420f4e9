"""What the GitHub workflows run beside the service's own make verbs: the pull request's sticky comment."""
