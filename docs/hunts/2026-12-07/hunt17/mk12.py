from lib import *
write("s45_topic_deleted_7m_or_2h_into_its_produce_stop_8b_6h", A01, """
Hunt 17, s45 (6h; written after s21's resolve said "Produce rates are back"). a01's cluster. orders-4's producers
stop at 1h and the topic is deleted 7 min later; orders-7's producers stop at 3h and the topic is deleted 2 h later
(5h). Their readers (stream-app/svc groups, if any) stay subscribed.
EXPECTATION (written before running): two produce-stop incidents, each resolved at its topic's deletion with the
text the code has for it ("Topic "orders-4" was deleted on soak: no producer left to wait for"), not "Produce rates
are back".""", "",
ev("1h", "traffic_stop", topic="orders-4") + ev("67m", "topic_delete", topic="orders-4")
 + ev("3h", "traffic_stop", topic="orders-7") + ev("5h", "topic_delete", topic="orders-7"))
