"""The wire format: what crosses, what is refused, and limits on what arrives."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from autograder.engine import protocol


def roundtrip(value):
    tree, blobs = protocol.encode(value)
    return protocol.decode(tree, blobs)


def test_plain_values_round_trip():
    value = {"a": [1, 2.5, None, True, "텍스트"], "b": (1, (2, 3)), "big": 2**70, "inf": float("inf")}
    assert roundtrip(value) == value


def test_arrays_and_numpy_scalars_keep_dtype_and_shape():
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    back = roundtrip({"x": arr, "s": np.float32(1.5), "i": np.int64(7)})
    assert back["x"].dtype == np.int32 and back["x"].shape == (3, 4) and np.array_equal(back["x"], arr)
    assert isinstance(back["s"], np.float32) and back["s"] == np.float32(1.5)
    assert isinstance(back["i"], np.int64)


def test_objects_without_wire_form_are_refused_or_handed_off():
    class Lying:
        def __eq__(self, other):
            return True

    with pytest.raises(protocol.Unencodable):
        protocol.encode(Lying())
    with pytest.raises(protocol.Unencodable):
        protocol.encode(np.array([Lying()], dtype=object))
    tree, _ = protocol.encode([Lying()], handle=lambda v: {"$remote": 1, "type": "Lying"})
    assert tree == [{"$remote": 1, "type": "Lying"}]


def test_subclasses_of_builtins_do_not_cross_as_builtins():
    class AlwaysEqual(int):
        def __eq__(self, other):
            return True

    with pytest.raises(protocol.Unencodable):
        protocol.encode(AlwaysEqual(3))


@pytest.mark.parametrize("tree", [{"$nd": 5}, {"$what": 1}, {}, {"$float": "1e400"}, {"$remote": 1}])
def test_malformed_trees_are_protocol_errors(tree):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(tree, [])


def test_pickled_arrays_are_refused():
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"$nd": 0}, [buf.getvalue()])


def test_frames_round_trip_over_a_pipe():
    r, w = os.pipe()
    tree, blobs = protocol.encode({"x": np.ones((2, 2))})
    protocol.write_frame(w, {"op": "x", "value": tree}, blobs)
    message, got = protocol.read_frame(r, deadline=time.monotonic() + 5)
    assert message["op"] == "x"
    assert np.array_equal(protocol.decode(message["value"], got)["x"], np.ones((2, 2)))
    os.close(r), os.close(w)


def test_oversized_frames_are_refused_before_reading_them():
    r, w = os.pipe()
    protocol.write_frame(w, {"op": "x"}, [b"\0" * 1000])
    with pytest.raises(protocol.ProtocolError, match="exceeds"):
        protocol.read_frame(r, deadline=time.monotonic() + 5, max_bytes=500)
    os.close(r), os.close(w)


def test_reading_gives_up_at_the_deadline():
    r, w = os.pipe()
    with pytest.raises(protocol.FrameTimeout):
        protocol.read_frame(r, deadline=time.monotonic() + 0.2)
    os.close(r), os.close(w)


def test_a_closed_channel_is_reported():
    r, w = os.pipe()
    os.close(w)
    with pytest.raises(protocol.ChannelClosed):
        protocol.read_frame(r, deadline=time.monotonic() + 5)
    os.close(r)
