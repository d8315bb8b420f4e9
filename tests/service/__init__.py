"""The whole service through the emulated dev stage: contract fuzzing, load, concurrency, faults, hostile
input, isolation, CORS in a browser."""
