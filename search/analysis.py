"""The name Whoosh indexes written before the engine interface know their text field by.

Whoosh stores each field's class in the index's table of contents by module path, and the
Whoosh adapter's text field lived here then; without this name such an index cannot be opened
(ModuleNotFoundError) until it is rebuilt."""

from search.engines.whoosh.analysis import FoldedStemText

__all__ = ["FoldedStemText"]
