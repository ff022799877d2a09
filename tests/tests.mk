# tests.mk - the project's own tests (included by the top-level Makefile)
#
#   make unit       Criterion unit tests of the grader, the simulated world and
#                   the perturbation layer
#   make selfcheck  solutions pass, starters and the bug zoo fail as declared
#   make soak       the self-check RUNS times (pass rates)
#   make coverage   gcovr over harness/ (unit tests and one grading run)

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(BIN)/unit_tests
UNIT_DEPS := $(filter-out harness/src/main.c,$(GRADER_SRC)) $(wildcard harness/world/*.c) \
	harness/lib/collider_table.c
UNIT_CFLAGS := -std=gnu11 -O0 -g -Wall -Wextra -Werror -pthread $(XML_CFLAGS) \
	-Iharness/src -Iharness/world -Iharness/lib

$(UNIT_BIN): $(UNIT_SRC) $(UNIT_DEPS) $(wildcard harness/src/*.h harness/world/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(UNIT_CFLAGS) $(UNIT_SRC) $(UNIT_DEPS) -lcriterion $(LIBS) -o $@

# A waiter linked through the perturbation layer, for tests/unit/test_perturb.c.
PERTURB_WRAPS := $(shell sed -n '/define PERTURB_WRAPPED/,/^$$/p' harness/lib/perturb.h | \
	grep -o '"[a-z_]*"' | tr -d '"')
$(BIN)/perturb_probe: tests/probes/if_waiter.c harness/lib/perturb.c harness/lib/perturb.h \
		harness/lib/lockgraph.c harness/lib/channel.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(UNIT_CFLAGS) $(filter %.c,$^) $(PERTURB_WRAPS:%=-Wl,--wrap=%) -o $@
$(BIN)/warp_probe: tests/probes/warp_waiter.c harness/lib/perturb.c harness/lib/perturb.h \
		harness/lib/lockgraph.c harness/lib/channel.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(UNIT_CFLAGS) $(filter %.c,$^) $(PERTURB_WRAPS:%=-Wl,--wrap=%) -o $@
$(BIN)/linger_probe: tests/probes/linger_creator.c harness/lib/perturb.c harness/lib/perturb.h \
		harness/lib/lockgraph.c harness/lib/channel.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(UNIT_CFLAGS) $(filter %.c,$^) $(PERTURB_WRAPS:%=-Wl,--wrap=%) -o $@

# The self-check reads the chapter manifests with the grader's own reader.
$(BIN)/selfcheck: tests/selfcheck.c harness/src/manifest.c harness/src/manifest.h \
		  harness/src/alloc.c harness/src/alloc.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Iharness/src $(filter %.c,$^) -ljansson -o $@

unit: $(UNIT_BIN) $(BIN)/perturb_probe $(BIN)/warp_probe $(BIN)/linger_probe
	$(Q)$(UNIT_BIN) --jobs=2

selfcheck: $(BIN)/grade $(BIN)/learn $(BIN)/selfcheck
	$(Q)$(BIN)/selfcheck $(BIN)/grade $(CURDIR) 1 $(CH)

soak: deps $(BIN)/grade $(BIN)/learn $(BIN)/selfcheck
	$(Q)$(BIN)/selfcheck $(BIN)/grade $(CURDIR) $(RUNS) $(CH)
	$(Q)$(if $(CH),,bash tests/lockcycle.sh $(RUNS))

coverage: deps
	$(Q)rm -rf $(BUILD)/coverage && mkdir -p $(BUILD)/coverage
	$(Q)$(CC) $(UNIT_CFLAGS) --coverage $(UNIT_SRC) $(UNIT_DEPS) -lcriterion $(LIBS) \
		-o $(BUILD)/coverage/unit_tests
	$(Q)cd $(BUILD)/coverage && ./unit_tests --jobs=1 >/dev/null 2>&1 || true
	$(Q)# The grader itself, built with coverage, grading a reference and a starter.
	$(Q)$(CC) -std=gnu11 -O0 -g -pthread --coverage $(XML_CFLAGS) $(GRADER_SRC) $(LIBS) \
		-o $(BUILD)/coverage/grade
	$(Q)$(BUILD)/coverage/grade --root . --build $(BUILD)/coverage/work -C 01 -s solutions \
		--junit $(BUILD)/coverage/junit.xml --gradescope $(BUILD)/coverage/gs.json \
		--classroom $(BUILD)/coverage/cl.json -r $(BUILD)/coverage/r.json >/dev/null
	$(Q)$(BUILD)/coverage/grade --root . --build $(BUILD)/coverage/work -C 01 >/dev/null
	$(Q)gcovr --root . --filter harness/ $(BUILD)/coverage . --print-summary \
		--html-details $(BUILD)/coverage/index.html
	@echo "coverage report: $(BUILD)/coverage/index.html"

$(BIN)/check_results: tests/check_results.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -ljansson -o $@

# The Gradescope bundle, run on a simulated /autograder tree.
gradescope-check: $(BIN)/check_results
	$(Q)bash tests/gradescope.sh

# The grader on hosts and submissions it must not trust: links, odd path
# names, a container without CAP_SYS_ADMIN, a tool that cannot start.
integrity: $(BIN)/grade
	$(Q)bash tests/integrity.sh

# The grader output README.md shows is the grader's output: README vs
# tests/golden/01-starter.txt, and the golden reports of chapter 01 vs the grader;
# every world function is readable from its chapter; no lesson sends the learner into harness/.
docs: $(BIN)/grade
	$(Q)bash tests/docs.sh
	$(Q)bash tests/world_docs.sh

# chapters/*/WORLD.md: the world headers each chapter's header includes,
# readable from the chapter (tests/world_docs.sh checks them).
world-docs:
	$(Q)bash tests/world_docs.sh --write

# Chapter 10: a deadlock's feedback names the cycle at the learner's file:line.
lockcycle: $(BIN)/grade
	$(Q)bash tests/lockcycle.sh $(RUNS)

# Attacks on the grader (tests/adversarial/): each must be caught, in time.
adversarial: $(BIN)/grade $(BIN)/selfcheck
	$(Q)$(BIN)/selfcheck $(BIN)/grade $(CURDIR) --adversarial $(NAME)

# What the grader tells a learner (tests/feedback.sh): their own output,
# TEST=, crash causes, throughput causes.
feedback: $(BIN)/grade
	$(Q)bash tests/feedback.sh $(NAME)
# The instructor's side (issue 12): layouts, the gradebook, hidden tests, the
# course policy, reproducing a failure, a bundle built outside git.
instructor: $(BIN)/grade $(BIN)/check_results
	$(Q)bash tests/instructor.sh
# The learner's loop (harness/learn/): watch in a real terminal (tmux), then
# hint, progress, reset, interview, compile-commands, the editor's problem
# matchers and the classroom template, each in a private copy of the workbook.
learn-test: deps $(BIN)/grade $(BIN)/learn
	$(Q)bash tests/learn_watch.sh
	$(Q)bash tests/learn_tools.sh
