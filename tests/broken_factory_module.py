"""A module that fails while importing: stands for a factory whose code was broken since the run."""

raise RuntimeError("this module is broken on purpose")
