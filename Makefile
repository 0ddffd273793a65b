# The README's commands. Each one sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/portal
REDIS_URL_SERVICES ?= redis://127.0.0.1:6379/0

.PHONY: install demo test test-services bench lint typecheck mutation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Run the portal with demo data on SQLite (WAL) and eager Celery at http://127.0.0.1:8000
demo: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py load_spoc_demo
	$(BIN)/python manage.py seed_audit_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## The whole suite on SQLite (tests that need PostgreSQL, Redis, a worker or Chromium are deselected)
test: install
	$(BIN)/pytest -m "not services"

## The same suite on PostgreSQL and Redis, with a real Celery worker and headless Chromium
test-services: install
	PORTAL_SERVICES=1 DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$(REDIS_URL_SERVICES) $(BIN)/pytest

## Benchmarks: tables with ratios against plain baselines measured in the same run
bench: install
	$(BIN)/python -m benchmarks

## ruff, then mypy with the Django and DRF plugins (the settings are in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(MAKE) typecheck

typecheck: install
	$(BIN)/mypy portal analytics safeguarding spoc benchmarks tests manage.py

## Mutation testing (mutmut) of the access, audit, people, network and group rules and the run
## services, in a copy of the tree at var/mutation: hours on one core, so not part of
## `make test` or CI. MUTANTS='portal.access.*' tests one module's mutants; MUTATION_CHILDREN=2
## uses two cores. Afterwards `cd var/mutation && ../../.venv/bin/mutmut show <name>` shows one.
MUTATION_DIR := var/mutation
MUTATION_CHILDREN ?= 1
MUTANTS ?=
# mutmut without the editable install's import finder: the copy's modules come first on sys.path
# anyway, and a module missing from the copy must fail to import, not come from the working tree.
MUTMUT = $(abspath $(BIN))/python -c 'import sys; sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]; from mutmut.__main__ import cli; cli(prog_name="mutmut")'

mutation: install
	rm -rf $(MUTATION_DIR) && mkdir -p $(MUTATION_DIR)
	git ls-files -z --cached --others --exclude-standard \
	  | tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C $(MUTATION_DIR)
	cd $(MUTATION_DIR) && $(abspath $(BIN))/python -c "$$MUTATION_UNDECORATE"
	cd $(MUTATION_DIR) && nice -n 10 $(MUTMUT) run --max-children $(MUTATION_CHILDREN) $(foreach m,$(MUTANTS),'$(m)')
	cd $(MUTATION_DIR) && $(MUTMUT) results
	cd $(MUTATION_DIR) && $(abspath $(BIN))/python -c "$$MUTATION_SCORES"

# mutmut 3 does not mutate decorated functions. In the copy only, the decorators that are safe
# to apply late (transaction.atomic, receiver) are removed from the definitions and applied at
# the end of the module, `f = transaction.atomic(f)`: the same functions, now with mutants.
define MUTATION_UNDECORATE
import ast
from mutmut.utils.file_utils import walk_mutatable_files

for path in walk_mutatable_files():
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    late = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
            continue
        names = [ast.get_source_segment(source, d) for d in node.decorator_list]
        if not all(n == "transaction.atomic" or n.startswith("receiver(") for n in names):
            continue
        for decorator in node.decorator_list:
            for i in range(decorator.lineno - 1, decorator.end_lineno):
                lines[i] = "\n"  # blank, so line numbers stay those of the source
        late.append(node.name + " = " + "(".join(names) + "(" + node.name + ")" * len(names))
    if late:
        path.write_text("".join(lines) + "\n\n" + "\n".join(late) + "\n")
        print(path, "decorators applied late:", ", ".join(line.split(" = ")[0] for line in late))
endef
export MUTATION_UNDECORATE

define MUTATION_SCORES
from collections import Counter
from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files

columns = ("killed", "survived", "timeout", "no tests")
rows = {}
for path in sorted(walk_mutatable_files()):
    data = SourceFileMutationData(path=path)
    data.load()
    rows[str(path)] = Counter(status_by_exit_code[code] for code in data.exit_code_by_key.values())
rows["total"] = sum(rows.values(), Counter())
print()
print(f"{'file':<28}" + "".join(f"{c:>10}" for c in (*columns, "other", "total")) + "     score")
for name, counts in rows.items():
    total = sum(counts.values())
    numbers = [counts[c] for c in columns] + [total - sum(counts[c] for c in columns), total]
    score = (counts["killed"] + counts["timeout"]) / total if total else 0.0
    print(f"{name:<28}" + "".join(f"{n:>10}" for n in numbers) + f"{score:>10.1%}")
endef
export MUTATION_SCORES
