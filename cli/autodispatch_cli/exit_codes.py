"""What the exit status of an `autodispatch` command means, so scripts can branch on it."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    # The command was understood but refused or failed: unknown tenant, invoice or run, an action the
    # rules do not allow (R2, R20, R22), AWS unreachable or refusing.
    FAILED = 1
    # The command line or its input is wrong: unknown option, bad value, a scenario that breaks the
    # format (R25). Nothing was changed.
    USAGE = 2
    # `runs start --wait`: the run ended, but not SUCCEEDED (FAILED, TIMED_OUT, ABORTED).
    RUN_NOT_SUCCEEDED = 3
    # `runs start --wait`: the run was still going when --timeout ran out; it goes on.
    STILL_RUNNING = 4
    INTERRUPTED = 130
