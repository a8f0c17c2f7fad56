# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV := DEBUG=true

.PHONY: run serve worker solr test test-solr test-postgres lint format install install-dev bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The background worker (imports from the admin, feeds, alerts) runs beside the development
# server and stops with it.
run: install
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py import_articles demo/
	@# The index is rebuilt only when it cannot be read; drift is repaired article by article.
	$(DEV) $(PY) manage.py check_index || $(DEV) $(PY) manage.py check_index --rebuild
	@echo "The archive: http://127.0.0.1:8000/  The admin: http://127.0.0.1:8000/admin/"
	@echo "No login yet? In another terminal: DEBUG=true $(PY) manage.py createsuperuser"
	$(DEV) $(PY) manage.py run_worker -v0 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(DEV) $(PY) manage.py runserver 127.0.0.1:8000

# Production-style serving: gunicorn, static files by whitenoise, DEBUG off. Set SECRET_KEY
# (and ALLOWED_HOSTS, and HTTPS=true behind a TLS proxy) in the environment first.
serve: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	HTTPS=$${HTTPS:-false} $(VENV)/bin/gunicorn config.wsgi -c config/gunicorn.py --bind $${BIND:-127.0.0.1:8000} \
		--workers $${WEB_WORKERS:-2} --access-logfile -

# The background worker for production: run it beside `make serve` (one or more, under the
# same supervisor as gunicorn). Imports, feed polls, re-extraction and alert mail run here.
worker: install
	$(PY) manage.py run_worker

# A SolrCloud on loopback (ZooKeeper and two Solr 9.10.1 nodes from Maven Central, Java 17)
# with the archive's configset and an "articles" collection of 2 shards x 2 replicas; Ctrl-C
# stops it. It prints the SOLR_URLS to run the archive on it (README, "Scaling out").
solr: install
	$(PY) solr/cloud.py

# Everything on Whoosh, then the contract suite and the page and API tests on a SolrCloud the
# run starts itself (skipped, saying why, without Java and Maven).
test: install-dev
	$(PY) -m pytest
	$(PY) solr/run_tests.py

test-solr: install-dev
	$(PY) solr/run_tests.py

# The same suite against Debian's PostgreSQL on loopback (installed and started if needed).
test-postgres: install-dev
	url=$$(.ci/postgres) && echo "Test suite on $$url" && DATABASE_URL=$$url $(PY) -m pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/
