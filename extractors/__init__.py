"""Bytes to facts: fetching, feed parsing, text, language, sentences, actors and options."""
