"""The C codec is a cffi extension built against the stable ABI: one abi3 wheel serves
every CPython from the floor in pyproject.toml (requires-python) on. The event stream's hot
path (pynetlink.events._engine, csrc/ext/events.c) is a second extension on CPython's
limited API (abi3 too): cffi cannot make Python objects in C."""
import os

from setuptools import Extension, setup

_san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-O1", "-g"]
_sanitize = bool(os.environ.get("PYNETLINK_SANITIZE"))
engine = Extension("pynetlink.events._engine", ["csrc/ext/events.c"], py_limited_api=True,
                   define_macros=[("Py_LIMITED_API", "0x030B0000")],
                   extra_compile_args=["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
                                       "-Wno-missing-field-initializers"] + (_san if _sanitize else []),
                   extra_link_args=_san if _sanitize else [])

# dump views read in C (pynetlink.codec._cview, csrc/ext/views.c): the same build as the engine
cview = Extension("pynetlink.codec._cview", ["csrc/ext/views.c"], py_limited_api=True,
                  define_macros=engine.define_macros, extra_compile_args=engine.extra_compile_args,
                  extra_link_args=engine.extra_link_args)

# port publications read from the caller's tuples in C (pynetlink.nft._ports, csrc/ext/nftports.c),
# and DockerNat's prepared transaction sent with the codec's transfer (csrc/xfer.c; csrc/netns.c: the namespace check)
ports = Extension("pynetlink.nft._ports", ["csrc/ext/nftports.c", "csrc/xfer.c", "csrc/netns.c"], py_limited_api=True,
                  define_macros=engine.define_macros, extra_compile_args=engine.extra_compile_args,
                  extra_link_args=engine.extra_link_args)

setup(cffi_modules=["csrc/build_codec.py:ffibuilder"], ext_modules=[engine, cview, ports],
      options={"bdist_wheel": {"py_limited_api": "cp311"}})
