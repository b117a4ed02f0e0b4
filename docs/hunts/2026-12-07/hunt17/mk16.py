from lib import *
write("s49_producers_stop_3m_after_truncate_8b_4h", A01, """
Hunt 17, s49 (4h). a01's cluster; orders-5 truncated at 1h with a 20-s gap (absent from one poll: its produce-rate
series is forgotten and learnt again), and its producers stop 3 min after the re-creation, for 1 h. Control in
the same file: clicks-3 truncated within a poll (2-s gap) at 2h30m, its producers stop 3 min later for 1 h.
EXPECTATION (written before running): one produce-stop incident each within ~5 min, resolved at return; no
incident for the truncations themselves.""", "",
ev("1h", "topic_delete", topic="orders-5") + ev("3620s", "topic_create", topic="orders-5") + ev("3800s", "traffic_stop", topic="orders-5", duration="1h")
 + ev("150m", "topic_delete", topic="clicks-3") + ev("9002s", "topic_create", topic="clicks-3") + ev("9182s", "traffic_stop", topic="clicks-3", duration="1h"))
