"""Building the launcher: Maven fetches the OpenSearch jars and compiles ``Launcher.java`` into
``.cache/opensearch-node`` (the runtime classpath), once per change of ``pom.xml`` or the Java
sources; and which ``java`` runs it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
REPO_ROOT = PROJECT_DIR.parents[1]
CACHE_DIR = Path(os.environ.get("SOHOA_CACHE_DIR", REPO_ROOT / ".cache"))
MAVEN_REPO = CACHE_DIR / "m2"
BUILD_DIR = CACHE_DIR / "opensearch-node"
LAUNCHER_CLASS = "sohoa.osnode.Launcher"
OPENSEARCH_VERSION = "2.19.6"


class BuildError(RuntimeError):
    """Maven could not build the launcher (the message carries Maven's output)."""


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    files = [PROJECT_DIR / "pom.xml", *sorted((PROJECT_DIR / "src").rglob("*"))]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(PROJECT_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _java_home() -> Path | None:
    home = os.environ.get("SOHOA_OPENSEARCH_JAVA_HOME") or os.environ.get("JAVA_HOME")
    return Path(home) if home else None


def _java_binary() -> str:
    home = _java_home()
    if home is not None:
        return str(home / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise BuildError("no java: install a JDK 17 (Debian: openjdk-17-jdk-headless) or set JAVA_HOME")
    return found


def classpath() -> str:
    """The launcher's runtime classpath (after :func:`build`)."""
    return os.pathsep.join([str(BUILD_DIR / "opensearch-node-launcher.jar"), str(BUILD_DIR / "lib" / "*")])


def _built(digest: str) -> bool:
    stamp = BUILD_DIR / "build.stamp"
    return (
        stamp.is_file()
        and stamp.read_text().strip() == digest
        and (BUILD_DIR / "opensearch-node-launcher.jar").is_file()
        and any((BUILD_DIR / "lib").glob("opensearch-*.jar"))
    )


def build(*, force: bool = False, offline: bool | None = None, quiet: bool = True) -> Path:
    """Builds the launcher into ``.cache/opensearch-node`` unless it is already built.

    Idempotent and safe to call from several processes at once (a file lock serialises them).
    ``offline=None`` tries ``mvn -o`` first when a Maven repository is cached and falls back to
    the network; ``offline=True`` never goes online; ``offline=False`` always may.
    Returns the build directory.
    """
    digest = _inputs_digest()
    if not force and _built(digest):
        return BUILD_DIR
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / "opensearch-node.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _built(digest):
            return BUILD_DIR
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BuildError("no mvn: install Maven (Debian: maven) to build the OpenSearch launcher")
        work = CACHE_DIR / "opensearch-node-build"
        shutil.rmtree(work, ignore_errors=True)
        command = [mvn, "-B", "-f", str(PROJECT_DIR / "pom.xml"), f"-Dmaven.repo.local={MAVEN_REPO}",
                   f"-Dosnode.build.dir={work}", "package"]
        if quiet:
            command.insert(1, "-q")
        else:
            command.insert(1, "-ntp")  # progress bars of downloads would flood a log
        env = dict(os.environ)
        if _java_home() is not None:
            env["JAVA_HOME"] = str(_java_home())
        attempts = [True, False] if offline is None and MAVEN_REPO.is_dir() else [bool(offline)]
        output = ""
        for attempt_offline in attempts:
            run = command[:1] + (["-o"] if attempt_offline else []) + command[1:]
            sink = subprocess.PIPE if quiet else None  # not quiet: Maven prints as it goes
            proc = subprocess.run(run, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                  text=True, stdin=subprocess.DEVNULL)
            output = proc.stdout or "(Maven's output is above)"
            if proc.returncode == 0:
                break
        else:
            raise BuildError(f"{' '.join(run)} failed:\n{output[-6000:]}")
        # Swap the result in whole, so a reader never sees half a classpath.
        staged = CACHE_DIR / "opensearch-node.new"
        shutil.rmtree(staged, ignore_errors=True)
        (staged / "lib").mkdir(parents=True)
        shutil.copy2(work / "opensearch-node-launcher.jar", staged)
        for jar in (work / "lib").glob("*.jar"):
            shutil.copy2(jar, staged / "lib")
        (staged / "build.stamp").write_text(digest + "\n")
        old = CACHE_DIR / "opensearch-node.old"
        shutil.rmtree(old, ignore_errors=True)
        if BUILD_DIR.exists():
            BUILD_DIR.rename(old)
        staged.rename(BUILD_DIR)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        return BUILD_DIR
