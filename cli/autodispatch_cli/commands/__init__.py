"""The operator commands: settings, invoices and runs, against the target stack (target.py)."""
