# tests/checks.mk: which check programs (tests/c/<name>.c) each stage builds, so the stage
# Makefiles list only their own programs and library. common/rules.mk includes this file and
# builds CHECKS_<stage> into tests/bin/<stage>/; tests/docs.bats reads it too.
#
# A check applies from the first stage that has what it exercises, and to every stage after:
# each list is the one before plus the checks that start there. A check whose expected
# behaviour changes in a later stage is still run there; its bats file says what it expects
# (timer_from_thread aborts in s02, where timers are loop-thread only, and works from s03 on).

# the one-loop-per-thread rule
CHECKS_s00 := \
	twoloops

# poll(2) and quit()
CHECKS_s01 := $(CHECKS_s00) \
	quit_before_loop

# timers
CHECKS_s02 := $(CHECKS_s01) \
	tick_costs \
	timer_delays \
	timer_from_thread \
	timer_order

# cross-thread work: wakeup, runInLoop / queueInLoop, EventLoopThread
CHECKS_s03 := $(CHECKS_s02) \
	functor_storm \
	loopthread_churn \
	wakeup_cases

# clients for the first server, test7
CHECKS_s04 := $(CHECKS_s03) \
	client_read \
	client_reset

# TcpServer, TcpConnection, Buffer, Connector, TcpClient
CHECKS_s11 := $(CHECKS_s04) \
	s11_backoff \
	s11_buffer \
	s11_client \
	s11_client_free \
	s11_client_reconnect \
	s11_connect_error \
	s11_connect_soerror \
	s11_connect_timeout \
	s11_connector_stop \
	s11_hwm_relay \
	s11_idle_clients \
	s11_late_send \
	s11_lines \
	s11_poll_rotation \
	s11_self_connect \
	s11_send_race \
	s11_state_in_loop \
	s11_timer_cancel

# Not built by the stages: tests/reliability.mk builds these against s11, out of tree, for
# tests/faults.bats, tests/valgrind-check and tests/soak (leaky_server is the negative
# controls' server with a planted leak; s11_emfile_pause defines accept4 to take the Acceptor's
# freed fd slot from another thread).
RELIABILITY_CHECKS := \
	leaky_server \
	quit_cases \
	s11_emfile_pause \
	soak_driver
