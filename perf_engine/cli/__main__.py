"""`python -m perf_engine.cli`: the `perf-engine` command from any Python that has perf_engine."""

import sys

from perf_engine.cli import main

sys.exit(main())
