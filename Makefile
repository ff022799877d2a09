# threadclinic - concurrency in C with POSIX threads, graded
#
# Targets:
#   make grade        grade every chapter of chapters/ as it stands (a table)
#   make grade CH=03  one chapter (or several: CH="01 02"), with full feedback
#   make grade-batch DIR=subs  grade every submission folder in subs/ into a
#                     CSV and JSON gradebook of its own
#                     (build/grade/gradebook-<UTC time>.{csv,json})
#   make gradescope   the Gradescope autograder bundle (build/gradescope/)
#   make test         the project's own tests: unit tests and the self-check
#   make lockcycle    chapter 10's deadlock feedback names the cycle (RUNS times)
#   make learn-test   the tests of the learner's loop (watch in tmux, hint, ...)
#   make soak RUNS=5  the self-check RUNS times, with pass rates
#   make coverage     gcovr over the grader, the harness and the simulated world
#   make doctor       checks the toolchain and says what to fix
#
# The learner's loop (README.md, "Your daily loop"):
#   make watch [CH=03]   re-grade the chapter on every save (no CH: the first
#                        chapter not at full marks; at full marks, the next)
#   make hint CH=03      the next hint tier of the lesson (Nudge, Concept, Near solution)
#   make progress        best score per gate, hints used, a progress bar (alias: list)
#   make reset CH=03     the starter back; your file is kept as a backup it names
#   make interview CH=03 [MINUTES=45]  a blank file for the header, and a clock
#   make compile-commands  compile_commands.json for clangd (make grade keeps it fresh)
#   make classroom-template DIR=out  the learner's view, for a Classroom template
#   make bench-loop      median of 5: save-to-first-verdict in watch, whole-book grading
#   make deps         installs what is missing (as root), or names the command
#   make clean        removes build/
#
# Variables:
#   CH=LIST           chapters to grade: numbers or names ("3", "03 04", "03-worker-pool")
#   SUBMISSION=DIR    grade DIR/<chapter>/*.c instead of chapters/ (e.g. solutions)
#   REPORT=FILE       also write the results as JSON to FILE
#   JUNIT=FILE        also write a JUnit XML report to FILE
#   GRADEBOOK=PREFIX  where make grade-batch writes PREFIX.csv and PREFIX.json
#                     (refused when either exists: a gradebook is never replaced)
#   JOBS=N            gradings at once in grade-batch's first phase (default 2)
#   HIDDEN=DIR        make gradescope: DIR/<chapter>.c are hidden tests
#   STRICT=1          exit non-zero when the score is short of the maximum
#   REQUIRE_SANDBOX=1 refuse to run learner code when a sandbox layer is missing
#   RUNS=N            repetitions for make soak (default 5)
#   TEST=NAMES        make grade CH=NN: only these scenarios (names, or clauses:
#                     TEST=R4 runs R4a, R4b, ...), on every gate but throughput;
#                     a partial run, not a grade
#   VERBOSE=1         make grade: full feedback, with everything your code
#                     printed in each test (otherwise the first 40 lines of
#                     each failed test)
#   COURSE=FILE       the course policy (default: course.json when it exists;
#                     harness/README.md, "Course policy")
#   ASSIGNMENT=NAME   grade the chapters of the course policy's assignment NAME
#   SEED=N|off        the perturbation seed of the correctness and race gates
#                     (default: one per grading, shown in the feedback)
#   CC=compiler       the C compiler (default cc)
#   MINUTES=N         make interview: the clock (default 45)
#   DIR=folder        make classroom-template: where the export goes (must not exist)
#   V=1               show the commands make runs

CC       ?= cc
BUILD    := build
BIN      := $(BUILD)/bin
CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -MMD -MP
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
LIBS     := -ljansson -lxml2 -lnettle -lm
RUNS     ?= 5

GRADER_SRC := $(wildcard harness/src/*.c)
GRADER_OBJ := $(GRADER_SRC:%.c=$(BUILD)/obj/%.o)
LEARN_SRC  := $(wildcard harness/learn/*.c)

COURSE_ARGS = $(if $(COURSE),--course "$(COURSE)") $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")

ifeq ($(V),1)
Q :=
else
Q := @
endif

.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all grade grade-batch test unit selfcheck soak coverage doctor deps clean gradescope-check adversarial integrity docs feedback world-docs instructor lockcycle learn-test

all: $(BIN)/grade

# make deps, make test and make learn-test also want the tools of the tests.
deps:
	$(Q)sh harness/deps.sh $(if $(filter deps test learn-test bench-loop,$(MAKECMDGOALS)),--test)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(XML_CFLAGS) -c $< -o $@

$(BIN)/grade: $(GRADER_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# The learner's own gradings (no SUBMISSION) also go into the progress store;
# the grader's output and exit status are make grade's.
GRADE_REPORT = $(or $(REPORT),$(BUILD)/learn/last-report.json)
grade: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)/grade $(BIN)/learn compile_commands.json
	$(Q)mkdir -p $(BUILD)/learn; rm -f $(BUILD)/learn/last-report.json; \
	$(BIN)/grade --root . $(if $(CH),--chapters "$(CH)") \
		$(if $(SUBMISSION),--submission "$(SUBMISSION)") \
		--report "$(GRADE_REPORT)" $(if $(JUNIT),--junit "$(JUNIT)") \
		$(if $(STRICT),--strict) $(if $(REQUIRE_SANDBOX),--require-sandbox) $(if $(SEED),--seed "$(SEED)") \
		$(if $(VERBOSE),-v) $(if $(TEST),--test "$(TEST)") $(COURSE_ARGS); \
	status=$$?; \
	$(if $(SUBMISSION),,$(BIN)/learn record "$(GRADE_REPORT)" --quiet || true;) \
	exit $$status

grade-batch: deps
	$(Q)test -n "$(DIR)" || { echo "usage: make grade-batch DIR=<folder of submissions>"; exit 2; }
	$(Q)$(MAKE) --no-print-directory $(BIN)/grade
	$(Q)$(BIN)/grade --root . --batch "$(DIR)" $(if $(CH),--chapters "$(CH)") \
		$(if $(GRADEBOOK),--gradebook "$(GRADEBOOK)") --jobs $(or $(JOBS),2) \
		$(if $(REQUIRE_SANDBOX),--require-sandbox) $(if $(SEED),--seed "$(SEED)") $(COURSE_ARGS)

test: deps
	$(Q)bash tests/timed.sh unit $(MAKE) --no-print-directory unit
	$(Q)bash tests/timed.sh harness-warnings bash tests/harness_warnings.sh
	$(Q)bash tests/timed.sh gradescope-check $(MAKE) --no-print-directory gradescope-check
	$(Q)bash tests/timed.sh instructor $(MAKE) --no-print-directory instructor
	$(Q)bash tests/timed.sh integrity $(MAKE) --no-print-directory integrity
	$(Q)bash tests/timed.sh docs $(MAKE) --no-print-directory docs
	$(Q)bash tests/timed.sh feedback $(MAKE) --no-print-directory feedback
	$(Q)bash tests/timed.sh lockcycle $(MAKE) --no-print-directory lockcycle RUNS=1
	$(Q)bash tests/timed.sh adversarial $(MAKE) --no-print-directory adversarial
	$(Q)bash tests/timed.sh learn-test $(MAKE) --no-print-directory learn-test
	$(Q)bash tests/timed.sh selfcheck $(MAKE) --no-print-directory selfcheck

include tests/tests.mk

# --- the learner's loop (harness/learn/, one program) ---
.PHONY: watch hint progress list reset interview compile-commands classroom-template bench-loop

$(BIN)/learn: $(LEARN_SRC) harness/learn/learn.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LEARN_SRC) -ljansson -lutil -o $@

# Cheap to keep fresh: rewritten only when a chapter folder changes.
compile_commands.json: $(wildcard chapters/*/ solutions/*/) harness/learn/editor.c
	$(Q)$(MAKE) --no-print-directory $(BIN)/learn
	$(Q)$(BIN)/learn compile-commands $@

compile-commands:
	$(Q)$(MAKE) --no-print-directory -B compile_commands.json
	@echo "compile_commands.json: $$(grep -c '"file"' compile_commands.json) files"

watch: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)/grade $(BIN)/learn compile_commands.json
	$(Q)$(BIN)/learn watch "$(CH)"

hint: $(BIN)/learn
	$(Q)$(BIN)/learn hint "$(CH)"

progress list: $(BIN)/learn
	$(Q)$(BIN)/learn progress

reset: $(BIN)/learn
	$(Q)$(BIN)/learn reset "$(CH)"

interview: $(BIN)/learn
	$(Q)$(BIN)/learn interview "$(CH)" "$(MINUTES)"

classroom-template: $(BIN)/learn
	$(Q)$(BIN)/learn export "$(DIR)"

bench-loop: deps $(BIN)/grade $(BIN)/learn
	$(Q)bash tests/bench_loop.sh

doctor:
	$(Q)sh harness/doctor.sh

clean:
	rm -rf $(BUILD)

-include $(GRADER_OBJ:.o=.d)

# make gradescope [CH="01 02" | ASSIGNMENT=NAME] [HIDDEN=DIR] [COURSE=FILE]:
# build/gradescope/autograder.zip with setup.sh and run_autograder at its
# root and the workbook (without solutions, tests or .git) beside them, from
# a git checkout or any copy of the workbook (harness/gradescope/bundle.sh);
# HIDDEN=DIR adds DIR/<chapter>.c as hidden tests, checked first.
.PHONY: gradescope
gradescope: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)/grade
	$(Q)bash harness/gradescope/bundle.sh "$(CURDIR)" "$(CURDIR)/$(BUILD)/gradescope" "$(CH)" \
		"$(HIDDEN)" "$(COURSE)" "$(ASSIGNMENT)"
