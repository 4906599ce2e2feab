"""python -m tests.opensearch_node {build,run}: see tests/opensearch_node/__init__.py."""

import sys

from tests.opensearch_node import _main

sys.exit(_main())
