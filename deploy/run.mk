# make run: the engine on the simulator under the supervisor (deploy/run).
#
#   make run [DURATION=seconds] [RUN_CONFIG=deploy/kimp-sim.conf] [O=build]
#
# Installs what is missing (make deps), builds, starts exsim and the engine
# with deploy/kimp, shows kimpctl top, and on Ctrl-C (or after DURATION)
# shuts down in order and prints a summary.
RUN_CONFIG ?= deploy/kimp-sim.conf
DURATION   ?= 0

.PHONY: run
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)DURATION=$(DURATION) deploy/run $(O) $(RUN_CONFIG)
