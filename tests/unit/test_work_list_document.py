"""The work list document: one JSON array the Distributed Map reads, one batch per line for the run's
last step to read back without holding the list (R24)."""

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.work_list import keys_of_lines, work_list_document

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
keys = st.builds(InvoiceKey, tenant_id=ids, invoice_id=ids)


@given(st.lists(st.lists(keys, min_size=1, max_size=4), max_size=6))
def test_r24_work_list_is_a_json_array_of_batches_read_back_line_by_line(
    batches: list[list[InvoiceKey]],
) -> None:
    document = work_list_document(batches)
    assert json.loads(document) == [{"keys": [key.model_dump() for key in batch]} for batch in batches]
    assert document.count(b"\n") == max(len(batches) - 1, 0)
    lines = iter(io.BytesIO(document).read().splitlines())
    assert list(keys_of_lines(lines)) == [key for batch in batches for key in batch]
