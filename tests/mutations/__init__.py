"""Mutation check: each entry of mutations.toml breaks one rule on purpose in a copy of the tree;
the tests named with it must then fail. Run with `python -m tests.mutations`."""
