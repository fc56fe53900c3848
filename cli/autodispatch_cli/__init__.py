"""Operator and local tooling for autodispatch (not shipped to Lambda)."""
