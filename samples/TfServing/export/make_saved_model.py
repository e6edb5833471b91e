"""Writes half_plus_two/1/saved_model.pb: a SavedModel whose serving_default signature computes
y = 0.5 * x + 2 for a float vector x, encoded in protobuf wire format by hand so that neither
TensorFlow nor the protobuf package is needed. The graph holds only constants, so there is no
variables/ folder. (Checked here only against the stand-in server, which reads no model; the
layout and messages follow tensorflow/core/protobuf/saved_model.proto and meta_graph.proto.)"""
import os
import struct

DT_FLOAT = 1


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire, payload):
    return varint(number << 3 | wire) + payload


def v(number, value):  # varint field
    return field(number, 0, varint(value))


def b(number, data):  # length-delimited field
    if isinstance(data, str):
        data = data.encode()
    return field(number, 2, varint(len(data)) + data)


def entry(key, value):  # a map<string, message> entry
    return b(1, key) + b(2, value)


def shape(*dims):
    return b"".join(b(2, v(1, d)) for d in dims)


def attr_type(t):
    return v(6, t)


def attr_shape(s):
    return b(7, s)


def attr_tensor(value):
    tensor = v(1, DT_FLOAT) + b(2, shape()) + b(5, struct.pack("<f", value))
    return b(8, tensor)


def node(name, op, inputs=(), attrs=()):
    return b(1, name) + b(2, op) + b"".join(b(3, i) for i in inputs) + b"".join(b(5, entry(k, a)) for k, a in attrs)


graph = b"".join(b(1, n) for n in [
    node("x", "Placeholder", attrs=[("dtype", attr_type(DT_FLOAT)), ("shape", attr_shape(shape(-1)))]),
    node("a", "Const", attrs=[("dtype", attr_type(DT_FLOAT)), ("value", attr_tensor(0.5))]),
    node("b", "Const", attrs=[("dtype", attr_type(DT_FLOAT)), ("value", attr_tensor(2.0))]),
    node("mul", "Mul", ["a", "x"], [("T", attr_type(DT_FLOAT))]),
    node("y", "AddV2", ["mul", "b"], [("T", attr_type(DT_FLOAT))]),
]) + b(4, v(1, 1087))

tensor_info = lambda name: b(1, name) + v(2, DT_FLOAT) + b(3, shape(-1))
signature = b(1, entry("x", tensor_info("x:0"))) + b(2, entry("y", tensor_info("y:0"))) + b(3, "tensorflow/serving/predict")
meta_info = b(1, "") + b(4, "serve") + b(5, "2.18.0")
meta_graph = b(1, meta_info) + b(2, graph) + b(5, entry("serving_default", signature))
saved_model = v(1, 1) + b(2, meta_graph)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "half_plus_two", "1", "saved_model.pb")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "wb") as f:
    f.write(saved_model)
print("wrote %s (%d bytes)" % (out, len(saved_model)))
