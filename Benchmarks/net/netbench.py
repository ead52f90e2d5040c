"""What bench_ann_pgwire.py and bench_rest.py share: free ports, the vectors, and a
`vireo serve` of the release build on a temporary data directory."""
import os
import socket
import subprocess
import time

import numpy as np

STARTUP_SECONDS_MAX = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def minilm_like(count, dim, seed):
    """Unit vectors with a low intrinsic dimension, as sentence embeddings have: a
    32-dimensional Gaussian latent mapped into `dim` dimensions, plus a little noise.
    The mapping is the same for every seed, so base rows and queries share it."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(7).standard_normal((32, dim)).astype(np.float32)
    latent = rng.standard_normal((count, 32)).astype(np.float32)
    vectors = latent @ basis + 0.3 * rng.standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def start_vireo(binary, work, environment=None):
    """`vireo serve` on free ports (pgwire with trust auth, the hashing embedder so that no
    model loads); returns the process, the pgwire port and the HTTP port once both listen."""
    pg_port, http_port = free_port(), free_port()
    log = os.path.join(work, "vireo.log")
    process = subprocess.Popen([binary, "serve", "--data", os.path.join(work, "vireo"), "--pg-port", str(pg_port),
                                "--http-port", str(http_port), "--pg-auth", "trust", "--embedder", "hashing"],
                               stdout=open(log, "w"), stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})})
    deadline = time.monotonic() + STARTUP_SECONDS_MAX
    while not ("pgwire listening" in open(log).read() and "REST listening" in open(log).read()):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit(f"vireo serve did not start:\n{open(log).read()[-2000:]}")
        time.sleep(0.1)
    return process, pg_port, http_port
