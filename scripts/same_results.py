#!/usr/bin/python3
"""Checks that two recoverysim results files hold the same data, dataset by dataset.

Usage: scripts/same_results.py A.h5 B.h5 [--ignore-attribute NAME ...]

Every group, dataset and attribute must be present in both, with the same type, shape and
bytes (NaN included). The root attributes `created_utc` and `build` (the build that wrote the
file) are ignored, as is anything named with --ignore-attribute. Exit 0 when the files match; 1 with the differences listed otherwise.
How the bytes are laid out inside each file (chunk order, free space) is not compared.
"""
import argparse
import sys

import h5py
import numpy as np


def attribute_bytes(value):
    if isinstance(value, (bytes, str)):
        return value.encode() if isinstance(value, str) else value
    array = np.asarray(value)
    if array.dtype.kind == "O":
        return repr([v.decode() if isinstance(v, bytes) else v for v in array.ravel()]).encode()
    return array.dtype.str.encode() + repr(array.shape).encode() + array.tobytes()


def compare(a, b, ignored, differences, path="/"):
    for name in sorted(set(a.attrs) | set(b.attrs)):
        if name in ignored:
            continue
        if name not in a.attrs or name not in b.attrs:
            differences.append(f"{path}: attribute {name} only in {'the first' if name in a.attrs else 'the second'}")
        elif attribute_bytes(a.attrs[name]) != attribute_bytes(b.attrs[name]):
            differences.append(f"{path}: attribute {name} differs")
    if isinstance(a, h5py.Dataset):
        if a.dtype != b.dtype or a.shape != b.shape:
            differences.append(f"{path}: {a.dtype}{a.shape} against {b.dtype}{b.shape}")
        elif a[()].tobytes() != b[()].tobytes():
            left, right = np.asarray(a[()]).ravel(), np.asarray(b[()]).ravel()
            first = next(i for i in range(left.size) if left[i:i + 1].tobytes() != right[i:i + 1].tobytes())
            differences.append(f"{path}: data differs (first at flat index {first}: {left[first]!r} against "
                               f"{right[first]!r})")
        return
    for name in sorted(set(a) | set(b)):
        child = f"{path.rstrip('/')}/{name}"
        if name not in a or name not in b:
            differences.append(f"{child}: only in {'the first' if name in a else 'the second'} file")
        elif isinstance(a[name], h5py.Dataset) != isinstance(b[name], h5py.Dataset):
            differences.append(f"{child}: a group in one file, a dataset in the other")
        else:
            compare(a[name], b[name], ignored, differences, child)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--ignore-attribute", action="append", default=["created_utc", "build"])
    args = parser.parse_args()
    differences = []
    with h5py.File(args.first, "r") as a, h5py.File(args.second, "r") as b:
        compare(a, b, set(args.ignore_attribute), differences)
    if differences:
        print(f"{args.first} and {args.second} differ in {len(differences)} place(s):")
        for line in differences[:50]:
            print("  " + line)
        return 1
    print(f"{args.first} and {args.second}: same data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
