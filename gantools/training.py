"""Pieces of long training loops: a progress bar with ETA, and Ctrl-C at a safe point.

- `Progress`: on a terminal, one line on stderr redrawn at most a few times a second
  (`  12000/1000000   1.2%  3.1 ms/it  ETA 0:51:02`), cleared before the program prints its
  own lines; when stderr is not a terminal (a log file, a pipe), a plain
  `progress: ...` line on stdout once a minute, so stderr stays clean.
- `DeferredInterrupt`: the first Ctrl-C (SIGINT) only sets `requested`, so the loop can finish
  the iteration it is in, write a checkpoint and stop; a second Ctrl-C stops at once.
"""
import signal
import sys
import threading
import time


def _clock(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    def __init__(self, total, start=0, stream=None, out=None, redraw_seconds=0.2,
                 line_seconds=60.0):
        self.total = total
        self.start = start
        self.done = start
        self.stream = stream if stream is not None else sys.stderr
        self.out = out if out is not None else sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.redraw_seconds = redraw_seconds if self.tty else line_seconds
        self.began = time.perf_counter()
        self.last = self.began
        self.drawn = False

    def text(self):
        elapsed = time.perf_counter() - self.began
        steps = self.done - self.start
        per_step = elapsed / steps if steps else 0.0
        eta = per_step * (self.total - self.done)
        width = len(str(self.total))
        return (f"{self.done:>{width}}/{self.total} {self.done / max(self.total, 1):6.1%} "
                f"{per_step * 1000:7.2f} ms/it  ETA {_clock(eta)}")

    def update(self, done):
        self.done = done
        now = time.perf_counter()
        if now - self.last < self.redraw_seconds and done < self.total:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + self.text() + "\x1b[K")
            self.stream.flush()
            self.drawn = True
        elif now - self.began >= self.redraw_seconds:
            print("progress: " + self.text(), file=self.out, flush=True)

    def clear(self):
        """Remove the bar before other output (it comes back at the next update)."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False

    def close(self):
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class DeferredInterrupt:
    """`with DeferredInterrupt() as stop:` ... `if stop.requested:` save and leave the loop."""

    def __init__(self, message="Interrupted: finishing this iteration and saving a checkpoint "
                               "(Ctrl-C again to stop at once)"):
        self.message = message
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\n" + self.message, file=sys.stderr, flush=True)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False
