"""The construct library (``constructs/``), its composition into stacks (``stacks/``) and the stage."""
