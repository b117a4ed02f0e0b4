//! A Kafka cluster simulator speaking the real wire protocol.
