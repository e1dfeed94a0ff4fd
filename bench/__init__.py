"""Benchmarks: one module per recipe, run from the repository root as a module,

    .venv/bin/python -m bench.sync_bench --anchors DIR
    .venv/bin/python -m bench.push_profile

never as a loose file (`python bench/x.py`): the modules import each other as `bench.*`,
and nothing here edits `sys.path`. Shared pieces: bench/procs.py (free ports, starting and
stopping processes, the one wait for a started server), bench/pg.py (a throwaway
PostgreSQL through scripts/pg-throwaway.sh), bench/anchors.py (the reference systems kept
outside the repository, found through `--anchors` or CUNYI_ANCHORS). Figures go to
docs/benchmarks.md.
"""
