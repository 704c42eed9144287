"""Question banks: the YAML schema, a loader that builds engine banks, and a content linter.

- `schema`: pydantic models for one bank file plus the `Problem`/`BankError` types.
- `loader`: `load_bank` / `load_banks` turn YAML files into `bot.engine.bank.Bank` values and
  report every problem at once, naming the file, the prompt id and the field.
- `lint`: `lint_banks` runs the schema plus the content rules (breadth, duplicates, safety,
  open-endedness, reading ease, partner wording). `python -m bot.questions.lint [PATH...]`.
- `cli`: `run_lint` / `run_show`, used by the `rapport questions ...` commands.
"""
