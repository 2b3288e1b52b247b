//! Cross-codec tests: hand-written wire bytes, round trips and property tests.
