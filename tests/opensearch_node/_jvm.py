"""The JVM of one node: its command line (heap, the jvm.options that matter, the classpath) and
what the child does before exec so that it dies with the process that started it."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import signal
import subprocess
from pathlib import Path

from tests.opensearch_node._build import LAUNCHER_CLASS, _java_binary, classpath

DEFAULT_HEAP = "512m"


@functools.cache
def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_command(home: Path, heap: str = DEFAULT_HEAP, java: str | None = None,
                 fast_startup: bool = True) -> list[str]:
    """The JVM and its options for a node whose path.home is ``home``.

    These are the parts of OpenSearch's jvm.options that matter outside its Bootstrap: fixed
    heap, Netty without Unsafe tricks or direct arenas (their memory is not under -Xmx), log4j
    kept alive until the node has closed (the launcher shuts it down itself), a private tmpdir.
    ``fast_startup`` stops the JIT at C1 (-XX:TieredStopAtLevel=1): on this 2-core machine a
    3-node cluster is up in ~6 s instead of ~13 s, at the cost of slower steady-state code, so
    turn it off for anything that measures OpenSearch's speed.
    """
    java = java or _java_binary()
    major = _java_major(java)
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return [
        java,
        f"-Xms{heap}", f"-Xmx{heap}", "-Xss1m",
        "-XX:+UseG1GC",
        *(["-XX:TieredStopAtLevel=1"] if fast_startup else []),
        "-XX:-OmitStackTraceInFastThrow",
        f"-XX:ErrorFile={home / 'logs' / 'hs_err_pid%p.log'}",
        "-Dfile.encoding=UTF-8",
        "-Djava.awt.headless=true",
        f"-Djava.io.tmpdir={tmp}",
        # date formats as the distribution has them (COMPAT is gone from Java 23 on)
        "-Djava.locale.providers=" + ("SPI,CLDR" if major >= 23 else "SPI,COMPAT"),
        "-Djna.nosys=true",
        # Lucene's MMapDirectory/madvise use java.lang.foreign on Java 21+ (quiet the warning)
        "--enable-native-access=ALL-UNNAMED",
        "-Dlog4j.shutdownHookEnabled=false",
        "-Dlog4j2.disable.jmx=true",
        "-Dio.netty.noUnsafe=true",
        "-Dio.netty.noKeySetOptimization=true",
        "-Dio.netty.recycler.maxCapacityPerThread=0",
        "-Dio.netty.allocator.numDirectArenas=0",
        "-Dopensearch.set.netty.runtime.available.processors=false",
        "-cp", classpath(),
        LAUNCHER_CLASS,
    ]


def _die_with_parent() -> None:  # runs in the child before exec
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
