"""Selection batches keys as they stream in: every key once, per tenant where it can, in bounded
memory (R10: nothing due is lost, whatever the number of pending invoices)."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from autodispatch.logic.selection import _TenantBatcher
from autodispatch.models.scenario import InvoiceKey

SIZE, MAX_BUFFERED = 4, 10
streams = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=120).map(
    lambda tenants: [InvoiceKey(tenant_id=t, invoice_id=f"i{n}") for n, t in enumerate(tenants)]
)


@given(streams)
def test_r10_every_key_is_batched_once_within_size_and_bounded_memory(keys: list[InvoiceKey]) -> None:
    batcher = _TenantBatcher(SIZE, MAX_BUFFERED)
    batches = []
    for key in keys:
        batches += list(batcher.add(key))
        assert batcher._buffered <= MAX_BUFFERED
    batches += list(batcher.rest())
    assert Counter(key for batch in batches for key in batch) == Counter(keys)
    assert all(0 < len(batch) <= SIZE for batch in batches)


def test_full_batches_hold_one_tenant() -> None:
    keys = [InvoiceKey(tenant_id=t, invoice_id=f"i{n}") for n in range(8) for t in ("a", "b")]
    batcher = _TenantBatcher(SIZE, MAX_BUFFERED)
    batches = [batch for key in keys for batch in batcher.add(key)]
    assert [{key.tenant_id for key in batch} for batch in batches] == [{"a"}, {"b"}, {"a"}, {"b"}]
    assert list(batcher.rest()) == []
