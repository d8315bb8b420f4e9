"""Tests of the library's constructs as this project uses them: assets and bytecode, alarms, the API, the
props tables (the library's own tests, the wheel and reuse around other services are in `library/tests/`)."""
