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

# fuzzing (libFuzzer, clang): the state decoder and the text tokenizer
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wno-ignored-attributes \
	-Isrc -Itest/fuzz -I$(shell $(PG_CONFIG) --includedir-server)
FUZZ_LIBS = -L$(shell $(PG_CONFIG) --pkglibdir) -lpgcommon -lpgport $(LAPACK_LIBS) $(BLAS_LIBS) -lm \
	-Wl,--allow-multiple-definition
FUZZERS = test/fuzz/fuzz_state test/fuzz/fuzz_tokenize
export FUZZ_CC FUZZ_CFLAGS FUZZ_LIBS

test/fuzz/fuzz_state: test/fuzz/fuzz_state.c test/fuzz/stubs.c src/arm_state.c src/linalg.c src/policy.c src/rng.c
	test/fuzz/build.sh $@ $^
test/fuzz/fuzz_tokenize: test/fuzz/fuzz_tokenize.c test/fuzz/stubs.c src/text_embed.c
	test/fuzz/build.sh $@ $^

# seeds: the frozen format-1 states of sql/state.sql, and a little text
test/fuzz/corpus/state/.seeded test/fuzz/corpus/tokenize/.seeded:
	mkdir -p test/fuzz/corpus/state test/fuzz/corpus/tokenize
	perl -e 'print pack("H*", "434d41420100010102000000000000000200000000000000000000000000f03f000000000000f03f0000000000000240000000000000f83f0000000000001840010000000000f83ffeffffffffffef3fa9f4979b77e30140000000000000f03f0000000000000040")' > test/fuzz/corpus/state/v1_linear
	perl -e 'print pack("H*", "434d414201000200020000000000000002000000000000000000000000000000000000000000f03f000000000000f03f0000000000000000000000000000f03f000000000000f03f")' > test/fuzz/corpus/state/v1_counts
	printf 'Flat White: double-shot espresso Ã© cafÃ© â x' > test/fuzz/corpus/tokenize/menu
	touch test/fuzz/corpus/state/.seeded test/fuzz/corpus/tokenize/.seeded

.PHONY: fuzz
fuzz: $(FUZZERS) test/fuzz/corpus/state/.seeded
	test/fuzz/fuzz_state -max_total_time=$(FUZZ_SECONDS) -detect_leaks=0 \
		-artifact_prefix=test/fuzz/crash-state- test/fuzz/corpus/state
	test/fuzz/fuzz_tokenize -max_total_time=$(FUZZ_SECONDS) -detect_leaks=0 \
		-artifact_prefix=test/fuzz/crash-tokenize- test/fuzz/corpus/tokenize

.PHONY: demo test bench
demo:
	@bash test/scripts/run.sh demo
test:
	@bash test/scripts/run.sh test
bench:
	@bash test/scripts/run.sh bench
