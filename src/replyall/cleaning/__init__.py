"""Cleaning: split a body into the author's text, quote, signature and disclaimer."""

from replyall.cleaning.cleaner import BODY, DISCLAIMER, QUOTE, SIGNATURE, Cleaned, clean_text
from replyall.cleaning.boilerplate import BoilerplateLearner, BoilerplateStore, MemoryBoilerplateStore

__all__ = [
    "BODY",
    "DISCLAIMER",
    "QUOTE",
    "SIGNATURE",
    "BoilerplateLearner",
    "BoilerplateStore",
    "Cleaned",
    "MemoryBoilerplateStore",
    "clean_text",
]
