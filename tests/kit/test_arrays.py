"""factorize: distinct values in order of first appearance and each value's index."""

from __future__ import annotations

import uuid

import numpy as np

from tableside.kit.arrays import factorize


def _uuids(values: list[uuid.UUID]) -> np.ndarray:
    return np.frombuffer(b"".join(value.bytes for value in values), "V16")


def test_uuids_in_order_of_first_appearance() -> None:
    a, b, c = uuid.uuid4(), uuid.UUID(int=0), uuid.uuid4()
    keys, codes = factorize(_uuids([a, b, a, c, b, c, c]))
    assert [uuid.UUID(bytes=key) for key in keys.tolist()] == [a, b, c]
    assert codes.tolist() == [0, 1, 0, 2, 1, 2, 2]


def test_uuids_sharing_their_first_eight_bytes_stay_apart() -> None:
    first = uuid.UUID("11111111-2222-3333-4444-555555555555")
    twin = uuid.UUID("11111111-2222-3333-9999-999999999999")
    values = [first, twin, twin, first]
    keys, codes = factorize(_uuids(values))
    assert [uuid.UUID(bytes=keys[code].tobytes()) for code in codes] == values
    assert len(keys) == 2


def test_integers_and_empty_input() -> None:
    keys, codes = factorize(np.array([7, 3, 7, 0, 3]))
    assert keys.tolist() == [7, 3, 0] and codes.tolist() == [0, 1, 0, 2, 1]
    keys, codes = factorize(np.array([], "V16"))
    assert len(keys) == 0 and len(codes) == 0
