"""Work in a forked child (:mod:`muskox.forked`): results, known failures, fall-backs, log records, cancelling.

Each scenario runs in a fresh interpreter (``python -c``): only a process without other threads forks, and the test
process may run some. The scenario prints one JSON document that the test checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

PRELUDE = """
import json, logging, os, sys, threading
from muskox import forked
from muskox.errors import ConnectionFailed
PARENT = os.getpid()
ran_here = []
def in_child():
    return os.getpid() != PARENT
"""


def scenario(body: str) -> Any:
    """Run ``body`` after :data:`PRELUDE` in a new interpreter; the JSON it prints last."""
    done = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_function_runs_in_a_child_and_its_value_comes_back() -> None:
    found = scenario("""
        call = forked.start(lambda: {"pid": os.getpid(), "text": "é`'\\"", "n": [1, 2.5, None]})
        value = call.result()
        print(json.dumps({"forked": value["pid"] != PARENT, "value": value}))
    """)
    assert found["forked"] is True
    assert found["value"]["text"] == "é`'\"" and found["value"]["n"] == [1, 2.5, None]


def test_a_known_failure_is_raised_in_the_parent_without_running_the_function_again() -> None:
    found = scenario("""
        def fail():
            ran_here.append(os.getpid())
            raise ConnectionFailed("server 127.0.0.1:1 refused the connection", "start it")
        call = forked.start(fail)
        try:
            call.result()
            outcome = None
        except ConnectionFailed as exc:
            outcome = {"message": str(exc), "exit_code": int(exc.exit_code), "fix": exc.fix}
        print(json.dumps({"outcome": outcome, "ran_in_parent": ran_here}))
    """)
    assert found["outcome"] == {"message": "server 127.0.0.1:1 refused the connection. Fix: start it",
                                "exit_code": 4, "fix": "start it"}
    assert found["ran_in_parent"] == []


def test_any_other_exception_makes_the_parent_run_the_function_itself() -> None:
    found = scenario("""
        def buggy():
            ran_here.append(os.getpid())
            if in_child():
                raise KeyError("a bug")
            return "from the parent"
        print(json.dumps({"value": forked.start(buggy).result(), "ran_in_parent": ran_here == [PARENT]}))
    """)
    assert found == {"value": "from the parent", "ran_in_parent": True}


def test_a_result_that_does_not_pickle_or_a_dead_child_falls_back_to_the_parent() -> None:
    found = scenario("""
        def unpicklable():
            return threading.Lock() if in_child() else "lock refused, redone here"
        def dies():
            if in_child():
                os._exit(9)
            return "child died, redone here"
        print(json.dumps([forked.start(unpicklable).result(), forked.start(dies).result()]))
    """)
    assert found == ["lock refused, redone here", "child died, redone here"]


def test_log_records_of_the_child_are_emitted_by_the_parent() -> None:
    found = scenario("""
        seen = []
        class Keep(logging.Handler):
            def emit(self, record):
                seen.append([record.name, record.levelname, record.getMessage(), getattr(record, "muskox_event", None),
                             os.getpid() == PARENT])
        logger = logging.getLogger("muskox")
        logger.handlers[:] = [Keep()]
        logger.setLevel(logging.INFO)
        def work():
            logging.getLogger("muskox.clickhouse").info("connecting to %s", "h:1",
                                                         extra={"muskox_event": {"event": "connect", "server": "h:1"}})
            logging.getLogger("muskox.clickhouse").debug("below the level: dropped")
            return len(seen)
        value = forked.start(work).result()
        print(json.dumps({"seen_in_child": value, "seen": seen}))
    """)
    assert found["seen_in_child"] == 0  # the child's handler only collected them
    assert found["seen"] == [["muskox.clickhouse", "INFO", "connecting to h:1",
                              {"event": "connect", "server": "h:1"}, True]]


def test_no_child_while_another_thread_runs() -> None:
    found = scenario("""
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        refused = forked.start(lambda: 1) is None
        stop.set()
        worker.join()
        print(json.dumps({"refused": refused, "after": forked.start(lambda: 2).result()}))
    """)
    assert found == {"refused": True, "after": 2}


def test_cancel_stops_and_reaps_a_child_that_never_ends() -> None:
    found = scenario("""
        call = forked.start(lambda: threading.Event().wait())
        pid = call._pid
        call.cancel()
        try:
            os.kill(pid, 0)
            gone = False
        except ProcessLookupError:
            gone = True
        print(json.dumps({"gone": gone}))
    """)
    assert found == {"gone": True}


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20)
                           | st.floats(allow_nan=False),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)


@settings(max_examples=6, deadline=None)
@given(values=st.lists(JSON_VALUES, min_size=1, max_size=12))
def test_any_plain_value_comes_back_equal(values: list[Any]) -> None:
    found = scenario(f"""
        values = json.loads({json.dumps(json.dumps(values))})
        print(json.dumps([forked.start(lambda v=v: v).result() for v in values]))
    """)
    assert found == values


def test_an_interrupted_wait_stops_the_child_instead_of_waiting_for_it() -> None:
    """Ctrl-C sent to the command alone while it waits for a child that never ends: the child is killed and
    reaped, and the interruption goes on. The signal is sent once the main thread is seen reading the pipe."""
    found = scenario("""
        import inspect, signal
        from muskox.forked import ForkedCall
        def interrupt(signum, frame):
            raise KeyboardInterrupt
        signal.signal(signal.SIGUSR1, interrupt)
        source, first = inspect.getsourcelines(ForkedCall._take)
        reading = first + next(i for i, line in enumerate(source) if "os.read(" in line)
        call = forked.start(lambda: threading.Event().wait())
        pid, main = call._pid, threading.get_ident()
        def interrupt_when_reading():
            while True:
                frame = sys._current_frames()[main]
                if frame.f_code.co_name == "_take" and frame.f_lineno == reading:
                    os.kill(PARENT, signal.SIGUSR1)
                    return
        threading.Thread(target=interrupt_when_reading).start()
        try:
            call.result()
            interrupted = False
        except KeyboardInterrupt:
            interrupted = True
        try:
            os.kill(pid, 0)
            gone = False
        except ProcessLookupError:
            gone = True
        print(json.dumps({"interrupted": interrupted, "gone": gone}))
    """)
    assert found == {"interrupted": True, "gone": True}
