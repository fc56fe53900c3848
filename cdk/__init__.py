"""The CDK app of autodispatch: one stack composed of one construct per concern."""
