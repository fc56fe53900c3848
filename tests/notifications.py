"""The notification steps of the state machine (R21) run in one process, for the logic's tests: the
plan, each chunk in turn (a chunk's error is raised, as a step that fails), then the finish."""

from collections.abc import Callable

from autodispatch.logic.notification import (
    ChunkResult,
    NotificationSummary,
    finish_notifications,
    notify_chunk,
    plan_notifications,
    unlimited,
)
from autodispatch.notify.port import Notifier
from autodispatch.store.port import NotificationStore, RunRef

SES_SEND_RATE = 14.0


def notify_night(
    run: RunRef,
    store: NotificationStore,
    notifier: Notifier,
    time_left: Callable[[], float] = unlimited,
) -> NotificationSummary:
    plan = plan_notifications(run, store, SES_SEND_RATE)
    results = [
        ChunkResult(**notify_chunk(run, chunk, store, notifier, time_left).model_dump())
        for chunk in plan.chunks
    ]
    return finish_notifications(run, results, store)
