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
    protocol.nonblocking(r)
    with pytest.raises(protocol.FrameTimeout):
        protocol.read_frame(r, deadline=time.monotonic() + 0.2)
    os.close(r), os.close(w)


def test_a_closed_channel_is_reported():
    r, w = os.pipe()
    os.close(w)
    with pytest.raises(protocol.ChannelClosed):
        protocol.read_frame(r, deadline=time.monotonic() + 5)
    os.close(r)


# -- caps on what the grader accepts ---------------------------------------------------


def npy(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def test_a_blob_is_decoded_once_however_often_it_is_named():
    blob = npy(np.arange(1000, dtype=np.float64))
    value = protocol.decode([{"$nd": 0}] * 50, [blob], max_elements=50_000)
    assert all(v is value[0] for v in value)


def test_arrays_read_from_a_frame_share_its_buffer_and_stay_writable():
    r, w = os.pipe()
    tree, blobs = protocol.encode(np.arange(1000.0))
    protocol.write_frame(w, {"value": tree}, blobs)
    message, got = protocol.read_frame(r, deadline=time.monotonic() + 5)
    arr = protocol.decode(message["value"], got)
    assert arr.base is not None and arr.flags.writeable  # no copy; student code may still change it in place
    arr[0] = 5
    os.close(r), os.close(w)


def test_every_reference_counts_against_the_element_cap():
    """A check that converts a list copies each reference: 100 names of one blob are 100 arrays' worth."""
    blob = npy(np.zeros(1000))
    protocol.decode([{"$nd": 0}] * 10, [blob], max_elements=10_000)
    with pytest.raises(protocol.ProtocolError, match="more than 10000 array elements"):
        protocol.decode([{"$nd": 0}] * 11, [blob], max_elements=10_000)


def test_shape_and_size_are_checked_from_the_header_before_reading():
    huge = npy(np.zeros(10, dtype=np.int8)).replace(b"(10,)", b"(10000000000,)")
    with pytest.raises(protocol.ProtocolError, match="over the"):
        protocol.decode({"$nd": 0}, [huge], max_elements=1000)
    lying = npy(np.zeros(10, dtype=np.int8)).replace(b"(10,)", b"(20,)")
    with pytest.raises(protocol.ProtocolError, match="bytes of data for shape"):
        protocol.decode({"$nd": 0}, [lying])
    structured = npy(np.zeros(3, dtype=[("a", "i4"), ("b", "f8")]))
    with pytest.raises(protocol.ProtocolError, match="forbidden type"):
        protocol.decode({"$nd": 0}, [structured])


def test_fortran_order_and_empty_arrays_decode():
    arr = np.asfortranarray(np.arange(6).reshape(2, 3))
    assert np.array_equal(protocol.decode({"$nd": 0}, [npy(arr)]), arr)
    assert protocol.decode({"$nd": 0}, [npy(np.zeros((0, 4)))]).shape == (0, 4)


def test_an_oversized_header_is_refused_before_reading_it():
    r, w = os.pipe()
    protocol.write_frame(w, {"op": "x", "pad": "y" * 5000})
    with pytest.raises(protocol.ProtocolError, match="header of .* is too large"):
        protocol.read_frame(r, deadline=time.monotonic() + 5, max_header=4096)
    os.close(r), os.close(w)


def test_writing_gives_up_at_the_deadline_when_nobody_reads():
    """A worker that stops reading (SIGSTOP) once blocked the grader's write for minutes."""
    r, w = os.pipe()
    protocol.nonblocking(w)
    started = time.monotonic()
    with pytest.raises(protocol.FrameTimeout):
        protocol.write_frame(w, {"op": "x"}, [b"\0" * (4 << 20)], deadline=started + 0.5)
    assert time.monotonic() - started < 30  # a bound (the old write never returned), not a speed claim
    os.close(r), os.close(w)


def test_a_frame_larger_than_the_pipe_crosses_with_a_deadline():
    import threading

    r, w = os.pipe()
    protocol.nonblocking(r), protocol.nonblocking(w)
    tree, blobs = protocol.encode({"x": np.arange(1 << 20)})
    writer = threading.Thread(target=protocol.write_frame, args=(w, {"value": tree}, blobs),
                              kwargs={"deadline": time.monotonic() + 30})
    writer.start()
    message, got = protocol.read_frame(r, deadline=time.monotonic() + 30)
    writer.join()
    assert np.array_equal(protocol.decode(message["value"], got)["x"], np.arange(1 << 20))
    os.close(r), os.close(w)


def test_progress_messages_are_checked_capped_and_escaped():
    assert protocol.read_progress(protocol.progress_message(2, 5, "Epoch 1/30\x1b[2K" + "x" * 500)) == \
        (2, 5, ("Epoch 1/30\\x1b[2K" + "x" * 500)[:protocol.PROGRESS_TEXT_CAP])
    assert protocol.read_progress({"ok": True, "report": {}}) is None
    for forged in ({"progress": {"cell": 3, "of": 2, "text": ""}}, {"progress": {"cell": True, "of": 2, "text": ""}},
                   {"progress": {"cell": 1, "of": 2}}, {"progress": "cell 1"},
                   {"progress": {"cell": 1, "of": 2, "text": ""}, "report": {}}):
        if "report" in forged:
            assert protocol.read_progress(forged) is None  # not a progress message: the run's reply is checked as such
            continue
        with pytest.raises(protocol.ProtocolError, match="malformed progress message"):
            protocol.read_progress(forged)
