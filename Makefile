# cmab: contextual bandits inside PostgreSQL (PGXS build)
#
#   make            build the extension (needs PGXS: postgresql-server-dev-15)
#   make install    install it into the server's directories
#   make demo       install what is missing, build, install, and run the demo
#                   pipeline on a throwaway cluster
#   make test       the same set-up, then every pg_regress and TAP test
#
# BLAS_LIBS / LAPACK_LIBS choose the libraries, e.g. for OpenBLAS:
#   make BLAS_LIBS=-lopenblas LAPACK_LIBS=-lopenblas

EXTENSION = cmab
EXTVERSION = 1.1

MODULE_big = cmab
OBJS = src/cmab.o src/aggregate.o src/arm_state.o src/kmeans.o src/linalg.o \
	src/model.o src/policy.o src/recommend.o src/rng.o src/text_embed.o \
	src/update.o

# the current install script is built from src/sql/cmab.sql; older versions
# and the upgrade scripts between them are kept as they were released
DATA_built = cmab--$(EXTVERSION).sql
DATA = src/sql/cmab--1.0.sql src/sql/cmab--1.0--1.1.sql
EXTRA_CLEAN = cmab--$(EXTVERSION).sql

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))

LAPACK_LIBS ?= -llapack
BLAS_LIBS ?= -lblas
SHLIB_LINK += $(LAPACK_LIBS) $(BLAS_LIBS) -lm
PG_CFLAGS += -std=gnu99

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# No PGXS yet: the bootstrap targets below install it.
all:
	@echo "PGXS not found (postgresql-server-dev-15 missing); 'make test' or 'make demo' install it" >&2
	@exit 1
endif

cmab--$(EXTVERSION).sql: src/sql/cmab.sql
	cp $< $@

.PHONY: demo test bench
demo:
	@bash test/scripts/run.sh demo
test:
	@bash test/scripts/run.sh test
bench:
	@bash test/scripts/run.sh bench
