"""The C codec is a cffi extension built against the stable ABI: one abi3 wheel serves
every CPython from the floor in pyproject.toml (requires-python) on."""
from setuptools import setup

setup(cffi_modules=["csrc/build_codec.py:ffibuilder"],
      options={"bdist_wheel": {"py_limited_api": "cp311"}})
