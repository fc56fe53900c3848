"""RecordDeliveryEvents task: record SES delivery events from the feedback queue (R26).

Placeholder so the stack and the local runtime have the function; the recording logic replaces it.
"""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"batchItemFailures": []}
