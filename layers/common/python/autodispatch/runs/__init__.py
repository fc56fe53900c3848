"""Starting a nightly run on demand: the port and its Step Functions adapter."""
