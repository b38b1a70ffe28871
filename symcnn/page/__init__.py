"""Checking a page of hand calculations, line by line, as people write them.

``check_page(text, net, arch)`` finds every claim of every line (:mod:`.scan`),
ties table rows to layers by their shapes (:mod:`.tie`) and gives a verdict per
claim, per line and for the page (:mod:`.verdict`); :mod:`symcnn.render.page`
words it as a table, Markdown or JSON.
"""

from .verdict import ClaimVerdict, ColumnSum, LineVerdict, PageVerdict, check_page

__all__ = ["ClaimVerdict", "ColumnSum", "LineVerdict", "PageVerdict", "check_page"]
