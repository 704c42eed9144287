# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the runtime alone (enough for the demo), and the dev tools on top (for the tests)
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo demo-auto test lint bench docs-chart clean i18n-extract i18n-update i18n-compile

$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/rapport demo

demo-auto: $(RUNTIME_STAMP)
	$(BIN)/rapport demo --auto

test: $(DEV_STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/rapport questions lint

# the README's example chart, drawn from made-up figures (bench/stats_chart.py)
docs-chart: $(RUNTIME_STAMP)
	$(BIN)/python -m bench.stats_chart --runs 1 --out docs/stats-example.png
# translations (bot/i18n): extract the English msgids, merge them into each language's catalog,
# compile the catalogs the wheel ships (commit the .po and the .mo; a test checks they agree)
LOCALES := bot/i18n/locales
I18N_KEYWORDS := -k _ -k N_ -k ngettext:1,2 -k N_plural:1,2
LANGS := de es fr pt_BR

i18n-extract: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output \
		--add-comments=TRANSLATORS: --project=rapport --copyright-holder="Rapport contributors" \
		--msgid-bugs-address="" -o $(LOCALES)/messages.pot bot

i18n-update: $(DEV_STAMP)
	for lang in $(LANGS); do \
		if [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang --no-fuzzy-matching; \
		else \
			$(BIN)/pybabel init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang; \
		fi; \
	done

i18n-compile: $(DEV_STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) -D messages --statistics

clean:
	rm -rf $(VENV) data/*.db
