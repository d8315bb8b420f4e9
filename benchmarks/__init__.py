"""``make bench``: cold start, warm path, artifact size and developer loop, written to docs/benchmarks.md.

Every figure compares variants measured in the same run: this project's deployed artifact, a baseline
built the way the tutorials build it, a floor (the least a FastAPI + Mangum + botocore function can
do), the floor's request served by Powertools' event handler instead (what FastAPI costs), a bare
handler, and the floor traced by each tracer (what tracing costs). Nothing here is deployed;
``runtime/`` stays exactly what Lambda runs.
"""
