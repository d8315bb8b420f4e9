"""This project's CDK app: configuration, the stage and its stacks, the items service's facts and delivery."""
