"""The items service deployed to AWS Lambda: a FastAPI app behind Mangum."""
