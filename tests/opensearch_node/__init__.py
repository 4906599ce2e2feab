"""Real OpenSearch 2.19 nodes for the test suite, built from Maven Central jars.

No OpenSearch distribution can be installed here, but the server and its modules are published
as jars. ``pom.xml`` beside this file lists them; ``Launcher.java`` starts a node from them in
one JVM (a ``Node`` subclass given its plugins as classes, as OpenSearch's own MockNode does).

    from tests import opensearch_node as osn

    osn.build()                                   # once; later calls return at once
    node = osn.start_node(tmp_path / "os")        # single-node, waits until it serves
    node.url                                      # http://127.0.0.1:PORT
    node.kill(); node.start(); node.stop()        # SIGKILL, back on the same data dir, SIGTERM

    cluster = osn.start_cluster(tmp_path / "c", n=3)
    cluster.url, cluster.urls, cluster.nodes[1].kill(), cluster.wait_for_status("green")

Everything built or downloaded goes under ``.cache/`` at the repository root (gitignored):
``.cache/m2`` is the Maven repository (the jars), ``.cache/opensearch-node/`` the launcher jar
and the runtime classpath. A build whose inputs (pom.xml, the Java sources) did not change is
not run again; a changed one is first tried with ``mvn -o``, so it needs no network as long as
the dependencies did not change.

The JVM is ``$SOHOA_OPENSEARCH_JAVA_HOME/bin/java``, else ``$JAVA_HOME/bin/java``, else ``java``
on PATH (Java 17 here; Temurin 25 works too). Only the standard library is used, so the
module also serves scripts (``python -m tests.opensearch_node --help``).

The pieces: ``_build`` (Maven, the classpath, which java), ``_jvm`` (a node's JVM command line),
``_node`` (one node, ``start_node``, ``ram_dir``), ``_cluster`` (several nodes), ``__main__``
(the command line). Import from the package: the modules are its private parts.
"""

from __future__ import annotations

# ``X as X``: public as before the split but not in ``__all__`` (where things are built, the
# version, the defaults).
from tests.opensearch_node._build import BUILD_DIR as BUILD_DIR
from tests.opensearch_node._build import CACHE_DIR as CACHE_DIR
from tests.opensearch_node._build import LAUNCHER_CLASS as LAUNCHER_CLASS
from tests.opensearch_node._build import MAVEN_REPO as MAVEN_REPO
from tests.opensearch_node._build import OPENSEARCH_VERSION as OPENSEARCH_VERSION
from tests.opensearch_node._build import PROJECT_DIR as PROJECT_DIR
from tests.opensearch_node._build import REPO_ROOT as REPO_ROOT
from tests.opensearch_node._build import BuildError, build, classpath
from tests.opensearch_node._cluster import Cluster, start_cluster
from tests.opensearch_node._jvm import DEFAULT_HEAP as DEFAULT_HEAP
from tests.opensearch_node._jvm import java_command
from tests.opensearch_node._node import ALL_PLUGINS, Node, NodeError, free_port, ram_dir, start_node
from tests.opensearch_node._node import READY_RE as READY_RE

__all__ = [
    "ALL_PLUGINS",
    "BuildError",
    "Cluster",
    "Node",
    "NodeError",
    "build",
    "classpath",
    "free_port",
    "java_command",
    "ram_dir",
    "start_cluster",
    "start_node",
]
