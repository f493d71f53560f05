# make run: set up and start the web server, a Celery worker and Celery beat on the embedded default.
# make test: set up if needed and run the whole suite.
# make lint: ruff and mypy, configured in pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: setup syscheck run test lint worker beat migrate seed bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || scripts/make_venv.sh $(VENV) $(PYTHON)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP) syscheck

# System packages (scripts/system-packages.txt): installed when missing if root or passwordless
# sudo allows, otherwise the command to run is printed.
syscheck: $(STAMP)
	@scripts/check_system.sh run $(BIN)/python

migrate: setup
	DJANGO_DEV=1 $(BIN)/python manage.py migrate --noinput

seed: migrate
	DJANGO_DEV=1 $(BIN)/python manage.py seed_demo

run: seed
	@scripts/run.sh

worker: setup
	DJANGO_DEV=1 $(BIN)/celery -A config worker --queues=evaluation,reports --loglevel=INFO

beat: setup
	DJANGO_DEV=1 $(BIN)/celery -A config beat --schedule=var/celerybeat-schedule --loglevel=INFO

# The test scope includes the app's packages: one apt-get update at most.
test: $(STAMP)
	@scripts/check_system.sh test $(BIN)/python
	$(BIN)/pytest $(PYTEST_ARGS)

# Both run even when the first fails, so one pass shows every problem.
lint: $(STAMP)
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	DJANGO_DEV=1 $(BIN)/mypy || status=1; \
	exit $$status

# Every benchmark (bench/run.py: parse, measures, report, planner, the whole pipeline, the worker,
# the web pages), then one table of ratios. BENCH_ARGS=--quick for a short look.
bench: setup
	DJANGO_DEV=1 $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var/test .pytest_cache
