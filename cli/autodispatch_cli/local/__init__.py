"""The whole system in embedded AWS (moto), with the Lambda handlers executed in-process."""
