"""Broken builds of the runtime, one module each, deployed as the handler module of a local function.

Each module imports (and so builds) the real runtime, breaks one thing the way a bad change would, and
exposes ``handler``; ``healthy`` breaks nothing and is the control. They are test fixtures: never deployed.
"""
