"""The benchmarks' stopwatch: wall and CPU seconds of a ``with`` block (CPU is the fairer number on a shared machine)."""

import time


class Timer:
    """``with Timer() as t: ...`` leaves ``t.wall`` and ``t.cpu``, the block's wall-clock and process CPU seconds."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
