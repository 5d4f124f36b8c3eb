# make run: the engine on the simulator under the supervisor (deploy/run).
#
#   make run [DURATION=seconds] [RUN_CONFIG=deploy/kimp-sim.conf] [O=build]
#   make run-six [DURATION=seconds] [O=build]
#
# Installs what is missing (make deps), builds, starts exsim and the engine
# with deploy/kimp, shows kimpctl top, and on Ctrl-C (or after DURATION)
# shuts down in order and prints a summary. run-six is the same on
# deploy/kimp-sim-six.conf: all six venues (Upbit, Bithumb, Coinone against
# Binance, Bybit, OKX) on sim/scenarios/six.scn; it is
# `make run RUN_CONFIG=deploy/kimp-sim-six.conf`.
RUN_CONFIG ?= deploy/kimp-sim.conf
DURATION   ?= 0

.PHONY: run run-six
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)DURATION=$(DURATION) deploy/run $(O) $(RUN_CONFIG)

run-six: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)DURATION=$(DURATION) deploy/run $(O) deploy/kimp-sim-six.conf
