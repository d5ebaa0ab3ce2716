"""The composition root: every process's start-up (`serve`, the evaluation worker, the
recorder, `migrate`, `sweep`) and every `autograde` command, in one package.

It is the one package that may import both `api` and `worker` (beyond `worker.contract`),
and nothing imports it (pyproject's import contracts). Rules live elsewhere: a command
parses its arguments, calls one function of `api`, `worker` or `client`, and prints.
"""
