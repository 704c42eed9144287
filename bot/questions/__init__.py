"""Question banks: the YAML schema, a loader that builds engine banks, and a content linter.

- `schema`: pydantic models for one bank file plus the `Problem`/`BankError` types.
- `marks`: reads YAML with the line of every prompt and field, so problems say `file:line`.
- `loader`: `load_bank` / `load_banks` turn YAML files into `bot.engine.bank.Bank` values and
  report every problem at once, naming the file, the line, the prompt id and the field.
- `lint`: `lint_sources` / `lint_banks` run the schema, the cross-file checks and the content
  rules of `rules` (breadth, duplicates, safety, presumption, first meeting, one-word answers,
  examples, open-endedness, reading ease, partner wording) with a `profiles.LintProfile`.
- `cli`: `lint_targets` / `run_lint` / `run_show`, used by the `rapport questions ...` commands.
"""
