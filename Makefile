# Two commands: `make run` serves the demo district; `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: prod prod-demo run smoke test lint typecheck migrations-check test-sqlite test-postgres bench clean messages

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/spotcheck migrate --verbosity 0
	$(BIN)/spotcheck collectstatic --noinput --verbosity 0
	@if [ "$$($(BIN)/spotcheck shell --no-imports -c 'from spotcheck.directory.models import Entity; print(Entity.objects.exists())')" = "False" ]; then \
		echo "正在创建演示区 / creating the demo district…"; $(BIN)/spotcheck demo; fi
	@echo ""
	@echo "随机抽查监管平台 Spotcheck: http://$(HOST):$(PORT)/   接口文档 / API: http://$(HOST):$(PORT)/api/v1/docs"
	@echo "演示账号 / demo logins — password: $${SPOTCHECK_DEMO_PASSWORD:-Banan-2015-250}"
	@echo "  coordinator (区协调办)   scjg_admin (部门管理员)   scjg_head (部门负责人)"
	@echo "  scjg_inspector (执法检查人员)   wjw_admin / wjw_head (区卫生健康委)   witness (监督见证人)"
	@echo ""
	$(BIN)/spotcheck db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/spotcheck runserver $(HOST):$(PORT)

# Production-like: gunicorn (several workers), WhiteNoise, PostgreSQL from DATABASE_URL, the worker,
# DEBUG=0 (docs/deployment.md). prod-demo tries it here on a throwaway PostgreSQL with the demo district.
prod: $(STAMP)
	scripts/serve-production

prod-demo: $(STAMP)
	scripts/throwaway-postgres run env SPOTCHECK_DEMO=1 SPOTCHECK_CREATE_DATABASE=1 SECURE_SSL_REDIRECT=0 DEPLOY_CHECK_LEVEL=ERROR \
		SPOTCHECK_DATA_DIR=$${SPOTCHECK_DATA_DIR:-data/prod-demo} scripts/serve-production

# Prove `make run` on this checkout: a free port, a fresh data folder, two runs (used by .ci/run).
smoke: $(STAMP)
	$(BIN)/python scripts/smoke.py

lint: $(STAMP)
	$(BIN)/ruff check spotcheck tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy spotcheck

migrations-check: $(STAMP)
	DATABASE_URL=sqlite:///:memory: $(BIN)/spotcheck makemigrations --check --dry-run

test-sqlite: $(STAMP)
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest

# PostgreSQL: TEST_DATABASE_URL if given, else a throwaway local cluster when the
# PostgreSQL server binaries are installed.
test-postgres: $(STAMP)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest; \
	elif scripts/throwaway-postgres available; then \
		scripts/throwaway-postgres run $(BIN)/pytest; \
	else echo "PostgreSQL not available: set TEST_DATABASE_URL to run the suite on PostgreSQL"; fi

test: lint typecheck migrations-check test-sqlite test-postgres

bench: $(STAMP)
	$(BIN)/python bench/import.py

# Refresh the English catalogue after changing texts (needs GNU gettext): new strings appear
# untranslated in spotcheck/locale/en/LC_MESSAGES/django.po; translate them there, then run it again.
messages: $(STAMP)
	cd spotcheck && ../$(BIN)/spotcheck makemessages -l en -v0 --no-obsolete && \
		../$(BIN)/spotcheck compilemessages -v0

clean:
	rm -rf $(VENV) data/static
