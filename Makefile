# Poli per le Famiglie: `make run` serves the portal with demo data, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := portal/static/vendor
FONTS := node_modules/bootstrap-italia/dist/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin
LOCALES := $(wildcard portal/locale/*/LC_MESSAGES/messages.po)

.PHONY: install run test bench assets translations extract-messages clean

install: $(BIN)/portal assets translations

$(BIN)/portal: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

assets: $(VENDOR)/htmx.min.js

$(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/fonts
	cp node_modules/bootstrap-italia/dist/css/bootstrap-italia.min.css $(VENDOR)/
	cp node_modules/bootstrap-italia/dist/svg/sprites.svg $(VENDOR)/
	cp $(FONTS)-regular.woff2 $(VENDOR)/fonts/titillium-web-400.woff2
	cp $(FONTS)-600.woff2 $(VENDOR)/fonts/titillium-web-600.woff2
	cp $(FONTS)-700.woff2 $(VENDOR)/fonts/titillium-web-700.woff2
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/spid-smart-button/dist/img/spid-ico-circle-bb.svg $(VENDOR)/

translations: $(LOCALES:.po=.mo)

%.mo: %.po
	$(BIN)/pybabel compile --statistics -i $< -o $@

extract-messages: $(BIN)/portal
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -o portal/locale/messages.pot --no-location --sort-output .
	for dir in portal/locale/*/LC_MESSAGES; do \
	  lang=$$(basename $$(dirname $$dir)); \
	  $(BIN)/pybabel update -i portal/locale/messages.pot -d portal/locale -l $$lang --no-fuzzy-matching --ignore-obsolete; \
	done

run: install
	$(BIN)/portal migrate
	$(BIN)/portal demo --if-empty
	$(BIN)/portal serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
