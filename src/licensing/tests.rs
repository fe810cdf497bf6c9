//! Unit tests of the seat arithmetic.
