//! Tests of the local gateway.
