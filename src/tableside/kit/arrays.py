"""Numpy helpers shared by the read paths that build large responses from columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def factorize(
    values: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, np.dtype[np.intp]]]:
    """The distinct values (in order of first appearance) and, per value, the index of its
    distinct value.

    Numbers are hashed (pandas), not sorted. Raw bytes such as UUIDs (16-byte voids, which
    sort slowly) are told apart by their first 8 bytes read as one integer; only if two
    distinct values share those (never seen with random UUIDs, but possible) are they
    compared whole."""
    if values.dtype.kind != "V":
        codes, uniques = pd.factorize(values)
        return np.asarray(uniques), codes
    width = values.dtype.itemsize
    if width % 8:
        keys, inverse = np.unique(values, return_inverse=True)
        return keys, inverse
    codes, uniques = pd.factorize(np.ascontiguousarray(values).view(np.uint64)[:: width // 8])
    first = np.empty(len(uniques), np.intp)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    keys = values[first]
    if (keys[codes] != values).any():
        keys, inverse = np.unique(values, return_inverse=True)
        return keys, inverse
    return keys, codes
